"""The console's words for the edit forms, drafts, confirmations and undo, in Chinese and Korean (조선어)."""

from __future__ import annotations

FORM_WORDS: dict[str, tuple[str, str]] = {
    # Drafts and publishing
    "draft_title": ("待发布的修改", "발표를 기다리는 수정"),
    "drafts": ("我的待发布修改", "나의 발표 대기 수정"),
    "no_drafts": ("没有待发布的修改。", "발표를 기다리는 수정이 없습니다."),
    "draft_kept": ("这项修改已通过检查，保存在服务器上，只有您能看到；发布或放弃之前一直保留。",
                   "이 수정은 검사를 통과해 봉사기에 보관되였으며 당신만 볼 수 있습니다. "
                   "발표하거나 버릴 때까지 남습니다."),
    "draft_gone": ("这项修改已经发布或放弃了。", "이 수정은 이미 발표했거나 버렸습니다."),
    "draft_made": ("{at} 做的修改", "{at}에 한 수정"),
    "note": ("发布说明（版本列表里显示）", "발표 설명(판본 목록에 보임)"),
    "note_required": ("请写一句发布说明，例如：婚姻登记处：12月24日停办（业务培训）。",
                      "발표 설명을 한마디 써 주십시오. 례: 혼인등기처: 12월 24일 휴무(업무 연수)."),
    "discard": ("放弃这项修改", "이 수정 버리기"),
    "discarded": ("已放弃修改：{summary}", "수정을 버렸습니다: {summary}"),
    "open_draft": ("打开", "열기"),
    "back_to_draft": ("返回这项修改的发布页", "이 수정의 발표 페이지로 돌아가기"),
    "draft_stale": ("这项修改做好以后，线上的文件又改了：请放弃它，重新做。",
                    "이 수정을 한 뒤 운영 중인 파일이 바뀌였습니다: 버리고 다시 하십시오."),
    # Summaries in words, prefilled as the publish note
    "all_units": ("全局", "국 전체"),
    "sum_closures": ("{units}：{day}停办（{name}）", "{units}: {day} 휴무({name})"),
    "sum_openings": ("{units}：{day}加班办公（{name}）", "{units}: {day} 추가 업무({name})"),
    "sum_special_days": ("{units}：{day}特殊办公时间（{name}）", "{units}: {day} 특별 업무시간({name})"),
    "sum_remove": ("取消：{day}（{name}）", "취소: {day}({name})"),
    "sum_schedule": ("{schedule}：修改办公时间", "{schedule}: 업무시간 변경"),
    "sum_week": ("{schedule}：{hours}", "{schedule}: {hours}"),
    "sum_keyword": ("{unit}：加上来电者的说法“{word}”", "{unit}: 전화한 분의 말 \"{word}\" 추가"),
    "sum_unit": ("{unit}：{what}", "{unit}: {what}"),
    "sum_unit_phone": ("电话改为 {phone}", "전화를 {phone}(으)로"),
    "sum_unit_no_phone": ("不再有单独电话，经总机转接", "따로 전화 없이 대표전화로"),
    "sum_unit_schedule": ("改用“{schedule}”", "\"{schedule}\" 사용"),
    "sum_own_hours": ("{unit}：单独的办公时间（{hours}）", "{unit}: 따로 업무시간({hours})"),
    "sum_prompt": ("修改提示语 {prompt}", "안내말 {prompt} 변경"),
    "sum_raw": ("直接编辑 {file}", "{file} 직접 편집"),
    "month_day": ("{month}月{day}日", "{month}월 {day}일"),
    "day_range": ("{first}至{last}", "{first}~{last}"),
    # The sentence callers will hear
    "preview_title": ("来电者会听到", "전화하는 분들이 듣는 말"),
    "preview_help": ("随着填写更新；中文和朝鲜语都显示。", "쓰는 대로 바뀝니다. 중국어와 조선어로 보입니다."),
    "preview_at": ("{at} 打给{unit}时", "{at}에 {unit}에 전화하면"),
    # Dates and empty fields
    "bad_date_typed": ("{typed}不是日期：请按 年-月-日 写一个真实存在的日期，例如 2026-12-24。",
                       "{typed:은} 날짜가 아닙니다: 실제로 있는 날짜를 년-월-일로 쓰십시오. 례: 2026-12-24."),
    "required_what": ("请填写{what}，例如：{example}。", "{what}을(를) 써 주십시오. 례: {example}."),
    "example_name_zh": ("业务培训", "业务培训"),
    "example_name_ko": ("업무 연수", "업무 연수"),
    "example_hours": ("08:30-12:00, 13:30-17:00", "08:30-12:00, 13:30-17:00"),
    "date_placeholder": ("年-月-日，例如 2026-12-24", "년-월-일, 례: 2026-12-24"),
    # Hours by weekday, an office's own hours
    "week_hours": ("按星期填写办公时间", "요일별 업무시간"),
    "week_hours_help": ("勾选办公的日子（比如加上周六，或去掉周五），每个办公日一格，写这天的办公时段，例如 "
                        "08:30-12:00, 13:30-17:00；相同的几天会自动合并（如 周一至周四）。从某天起的新时间也在这里改。",
                        "업무하는 날을 표시하고(례: 토요일을 더하거나 금요일을 빼기) 업무일마다 한 칸씩 그날의 "
                        "업무시간을 쓰십시오. 례: 08:30-12:00, 13:30-17:00. 같은 날들은 저절로 묶입니다(례: 월~목). "
                        "어느 날부터의 새 시간도 여기서 고칩니다."),
    "hours_now": ("现在的办公时间", "지금의 업무시간"),
    "hours_since": ("从 {since} 起的办公时间", "{since}부터의 업무시간"),
    "since_prefix": ("{since}起", "{since}부터 "),
    "works_on": ("{weekday}办公", "{weekday} 업무"),
    "day_off": ("不办公", "쉼"),
    "no_workday_ticked": ("至少勾选一个办公的日子；整段时间都不办公的话，请用停办日。",
                          "업무하는 날을 하나 이상 표시하십시오. 그 기간 내내 쉬면 휴무일로 하십시오."),
    "hours_on_day_off": ("{what}填了时间，但这天没有勾选为办公日：请勾选“{box}”，或者清空这一格。",
                         "{what}에 시간을 썼지만 그날을 업무일로 표시하지 않았습니다: \"{box}\"을(를) 표시하거나 "
                         "이 칸을 비우십시오."),
    "week_preview_note": ("来电者听办公室介绍（按1）时听到的办公时间", "전화한 분이 부서 소개(1번)에서 듣는 업무시간"),
    "week_hours_of": ("{schedule}：按星期和季节的办公时间", "{schedule}: 요일과 계절별 업무시간"),
    "day_hours": ("{season}{weekday}", "{season} {weekday}"),
    "all_year": ("全年", "일년 내내"),
    "weekday_0": ("周一", "월요일"),
    "weekday_1": ("周二", "화요일"),
    "weekday_2": ("周三", "수요일"),
    "weekday_3": ("周四", "목요일"),
    "weekday_4": ("周五", "금요일"),
    "weekday_5": ("周六", "토요일"),
    "weekday_6": ("周日", "일요일"),
    "own_hours": ("给这个办公室单独的办公时间", "이 부서에 따로 업무시간 주기"),
    "own_hours_title": ("{unit}：单独的办公时间", "{unit}: 따로 업무시간"),
    "own_hours_help": ("{unit}现在用“{schedule}”，和另外 {others} 个单位共用。这里填写的时间只给{unit}："
                       "会新建一个以它命名的办公时间“{new_name}”，从现在的时间复制而来，并让它使用；一次检查，一次发布。",
                       "{unit}은(는) 지금 \"{schedule}\"을(를) 다른 {others}개 단위와 함께 씁니다. 여기에 쓴 시간은 "
                       "{unit}에만 적용됩니다: 그 이름으로 새 업무시간 \"{new_name}\"을(를) "
                       "지금 시간에서 복사해 만들고 "
                       "그것을 쓰게 합니다. 한 번 검사, 한 번 발표."),
    "shared_with": ("和另外 {others} 个单位共用这个办公时间。", "다른 {others}개 단위와 이 업무시간을 함께 씁니다."),
    "own_schedule_name_zh": ("{unit}办公时间", "{unit}办公时间"),
    "own_schedule_name_ko": ("{unit} 업무시간", "{unit} 업무시간"),
    # Offices
    "add_office": ("添加办公室", "부서 추가"),
    "rename_office": ("{unit}：改名", "{unit}: 이름 변경"),
    "remove_office": ("删除{unit}", "{unit} 삭제"),
    "rename_button": ("改名（办公室和它的按键说明）", "이름 변경(부서와 그 번호 안내)"),
    "remove_office_button": ("删除这个办公室和它的按键", "이 부서와 그 번호 삭제"),
    "office_id": ("代号（写进菜单文件，来电者听不到；用英文小写字母和下划线，如 legal_aid）",
                  "부호(메뉴 파일에 쓰며 전화하는 분들은 듣지 않습니다; 영문 소문자와 밑줄, 례: legal_aid)"),
    "office_kind": ("类别", "종류"),
    "summary_zh": ("办理什么（中文，来电者会听到）", "맡은 일(중국어, 전화하는 분들이 듣습니다)"),
    "summary_ko": ("办理什么（朝鲜文，来电者会听到）", "맡은 일(조선어, 전화하는 분들이 듣습니다)"),
    "keywords_field": ("来电者会说的词（用逗号分开）", "전화하는 분들이 쓰는 말(반점으로 구분)"),
    "office_menu": ("放在哪个菜单", "어느 메뉴에"),
    "office_key": ("按键（1-9，菜单里没用过的）", "번호(1-9, 메뉴에서 쓰지 않은 것)"),
    "label_zh": ("按键说明（中文）", "번호 안내(중국어)"),
    "label_ko": ("按键说明（朝鲜文）", "번호 안내(조선어)"),
    "sum_add_office": ("新增办公室：{unit}（菜单 {menu} 按 {press}）", "부서 추가: {unit}(메뉴 {menu}의 {press}번)"),
    "sum_rename_office": ("{unit} 改名为 {new}", "{unit}의 이름을 {new}(으)로"),
    "sum_remove_office": ("删除办公室：{unit}", "부서 삭제: {unit}"),
    # Confirmation and undo
    "confirm_restore_title": ("确认恢复第 {number} 版", "{number}번 판본 복원 확인"),
    "confirm_restore_help": ("恢复会把第 {number} 版再次发布为最新版本（第 {newest} 版之后），来电者几秒内会听到。"
                             "下面是恢复后和现在相比的变化。之后可以撤销。",
                             "{number}번 판본을 최신 판본으로 다시 발표합니다({newest}번 다음). "
                             "몇 초 안에 전화하는 분들이 듣습니다. 아래는 지금과 비교해 바뀌는 것입니다. "
                             "나중에 되돌릴 수 있습니다."),
    "confirm_restore": ("确认恢复", "복원 확인"),
    "cancel": ("取消", "취소"),
    "undo": ("撤销", "되돌리기"),
    "undo_restore": ("撤销：恢复到第 {number} 版", "되돌리기: {number}번 판본으로 복원"),
    "confirm_called_back_title": ("确认已回电", "회답 전화 확인"),
    "confirm_called_back_help": ("把 {caller} 在 {at} 给{unit}的留言标为已回电？之后可以撤销。",
                                 "{at}에 {caller}이(가) {unit}에 남긴 메시지를 회답 전화함으로 표시합니까? "
                                 "나중에 되돌릴 수 있습니다."),
    "confirm_called_back": ("确认已回电", "회답 전화 확인"),
    "marked_called_back": ("已标为已回电：{caller} 的留言。", "{caller}의 메시지를 회답 전화함으로 표시했습니다."),
    "undo_called_back": ("撤销，改回“新留言”", "되돌리기, \"새 메시지\"로"),
    "unmarked": ("已改回新留言：{caller} 的留言。", "{caller}의 메시지를 새 메시지로 되돌렸습니다."),
    # Edits that cannot be made on the files as they are
    "edit_open_again": ("这一页打开以后，文件又被改过了：请重新打开这一页再改。",
                        "이 페이지를 연 뒤 파일이 바뀌였습니다: 페이지를 다시 열고 고치십시오."),
    "edit_does_not_parse": ("文件现在有格式错误，表格改不了：请先在“直接编辑”里按检查的说明改正。",
                            "파일에 지금 형식 오류가 있어 양식으로 고칠 수 없습니다: 먼저 \"직접 편집\"에서 검사의 "
                            "설명대로 고치십시오."),
    "edit_fix_raw": ("{file} 的写法和表格要求的不一样：请在“直接编辑”里改。",
                     "{file}의 쓰는 방식이 양식과 맞지 않습니다: \"직접 편집\"에서 고치십시오."),
    "office_id_taken": ("已经有代号为 {id} 的办公室：请换一个代号。",
                        "부호가 {id}인 부서가 이미 있습니다: 다른 부호를 쓰십시오."),
    "office_key_taken": ("菜单 {menu} 的按键 {press} 已经有用处：请选一个没用过的按键。",
                         "메뉴 {menu}의 {press}번은 이미 쓰고 있습니다: 쓰지 않은 번호를 고르십시오."),
    # Refusals
    "forbidden_title": ("没有权限", "권한이 없습니다"),
    "forbidden_role": ("这个页面要“{role}”角色才能使用；您的角色是“{mine}”。需要的话请找管理员。",
                       "이 페이지는 \"{role}\" 역할이 있어야 씁니다. 당신의 역할은 \"{mine}\"입니다. "
                       "필요하면 관리자에게 문의하십시오."),
    "role_viewer": ("查看员", "열람자"),
    "role_editor": ("编辑员", "편집자"),
    "role_admin": ("管理员", "관리자"),
    "back_home": ("返回首页", "첫 페이지로"),
}
