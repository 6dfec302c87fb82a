"""The catalogue of menus check messages: each has an id and its words in Chinese, Korean and English.

Staff read a problem in their own language (zh, or ko in the Chosŏn usage of Yanbian); English is kept for
operators who ask for it, and is what `str(problem)` gives. A message's words are templates whose {placeholders}
are filled from the problem's typed parameters; a parameter that is itself a word (a Term: "a list", "Korean")
is said in the same language as the sentence around it.

To add a check: add its entry here with all three languages (tests/test_wording.py fails otherwise), then
`check.report(path, "its.id", name=value)`. In Korean, `{name:는}` attaches a particle in its right form
(은/는, 이/가, 을/를, 과/와) and `{name:'는}` quotes the value first. Every language uses the same placeholders, except that English
may say a placeholder `name` as `name_en` (the same value with its noun in the singular or plural: "1 error",
"2 errors"), or add `_en` ones for its grammar alone (a verb that agrees with a count).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ivr.core.korean import PARTICLES, with_particle

Lang = Literal["zh", "ko", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "ko", "en")


@dataclass(frozen=True)
class Term:
    """A word used as a parameter, said in the language of the message it fills (TERMS holds its forms)."""

    key: str


Param = str | int | Term


@dataclass(frozen=True)
class Advice:
    """Advice shared by several messages (an entry whose words are only a fix), with its parameters."""

    wording: str
    params: tuple[tuple[str, Param], ...] = ()


def advice(wording: str, **params: Param) -> Advice:
    """Return shared advice by its catalogue id and parameters."""
    return Advice(wording, tuple(params.items()))


@dataclass(frozen=True)
class Phrase:
    """What is wrong and what to write instead, in one language; either may hold {placeholders}."""

    what: str
    fix: str = ""


@dataclass(frozen=True)
class Wording:
    """One check message in the three languages."""

    id: str
    zh: Phrase
    ko: Phrase
    en: Phrase

    def phrase(self, lang: Lang) -> Phrase:
        """Return the message's words in a language."""
        return {"zh": self.zh, "ko": self.ko, "en": self.en}[lang]


# Words used inside messages: (zh, ko, en).
TERMS: dict[str, tuple[str, str, str]] = {
    "nothing": ("空的（什么也没写）", "빈칸(아무것도 쓰지 않음)", "nothing"),
    "a_list": ("一个列表", "목록", "a list"),
    "a_mapping": ("几行“名称: 内容”", "'이름: 내용' 행들", "a mapping"),
    "lang_zh": ("中文（zh）", "중국어(zh)", "Mandarin (zh)"),
    "lang_ko": ("朝鲜语（ko）", "조선어(ko)", "Korean (ko)"),
    "operator": ("转总机", "교환대 련결", "the operator"),
    "back": ("返回上一级", "앞 메뉴로 돌아가기", "going back"),
    "repeat": ("重听本菜单", "메뉴 다시 듣기", "repeating the menu"),
    "menu": ("菜单", "메뉴", "menu"),
    "unit": ("单位", "단위", "unit"),
    "units": ("单位", "단위", "units"),
    "menus": ("菜单", "메뉴", "menus"),
    "menus_file": ("menu.yaml 里的菜单", "menu.yaml 의 메뉴", "menus in menu.yaml"),
    "units_file": ("units.yaml 里的单位", "units.yaml 의 단위", "units in units.yaml"),
    "schedules": ("schedules.yaml 里的作息时间", "schedules.yaml 의 업무시간표", "schedules in schedules.yaml"),
    "no_placeholders": ("没有花括号", "중괄호 없음", "no placeholders"),
}


def _w(wording_id: str, zh: tuple[str, str] | str, ko: tuple[str, str] | str,
       en: tuple[str, str] | str) -> Wording:
    def phrase(words: tuple[str, str] | str) -> Phrase:
        return Phrase(words) if isinstance(words, str) else Phrase(*words)
    return Wording(wording_id, phrase(zh), phrase(ko), phrase(en))


_ENTRIES = [
    # Files and folders ------------------------------------------------------------------------------------
    _w("folder.not_menus",
       ("不是菜单文件夹", "请给出放着 hotline.yaml、units.yaml 等菜单文件的文件夹"),
       ("메뉴 폴더가 아닙니다", "hotline.yaml, units.yaml 등 메뉴 파일이 들어 있는 폴더를 주십시오"),
       ("is not a folder of menus",
        "give the folder that holds hotline.yaml, units.yaml and the other menu files")),
    _w("folder.checker_failed",
       ("没能检查：检查程序出错了（{error}）", "这是热线软件的毛病：文件保持原样，请报告；来电者在此期间照常听到上一版好的菜单"),
       ("검사하지 못했습니다: 검사 프로그람이 오류를 냈습니다({error})",
        "이것은 열선 프로그람의 잘못입니다: 파일을 그대로 두고 알려주십시오. 그동안 전화한 사람들은 지난번의 "
        "올바른 메뉴를 듣습니다"),
       ("could not be checked: the checker failed with {error}",
        "this is a fault of the hotline software: keep the files as they are, report it, and callers keep the "
        "last good menus meanwhile")),
    _w("file.unreadable",
       ("读不出来（{reason}）", "请确认这个文件存在"),
       ("읽을 수 없습니다({reason})", "파일이 있는지 확인하십시오"),
       ("cannot be read ({reason})", "check the file exists")),
    _w("file.too_large",
       ("到这一行已超过 {megabytes} MB，菜单用不了这么大", "请确认保存的是正确的文件；整个热线的菜单只有几百 kB"),
       ("이 행에서 {megabytes} MB 를 넘습니다. 메뉴에는 이렇게 클 필요가 없습니다",
        "옳은 파일을 저장했는지 확인하십시오. 열선 메뉴 전체가 몇백 kB 입니다"),
       ("passes {megabytes} MB at this line, far more than menus need",
        "check that the right file was saved here; the whole hotline fits in a few hundred kB")),
    _w("file.not_utf8",
       ("不是 UTF-8 编码的文字（{reason}）", "请把文件另存为 UTF-8 编码（编辑器的“编码”菜单；GBK 文件要先转换）"),
       ("UTF-8 문자가 아닙니다({reason})",
        "파일을 UTF-8 로 다시 저장하십시오(편집기의 '인코딩' 메뉴. GBK 파일은 변환해야 합니다)"),
       ("is not UTF-8 text ({reason})",
        "save the file as UTF-8 (an editor's 'encoding' menu; GBK files must be converted)")),
    _w("file.too_many_values",
       ("写了超过 {count:,} 项内容", "请确认保存的是正确的文件"),
       ("{count:,} 개가 넘는 값이 있습니다", "옳은 파일을 저장했는지 확인하십시오"),
       ("holds more than {count:,} values", "check that the right file was saved here")),
    _w("file.too_deep",
       ("列表和分组套了超过 {depth} 层", "菜单只需要几层：看看是否有打开后没有关上的括号"),
       ("목록과 묶음이 {depth} 층 넘게 겹쳐 있습니다", "메뉴는 몇 층이면 됩니다: 열고 닫지 않은 괄호가 있는지 보십시오"),
       ("nests lists and mappings more than {depth} levels deep",
        "menus need a handful of levels: look for brackets opened and never closed")),
    _w("file.alias_expands",
       ("别名（*名字）展开后超过 {count:,} 项", "把内容直接写出来，或者少用别名套别名"),
       ("별명(*이름)을 펼치면 {count:,} 개가 넘습니다", "값을 직접 쓰거나 별명 안의 별명을 몇 번만 쓰십시오"),
       ("its aliases (*name) expand to more than {count:,} values",
        "write the values out, or use an alias of an alias only a few times")),
    _w("file.alias_loop",
       ("别名（*名字）指向了包含它自己的内容", "别名只能重复写在它前面、外面的内容"),
       ("별명(*이름)이 자기를 품은 내용을 가리킵니다", "별명은 앞에, 그리고 밖에 정의된 값만 되풀이할 수 있습니다"),
       ("an alias (*name) refers to the list or mapping it stands in",
        "an alias may only repeat a value defined before and outside it")),
    _w("file.not_yaml",
       ("格式读不懂（{detail}）", "请检查这一行的写法"),
       ("형식을 읽을 수 없습니다({detail})", "이 행의 쓰기 형식을 확인하십시오"),
       ("is not valid YAML ({detail})", "fix the YAML syntax")),
    _w("file.syntax",
       ("这一行的写法读不懂（{detail}）", "请对照上下几行的写法改正这一行"),
       ("이 행의 쓰기 형식을 읽을 수 없습니다({detail})", "우아래 행의 쓰기 형식과 맞추어 이 행을 고치십시오"),
       ("is not valid YAML: {detail}", "fix the YAML syntax on that line")),
    _w("file.duplicate_key",
       ("“{key}”写了两次（第一次在第{first}行）", "同一组里每个名称只能写一次：删掉一个，或者改个编号"),
       ("{key:'가} 두번 있습니다(처음은 {first}행)", "한 묶음 안에서 이름은 한번만 씁니다: 하나를 지우거나 번호를 바꾸십시오"),
       ("duplicate key '{key}' (first given on line {first})",
        "each key may appear once in a mapping; remove or renumber one of them")),
    _w("file.changed_meanwhile",
       ("在您编辑期间已被别人改过", "请重新打开表单，在现在的文件上重新修改"),
       ("편집하는 사이에 다른 사람이 고쳤습니다", "양식을 다시 열고 지금의 파일에서 다시 고치십시오"),
       ("was changed by someone else since this edit began",
        "open the form again and make the edit on the file as it is now")),
    # YAML writing slips ----------------------------------------------------------------------------------------
    _w("syntax.tab_indent",
       ("行首用了 Tab 键缩进", "行首只能用空格缩进，不能用 Tab 键"),
       ("행 앞을 탭 건으로 들여썼습니다", "들여쓰기는 탭 건이 아니라 빈칸으로 하십시오"),
       ("a tab is used for indentation", "YAML needs spaces: indent with spaces")),
    _w("syntax.tab_after_colon",
       ("“{key}”后面的冒号后用了 Tab 键", "冒号后面要空一格（按空格键），不要按 Tab 键：写成「{fixed}」"),
       ("'{key}' 뒤의 두점 다음에 탭 건을 썼습니다", "두점 다음에는 탭이 아니라 빈칸 하나를 두십시오: 「{fixed}」로 쓰십시오"),
       ("a tab follows the colon after '{key}'", "YAML needs a space there, not a tab: write '{fixed}'")),
    _w("syntax.tab_after_dash",
       ("列表项的“-”后面用了 Tab 键", "“-”后面要空一格（按空格键），不要按 Tab 键：写成「{fixed}」"),
       ("목록 항목의 '-' 다음에 탭 건을 썼습니다", "'-' 다음에는 탭이 아니라 빈칸 하나를 두십시오: 「{fixed}」로 쓰십시오"),
       ("a tab follows the '-' of a list item", "YAML needs a space there, not a tab: write '{fixed}'")),
    _w("syntax.full_width_colon",
       ("“{key}”后面的冒号是中文全角的“：”",
        "冒号要用英文半角的“:”，后面再空一格，不要用中文全角的“：”：写成「{fixed}」（输入冒号时切换到英文输入法）"),
       ("'{key}' 뒤의 두점이 중국어 입력법의 넓은 두점 '：' 입니다",
        "두점은 영문 두점 ':' 으로 쓰고 그 뒤에 빈칸 하나를 두십시오: 「{fixed}」로 쓰십시오(두점을 칠 때 영문 입력으로 "
        "바꾸십시오)"),
       ("'{key}' is followed by a full-width colon '：'",
        "YAML needs the ASCII colon and a space: write '{fixed}' (switch the keyboard to English input for the "
        "colon)")),
    _w("syntax.no_space_after_colon",
       ("“{written}”的冒号后面少了一个空格", "冒号后面要空一格：写成「{fixed}」"),
       ("'{written}'의 두점 다음에 빈칸이 없습니다", "두점 다음에 빈칸 하나를 두십시오: 「{fixed}」로 쓰십시오"),
       ("a space is missing after the colon in '{written}'", "write '{fixed}'")),
    _w("syntax.colon_in_value",
       ("“{key}”的内容里有“冒号+空格”，会被当成另一个名称", "把内容放进英文双引号里：写成「{key}: \"{value}\"」"),
       ("'{key}'의 내용에 '두점+빈칸' 이 있어 다른 이름으로 읽힙니다", "내용을 영문 따옴표로 묶으십시오: 「{key}: \"{value}\"」로 "
        "쓰십시오"),
       ("the value of '{key}' holds ': ', which YAML reads as another key",
        "put the value in quotes: {key}: \"{value}\"")),
    _w("syntax.unclosed_quote",
       ("这一行开头的引号 {quote} 没有结束", "在同一行末尾补上 {quote}：写成「{fixed}」"),
       ("이 행에서 연 따옴표 {quote:를} 닫지 않았습니다", "같은 행 끝에 {quote:를} 붙이십시오: 「{fixed}」로 쓰십시오"),
       ("the {quote} opened on this line is never closed",
        "end the text with {quote} on the same line: {fixed}")),
    _w("syntax.unclosed_list",
       ("这一行的“{opener}”没有关上", "在同一行末尾补上“{closers}”：写成「{fixed}」"),
       ("이 행에서 연 {opener:'를} 닫지 않았습니다", "같은 행 끝에 {closers:'를} 붙이십시오: 「{fixed}」로 쓰십시오"),
       ("the '{opener}' opened on this line is never closed",
        "end the list with '{closers}' on the same line: {fixed}")),
    _w("syntax.unclosed_mapping",
       ("这一行的“{opener}”没有关上", "在同一行末尾补上“{closers}”：写成「{fixed}」"),
       ("이 행에서 연 {opener:'를} 닫지 않았습니다", "같은 행 끝에 {closers:'를} 붙이십시오: 「{fixed}」로 쓰십시오"),
       ("the '{opener}' opened on this line is never closed",
        "end the mapping with '{closers}' on the same line: {fixed}")),
    _w("syntax.missing_colon",
       ("“{key}”后面少了冒号", "在名称后面加上英文冒号和一个空格：写成「{fixed}」"),
       ("'{key}' 뒤에 두점이 없습니다", "이름 뒤에 영문 두점과 빈칸 하나를 두십시오: 「{fixed}」로 쓰십시오"),
       ("the colon after '{key}' is missing", "write '{fixed}'")),
    _w("syntax.indent",
       ("这一行前面空了 {given} 格，而同一组的其他行空 {wanted} 格",
        "和旁边的行对齐，前面空 {wanted} 格：写成「{fixed}」"),
       ("이 행은 앞에 빈칸이 {given} 개인데 같은 묶음의 다른 행들은 {wanted} 개입니다",
        "옆의 행들과 맞추어 앞에 빈칸을 {wanted} 개 두십시오: 「{fixed}」로 쓰십시오"),
       ("this line is indented by {given} spaces where the lines of its block use {wanted}",
        "line it up with the keys beside it: '{fixed}'")),
    # Values -------------------------------------------------------------------------------------------------
    _w("doc.empty_one",
       ("是空的", "里面应当写“{sections}”这一部分"),
       ("비어 있습니다", "'{sections}' 부분이 있어야 합니다"),
       ("is empty", "it should hold the {sections} section")),
    _w("doc.empty_many",
       ("是空的", "里面应当写这几部分：{sections}"),
       ("비어 있습니다", "다음 부분들이 있어야 합니다: {sections}"),
       ("is empty", "it should hold the {sections} sections")),
    _w("value.not_mapping",
       ("这里应当是几行“名称: 内容”，现在是{given}", "每行写一个“名称: 内容”，比上一行多空几格"),
       ("여기에는 '이름: 내용' 행들이 와야 하는데 지금은 {given} 입니다", "한 행에 '이름: 내용' 하나씩, 웃행보다 들여서 쓰십시오"),
       ("must be a mapping of keys to values, not {given}", "write it as indented 'key: value' lines")),
    _w("key.unknown",
       ("这里不认识“{key}”这个名称", ""),
       ("여기서는 '{key}' 라는 이름을 쓰지 않습니다", ""),
       ("unknown key '{key}'", "")),
    _w("key.missing",
       ("少了“{key}”这一项", "在这里加上“{key}:”"),
       ("'{key}' 항목이 없습니다", "여기에 '{key}:' 를 더 쓰십시오"),
       ("the key '{key}' is missing", "add '{key}:' here")),
    _w("value.bad_id",
       ("“{value}”不能当编号用", "编号只用小写英文字母、数字和下划线，并以字母开头"),
       ("{value:'는} 번호(id)로 쓸 수 없습니다", "번호는 영문 소문자, 수자, 밑줄만 쓰고 글자로 시작하십시오"),
       ("'{value}' is not a valid id", "use lower-case letters, digits and underscores, starting with a letter")),
    _w("value.empty_text",
       ("这一项是空的，没有写内容", "在冒号后面空一格，写上内容"),
       ("이 항목이 비어 있습니다. 내용을 쓰지 않았습니다", "두점 다음에 빈칸 하나를 두고 내용을 쓰십시오"),
       ("must be a non-empty text, not nothing", "write the text after the colon")),
    _w("value.not_text",
       ("这里应当写一段文字，现在是{given}", "在冒号后面写上文字"),
       ("여기에는 글을 써야 하는데 지금은 {given} 입니다", "두점 다음에 글을 쓰십시오"),
       ("must be a non-empty text, not {given}", "write the text after the colon")),
    _w("text.too_long",
       ("有 {length} 个字，一段提示读出来太长了", "念给来电者听的一段话不要超过 {limit} 个字"),
       ("{length} 자나 되여 한번에 읽어주기에는 너무 깁니다", "전화한 사람에게 읽어주는 글은 {limit} 자 아래로 줄이십시오"),
       ("is {length} characters long, too long for one prompt",
        "keep a spoken text under {limit} characters")),
    _w("text.one_for_both",
       ("中文和朝鲜语只写了一段", "写成 {{zh: 中文, ko: 조선어}}，中文和朝鲜语各写一段"),
       ("중국어와 조선어를 한가지로만 썼습니다", "{{zh: 중국어, ko: 조선어}} 처럼 중국어와 조선어를 따로 쓰십시오"),
       ("gives one text for both languages", "write it as {{zh: ..., ko: ...}} with the Mandarin and the Korean text")),
    _w("text.missing_lang",
       ("缺少{language}的文字", "来电者听到的每段话都要有中文和朝鲜语两种：加上“{lang}:”"),
       ("{language} 글이 없습니다", "전화한 사람이 듣는 글은 모두 중국어와 조선어가 다 있어야 합니다: '{lang}:' 를 더 "
        "쓰십시오"),
       ("the {language} text is missing", "every caller-facing text needs both zh and ko; add '{lang}:'")),
    _w("text.ko_without_hangul",
       ("朝鲜语（ko）一栏里的“{text}”没有一个朝鲜文字，选朝鲜语的来电者会听到朝鲜语语音念汉字",
        "用朝鲜语（조선어）写这一栏"),
       ("조선어(ko) 칸의 '{text}'에 조선글이 하나도 없습니다. 조선어를 고른 사람은 조선어 음성이 한자를 읽는 것을 "
        "듣게 됩니다", "이 칸은 조선어로 쓰십시오"),
       ("the Korean (ko) text '{text}' contains no Hangul",
        "write it in Korean (조선어): callers who chose Korean hear it")),
    _w("text.zh_without_han",
       ("中文（zh）一栏里的“{text}”没有一个汉字，选中文的来电者会听到中文语音念别的文字", "用中文写这一栏"),
       ("중국어(zh) 칸의 '{text}'에 한자가 하나도 없습니다. 중국어를 고른 사람은 중국어 음성이 다른 글자를 읽는 것을 "
        "듣게 됩니다", "이 칸은 중국어(한자)로 쓰십시오"),
       ("the Mandarin (zh) text '{text}' contains no Chinese characters",
        "write it in Chinese: callers who chose Mandarin hear it")),
    _w("value.not_whole_number",
       ("应当是 {low} 到 {high} 之间的整数，现在是{given}", "只写数字，例如 {low}"),
       ("{low} 부터 {high} 사이의 옹근수여야 하는데 지금은 {given} 입니다", "수자만 쓰십시오. 례: {low}"),
       ("must be a whole number from {low} to {high}, not {given}", "write a plain number such as {low}")),
    _w("value.not_list",
       ("应当是一个列表，现在是{given}", "写成 [第一项, 第二项]"),
       ("목록이여야 하는데 지금은 {given} 입니다", "[첫째, 둘째] 처럼 쓰십시오"),
       ("must be a list, not {given}", "write it as [first, second]")),
    _w("value.not_postcode",
       ("“{value}”不是六位数的邮政编码", "写六位数字，例如 \"133100\""),
       ("{value:'는} 여섯자리 우편번호가 아닙니다", "여섯자리 수자를 쓰십시오. 례: \"133100\""),
       ("'{value}' is not a six-digit postcode", "write the six digits, as \"133100\"")),
    _w("value.not_date",
       ("“{value}”不是日期", "写成 年-月-日，例如 2027-01-01"),
       ("{value:'는} 날자가 아닙니다", "년-월-일 로 쓰십시오. 례: 2027-01-01"),
       ("'{value}' is not a date", "write it as YYYY-MM-DD, e.g. 2027-01-01")),
    _w("value.not_date_month",
       ("“{value}”不是日期（没有{month}月）", "写成 年-月-日，例如 2027-01-01"),
       ("{value:'는} 날자가 아닙니다({month}월은 없습니다)", "년-월-일 로 쓰십시오. 례: 2027-01-01"),
       ("'{value}' is not a date (there is no month {month})", "write it as YYYY-MM-DD, e.g. 2027-01-01")),
    _w("value.not_date_day",
       ("“{value}”不是日期（{year}年{month}月只有 {days} 天）", "写成 年-月-日，例如 2027-01-01"),
       ("{value:'는} 날자가 아닙니다({year}년 {month}월은 {days}일까지입니다)", "년-월-일 로 쓰십시오. 례: 2027-01-01"),
       ("'{value}' is not a date ({month_en} {year} has {days} days)",
        "write it as YYYY-MM-DD, e.g. 2027-01-01")),
    _w("value.not_month_day",
       ("“{value}”不是“月-日”", "写成带英文引号的 月-日，例如 \"05-01\""),
       ("{value:'는} '월-일' 이 아닙니다", "영문 따옴표 안에 월-일 로 쓰십시오. 례: \"05-01\""),
       ("'{value}' is not a month and day", "write it as MM-DD in quotes, e.g. \"05-01\"")),
    _w("value.not_time",
       ("“{value}”不是时间", "写成带英文引号的 时:分，例如 \"11:30\""),
       ("{value:'는} 시간이 아닙니다", "영문 따옴표 안에 시:분 으로 쓰십시오. 례: \"11:30\""),
       ("'{value}' is not a time of day", "write it as \"HH:MM\" in quotes, e.g. \"11:30\"")),
    _w("hours.not_list",
       ("应当是开放时段的列表，现在是{given}", "写成 [\"08:00-11:30\", \"13:00-16:30\"]"),
       ("열려 있는 시간대의 목록이여야 하는데 지금은 {given} 입니다", "[\"08:00-11:30\", \"13:00-16:30\"] 처럼 쓰십시오"),
       ("must be a list of opening periods, not {given}", "write it as [\"08:00-11:30\", \"13:00-16:30\"]")),
    _w("hours.overlap",
       ("时段 {after} 和 {before} 重叠了", "每个时段要在下一个时段开始前结束"),
       ("시간대 {after:와} {before:가} 겹칩니다", "시간대마다 다음 시간대가 시작되기 전에 끝나게 하십시오"),
       ("the opening period {after} overlaps {before}", "make each period end before the next one starts")),
    _w("hours.full_width",
       ("“{value}”里用了中文全角的 {marks}", "冒号要用英文半角的“:”，不要用中文全角的“：”（横线、数字也一样）：写成「\"{fixed}\"」"),
       ("'{value}'에 중국어 입력법의 넓은 글자 {marks:를} 썼습니다",
        "두점은 중국어 입력법의 넓은 두점 '：' 이 아니라 영문 두점 ':' 으로 쓰십시오(줄표, 수자도 같습니다): 「\"{fixed}\"」로 쓰십시오"),
       ("'{value}' is written with the full-width {marks} of Chinese input",
        "write it with ASCII characters: \"{fixed}\"")),
    _w("hours.bad_clock",
       ("“{value}”里的“{wrong}”不是一个时间", "小时从 00 到 23，分钟从 00 到 59"),
       ("'{value}'의 {wrong:'는} 시간이 아닙니다", "시는 00 부터 23 까지, 분은 00 부터 59 까지입니다"),
       ("'{wrong}' in '{value}' is not a time of day", "hours run from 00 to 23 and minutes from 00 to 59")),
    _w("hours.not_period",
       ("“{value}”不是开放时段", "写成带英文引号的 开始-结束，例如 \"08:00-11:30\""),
       ("{value:'는} 열려 있는 시간대가 아닙니다", "영문 따옴표 안에 시작-끝 으로 쓰십시오. 례: \"08:00-11:30\""),
       ("'{value}' is not an opening period", "write it as \"HH:MM-HH:MM\" in quotes, e.g. \"08:00-11:30\"")),
    _w("hours.backwards",
       ("时段“{value}”结束得比开始还早", "先写开门时间，再写关门时间，在同一天之内"),
       ("시간대 {value:'는} 시작보다 먼저 끝납니다", "여는 시간을 먼저, 닫는 시간을 뒤에, 같은 날 안에서 쓰십시오"),
       ("the opening period '{value}' ends before it starts",
        "write the opening time first, then the closing time, on the same day")),
    # Phone numbers --------------------------------------------------------------------------------------------
    _w("phone.empty",
       ("电话号码是空的", "写上带区号的座机号码（0433-NNNNNNN）、11位手机号或 400/800 号码；没有电话就删掉这一行"),
       ("전화번호가 비어 있습니다",
        "지역번호를 붙인 고정전화 번호(0433-NNNNNNN), 11자리 손전화 번호 또는 400/800 번호를 쓰십시오. 전화가 없으면 이 "
        "행을 지우십시오"),
       ("the phone number is empty",
        "write a landline with its area code (0433-NNNNNNN), an 11-digit mobile or a 400/800 number, or remove "
        "the line when there is no phone")),
    _w("phone.invalid",
       ("“{number}”不是有效的中国电话号码", "写带区号的座机号码（0433-NNNNNNN）、11位手机号或 400/800 号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다",
        "지역번호를 붙인 고정전화 번호(0433-NNNNNNN), 11자리 손전화 번호 또는 400/800 번호를 쓰십시오"),
       ("'{number}' is not a valid Chinese phone number",
        "write a landline with its area code (0433-NNNNNNN), an 11-digit mobile or a 400/800 number")),
    _w("phone.not_china",
       ("“{number}”不是中国的电话号码", "热线只能转到中国的电话：写带区号的座机号码（0433-NNNNNNN）、11位手机号或 400/800 号码"),
       ("{number:'는} 중국의 전화번호가 아닙니다",
        "열선은 중국 안의 전화로만 련결합니다: 지역번호를 붙인 고정전화 번호(0433-NNNNNNN), 11자리 손전화 번호 또는 "
        "400/800 번호를 쓰십시오"),
       ("'{number}' is not a number in China",
        "the hotline forwards to Chinese lines only; write a landline with its area code (0433-NNNNNNN), an "
        "11-digit mobile or a 400/800 number")),
    _w("phone.mobile_length",
       ("“{number}”不是有效的中国电话号码：手机号是 {expected} 位，这个是 {given} 位", "请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 손전화 번호는 {expected} 자리인데 이것은 {given} 자리입니다",
        "해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: a mobile number has {expected} digits and this one has "
        "{given}", "check the number with the office")),
    _w("phone.service_length",
       ("“{number}”不是有效的中国电话号码：{prefix} 号码是 {expected} 位（{prefix} 后面再 7 位），这个是 {given} 位",
        "请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: {prefix} 번호는 {expected} 자리({prefix} 뒤에 7자리)인데 이것은 "
        "{given} 자리입니다", "해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: a {prefix} number has {expected} digits ({prefix} and "
        "7 more) and this one has {given}", "check the number with the office")),
    _w("phone.no_area_code",
       ("“{number}”不是有效的中国电话号码：没有区号", "在号码前写上区号，例如图们的号码写成 0433-{digits}"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 지역번호가 없습니다",
        "번호 앞에 지역번호를 쓰십시오. 례: 도문의 번호는 0433-{digits}"),
       ("'{number}' is not a valid Chinese phone number: it has no area code",
        "write the area code before it, e.g. 0433-{digits} for a number in Tumen")),
    _w("phone.bad_area",
       ("“{number}”不是有效的中国电话号码：0{area} 不是中国的区号", "请向该单位核对区号"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 0{area:는} 중국의 지역번호가 아닙니다",
        "해당 단위에 지역번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: 0{area} is not an area code in China",
        "check the area code with the office")),
    _w("phone.local_short_one",
       ("“{number}”不是有效的中国电话号码：区号后面的 {local} 是 {given} 位，0{area} 的号码应是 {expected} 位",
        "少了一位数字：请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 지역번호 뒤의 {local:은} {given} 자리인데 0{area} 번호는 "
        "{expected} 자리입니다", "수자가 하나 모자랍니다: 해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: the local number {local} has {given} digits where "
        "0{area} numbers have {expected}", "a digit is missing: check the number with the office")),
    _w("phone.local_short",
       ("“{number}”不是有效的中国电话号码：区号后面的 {local} 是 {given} 位，0{area} 的号码应是 {expected} 位",
        "少了 {count} 位数字：请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 지역번호 뒤의 {local:은} {given} 자리인데 0{area} 번호는 "
        "{expected} 자리입니다", "수자가 {count} 개 모자랍니다: 해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: the local number {local} has {given} digits where "
        "0{area} numbers have {expected}", "{count} digits are missing: check the number with the office")),
    _w("phone.local_long_one",
       ("“{number}”不是有效的中国电话号码：区号后面的 {local} 是 {given} 位，0{area} 的号码应是 {expected} 位",
        "多了一位数字：请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 지역번호 뒤의 {local:은} {given} 자리인데 0{area} 번호는 "
        "{expected} 자리입니다", "수자가 하나 더 많습니다: 해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: the local number {local} has {given} digits where "
        "0{area} numbers have {expected}", "there is a digit too many: check the number with the office")),
    _w("phone.local_long",
       ("“{number}”不是有效的中国电话号码：区号后面的 {local} 是 {given} 位，0{area} 的号码应是 {expected} 位",
        "多了 {count} 位数字：请向该单位核对号码"),
       ("{number:'는} 올바른 중국 전화번호가 아닙니다: 지역번호 뒤의 {local:은} {given} 자리인데 0{area} 번호는 "
        "{expected} 자리입니다", "수자가 {count} 개 더 많습니다: 해당 단위에 번호를 확인하십시오"),
       ("'{number}' is not a valid Chinese phone number: the local number {local} has {given} digits where "
        "0{area} numbers have {expected}", "there are {count} digits too many: check the number with the office")),
    # What `ivr validate` and `ivr menus publish` say after the problems -----------------------------------------
    _w("summary.not_loaded",
       "{folder}：{errors} 个错误，{warnings} 个提醒；菜单没有载入，请按上面的说明改正错误",
       "{folder}: 오류 {errors} 개, 주의 {warnings} 개. 메뉴를 읽어들이지 못했습니다. 우의 설명대로 오류를 고치십시오",
       "{folder}: {errors_en}, {warnings_en}; the menus were not loaded, fix the errors above"),
    _w("summary.ok",
       "{folder}：检查通过，{units} 个单位、{menus} 个菜单、{prompts} 条提示语，{languages} 种语言；{warnings} 个提醒",
       "{folder}: 검사를 통과했습니다. 단위 {units} 개, 메뉴 {menus} 개, 안내말 {prompts} 개, {languages} 가지 언어. "
       "주의 {warnings} 개",
       "{folder}: OK, {units_en}, {menus_en}, {prompts_en} in {languages} languages; {warnings_en}"),
    _w("summary.publish_refused",
       "{folder}：{errors} 个错误，什么也没有发布，请按上面的说明改正错误",
       "{folder}: 오류 {errors} 개. 아무것도 발표하지 않았습니다. 우의 설명대로 오류를 고치십시오",
       "{folder}: {errors_en}; nothing was published, fix the errors above"),
    # Hints shared by several messages (fix only) -------------------------------------------------------------------
    _w("hint.did_you_mean",
       ("", "您是不是想写“{close}”？"), ("", "{close:'를} 쓰려던 것이 아닙니까?"), ("", "did you mean '{close}'?")),
    _w("hint.keys_allowed",
       ("", "这里可以写的名称有：{allowed}"), ("", "여기에 쓸 수 있는 이름: {allowed}"),
       ("", "the keys allowed here are {allowed}")),
    _w("hint.use_one_of",
       ("", "请用已有的{what}之一：{names}"), ("", "있는 {what} 가운데 하나를 쓰십시오: {names}"),
       ("", "use one of the {what}: {names}")),
    _w("hint.none_yet",
       ("", "现在还没有任何{what}"), ("", "아직 {what:가} 하나도 없습니다"), ("", "there are no {what} yet")),
    _w("hint.weekday",
       ("", "写星期几的英文缩写（mon、tue、wed、thu、fri、sat、sun）或一个范围，例如 mon-fri"),
       ("", "요일의 영문 줄임말(mon, tue, wed, thu, fri, sat, sun)이나 그 범위를 쓰십시오. 례: mon-fri"),
       ("", "write a weekday (mon, tue, wed, thu, fri, sat, sun) or a range of them, e.g. mon-fri")),
    _w("hint.did_you_mean_season",
       ("", "您是不是想写季节“{close}”？"), ("", "계절 {close:'를} 쓰려던 것이 아닙니까?"),
       ("", "did you mean the season '{close}'?")),
    # hotline.yaml, units.yaml, menu.yaml ------------------------------------------------------------------------
    _w("hotline.operator_not_unit",
       ("总机“{value}”不是一个单位", "写 units.yaml 里局本部的单位编号"),
       ("교환대 {value:'는} 단위가 아닙니다", "units.yaml 에 있는 국 본부의 단위 번호를 쓰십시오"),
       ("'{value}' is not a unit", "name the bureau's unit id from units.yaml")),
    _w("hotline.unknown_speech_model",
       ("“{model}”不是本热线能用的{language}语音识别模型", "请用其中之一：{models}"),
       ("{model:'는} 이 전화봉사에서 {language}에 쓸 수 있는 음성 인식 모형이 아닙니다",
        "다음 가운데 하나를 쓰십시오: {models}"),
       ("'{model}' is not a speech model the hotline can use for {language}", "use one of {models}")),
    _w("hotline.speech_language_mismatch",
       ("“{language_code}”不是模型“{model}”识别{language}时用的代码", "写成 language: {expected}"),
       ("{language_code:'는} 모형 {model:'가} {language}에 쓰는 코드가 아닙니다",
        "language: {expected} 로 쓰십시오"),
       ("'{language_code}' is not the code the model '{model}' takes for {language}",
        "write language: {expected}")),
    _w("hotline.operator_no_phone",
       ("总机所在的单位没有电话", "给它写上总机号码"),
       ("교환대 단위에 전화번호가 없습니다", "대표 전화번호를 쓰십시오"),
       ("the operator unit has no phone line", "give it its main line")),
    _w("hotline.bad_timezone",
       ("“{value}”不是时区", "写 Asia/Shanghai"),
       ("{value:'는} 시간대가 아닙니다", "Asia/Shanghai 로 쓰십시오"),
       ("'{value}' is not a time zone", "write Asia/Shanghai")),
    _w("hotline.bad_language_key",
       ("“{key}”不是 1 到 9 的按键", "写一个数字，例如 \"1\""),
       ("{key:'는} 1 부터 9 까지의 건이 아닙니다", "수자 하나를 쓰십시오. 례: \"1\""),
       ("'{key}' is not a key from 1 to 9", "give one digit, e.g. \"1\"")),
    _w("hotline.language_key_taken",
       ("按键 {key} 已经是“{other}”的键", "每种语言用自己的键"),
       ("건 {key:는} 이미 '{other}'의 건입니다", "언어마다 다른 건을 쓰십시오"),
       ("key {key} is already the key of '{other}'", "give each language its own key")),
    _w("seasons.gap",
       ("{day}（月-日）不在任何季节里", "让各季节的 from/to 正好覆盖一年里的每一天，每天一次"),
       ("{day}(월-일)는 어느 계절에도 들지 않습니다", "계절들의 from/to 가 한해의 모든 날을 한번씩 덮게 하십시오"),
       ("{day} is in no season", "make the seasons' from/to ranges cover every day of the year once")),
    _w("seasons.overlap",
       ("{day}（月-日）同时在 {seasons} 几个季节里", "让各季节的 from/to 正好覆盖一年里的每一天，每天一次"),
       ("{day}(월-일)는 {seasons} 계절에 다 듭니다", "계절들의 from/to 가 한해의 모든 날을 한번씩 덮게 하십시오"),
       ("{day} is in both {seasons}", "make the seasons' from/to ranges cover every day of the year once")),
    _w("units.none",
       ("一个单位也没有写", "在“units:”下面写上局本部和各单位"),
       ("단위가 하나도 없습니다", "'units:' 아래에 국 본부와 각 단위를 쓰십시오"),
       ("declares no units", "add the bureau and its offices under 'units:'")),
    _w("units.too_many",
       ("写了 {count:,} 个单位，超过热线最多的 {limit:,} 个", "请确认保存的是正确的文件"),
       ("단위가 {count:,} 개로 열선의 최대 {limit:,} 개를 넘습니다", "옳은 파일을 저장했는지 확인하십시오"),
       ("declares {count:,} units, more than the {limit:,} a hotline may have",
        "check that the right file was saved here")),
    _w("units.not_unit",
       ("“{value}”不是一个单位", ""), ("{value:'는} 단위가 아닙니다", ""), ("'{value}' is not a unit", "")),
    _w("units.bad_kind",
       ("“{value}”不是单位的种类", "写 bureau（局）、department（科室）或 agency（下属单位）"),
       ("{value:'는} 단위의 종류가 아닙니다", "bureau(국), department(과) 또는 agency(소속 단위)를 쓰십시오"),
       ("'{value}' is not a kind of unit", "use bureau, department or agency")),
    _w("units.one_schedule",
       ("一个单位只用一个作息时间", "按星期不同的时间写在 schedules.yaml 的那个作息时间里：{example}"),
       ("한 단위는 업무시간표 하나만 씁니다", "요일마다 다른 시간은 schedules.yaml 의 그 업무시간표 안에 쓰십시오: {example}"),
       ("a unit keeps one schedule", "give hours that differ by weekday inside that schedule in schedules.yaml: "
        "{example}")),
    _w("units.not_schedule",
       ("“{value}”不是一个作息时间", ""), ("{value:'는} 업무시간표가 아닙니다", ""), ("'{value}' is not a schedule", "")),
    _w("menus.not_menu",
       ("“{value}”不是一个菜单", ""), ("{value:'는} 메뉴가 아닙니다", ""), ("'{value}' is not a menu", "")),
    _w("menus.no_options",
       ("菜单至少要有一个选项", "在 1 到 9 的某个键下加一个选项"),
       ("메뉴에는 선택 항목이 하나는 있어야 합니다", "1 부터 9 까지의 건 하나에 항목을 더 쓰십시오"),
       ("a menu needs at least one option", "add an option under a key 1 to 9")),
    _w("menus.reserved_key",
       ("按键“{key}”在每一级都留作{meaning}", "用 1 到 9 的键"),
       ("건 {key:'는} 모든 단계에서 {meaning} 에 씁니다", "1 부터 9 까지의 건을 쓰십시오"),
       ("key '{key}' is reserved for {meaning} at every level", "use a key from 1 to 9")),
    _w("menus.bad_key",
       ("“{key}”不是电话按键", "用 1 到 9 中的一个键，加英文引号：\"1\""),
       ("{key:'는} 전화 건이 아닙니다", "1 부터 9 까지의 건 하나를 영문 따옴표 안에 쓰십시오: \"1\""),
       ("'{key}' is not a phone key", "use a single key from 1 to 9, in quotes: \"1\"")),
    _w("menus.two_targets",
       ("一个选项只能通向一个地方", "写“menu:”或“unit:”，不要两个都写"),
       ("한 항목은 한곳으로만 갑니다", "'menu:' 나 'unit:' 가운데 하나만 쓰십시오"),
       ("an option leads to exactly one place", "give either 'menu:' or 'unit:', not both")),
    _w("menus.not_target",
       ("“{value}”不是一个{kind}", ""), ("{value:'는} {kind:가} 아닙니다", ""), ("'{value}' is not a {kind}", "")),
    _w("menus.loop",
       ("菜单绕成了一个圈：{loop}", "下一级菜单不能再通回上面的菜单；按“*”本来就能返回"),
       ("메뉴가 빙 돌아 제자리로 옵니다: {loop}", "아래 메뉴가 웃 메뉴로 다시 이어지면 안 됩니다. '*' 로 이미 돌아갈 수 "
        "있습니다"),
       ("the menus form a loop: {loop}",
        "a submenu must not lead back to a menu above it; '*' already goes back")),
    _w("units.unreached",
       ("没有哪个菜单能到单位“{unit}”", "在 menu.yaml 里给它加一个选项"),
       ("어느 메뉴에서도 단위 '{unit}' 로 갈 수 없습니다", "menu.yaml 에 그 단위로 가는 항목을 더 쓰십시오"),
       ("no menu reaches the unit '{unit}'", "add an option for it in menu.yaml")),
    _w("units.too_deep",
       ("到单位“{unit}”要按 {presses} 次键", "来电者最多按 {limit} 次就应该能到每个单位；把它往上挪一级"),
       ("단위 '{unit}' 까지 건을 {presses} 번 눌러야 합니다", "전화한 사람이 {limit} 번 안에 모든 단위에 닿아야 합니다. "
        "한 단계 우로 올리십시오"),
       ("the unit '{unit}' needs {presses} key presses",
        "callers should reach every unit within {limit}; move it up a level")),
    _w("menus.unreached",
       ("没有哪个菜单通向菜单“{menu}”", "给它加一个选项，或者删掉它"),
       ("어느 메뉴에서도 메뉴 '{menu}' 로 가지 않습니다", "그리로 가는 항목을 더 쓰거나 그 메뉴를 지우십시오"),
       ("no menu leads to the menu '{menu}'", "add an option for it, or remove it")),
    _w("menus.too_long",
       ("{language}菜单念一遍约 {seconds:.0f} 秒，超过 {limit} 秒", "缩短选项名称（和开场白），或把一些选项移到下一级菜单"),
       ("{language} 메뉴를 한번 읽는 데 약 {seconds:.0f} 초 걸려 {limit} 초를 넘습니다",
        "항목 이름(과 첫 안내말)을 줄이거나 몇 항목을 아래 메뉴로 옮기십시오"),
       ("the {language} menu takes about {seconds:.0f} s to say, more than {limit} s",
        "shorten its labels (and intro), or move options into a submenu")),
    # Prompts and recordings ------------------------------------------------------------------------------------
    _w("prompts.missing",
       ("缺少提示语“{prompt}”", "加上“{prompt}:”，写上它的中文（zh）和朝鲜语（ko）"),
       ("안내말 {prompt:'가} 없습니다", "'{prompt}:' 를 더 쓰고 중국어(zh)와 조선어(ko) 글을 쓰십시오"),
       ("the prompt '{prompt}' is missing", "add '{prompt}:' with its zh and ko texts")),
    _w("prompts.unknown",
       ("热线不会念“{prompt}”这条提示语", "对照本文件里列出的提示语检查拼写"),
       ("열선은 '{prompt}' 라는 안내말을 읽지 않습니다", "이 파일에 있는 안내말 이름과 맞춤법을 대조하십시오"),
       ("'{prompt}' is not a prompt the hotline says",
        "check the spelling against the prompts listed in this file")),
    _w("prompts.bad_particle",
       ("“{placeholder}”要的助词“{particle}”不认识", "冒号后面用 {particles} 之一，或者不写"),
       ("'{placeholder}'의 토 {particle:'를} 알 수 없습니다", "두점 다음에 {particles} 가운데 하나를 쓰거나 쓰지 마십시오"),
       ("'{placeholder}' asks for an unknown particle '{particle}'",
        "use one of {particles} after the colon, or none")),
    _w("prompts.placeholders",
       ("用了 {used}，而热线填进去的是 {allowed}", "这条提示语里花括号 {{…}} 的部分保持原样，不要改"),
       ("{used:를} 썼는데 열선이 채워 넣는 것은 {allowed} 입니다", "이 안내말의 중괄호 {{…}} 부분은 그대로 두십시오"),
       ("uses {used} where the hotline fills in {allowed}", "keep the {{placeholders}} of this prompt as they are")),
    _w("audio.bad_path",
       ("“{name}”不是录音文件夹里的 .wav 或 .mp3 文件", "写录音文件夹下的路径，例如 zh/greeting.wav"),
       ("{name:'는} 록음 폴더 안의 .wav 나 .mp3 파일이 아닙니다", "록음 폴더 아래의 경로를 쓰십시오. 례: zh/greeting.wav"),
       ("'{name}' is not a .wav or .mp3 file inside the audio folder",
        "write the path under the audio folder, e.g. zh/greeting.wav")),
    _w("audio.missing",
       ("录音“{name}”在 {folder} 里找不到", "把文件放进去，或者删掉这一行，改用合成语音"),
       ("록음 {name:'가} {folder} 에 없습니다", "파일을 넣거나 이 행을 지워 합성 음성을 리용하십시오"),
       ("the recording '{name}' does not exist in {folder}",
        "add the file, or remove this line to use the synthesized voice")),
    _w("audio.unreadable",
       ("录音“{name}”读不出来", "让热线服务的用户有权限读它"),
       ("록음 {name:'를} 읽을 수 없습니다", "열선 봉사 프로그람의 리용자가 읽을 수 있게 권한을 주십시오"),
       ("the recording '{name}' cannot be read", "give the service's user permission to read it")),
    _w("audio.not_audio",
       ("“{name}”不是 WAV 或 MP3 录音（里面是别的内容）", "重新导出为 8 kHz 单声道 WAV 或 MP3"),
       ("{name:'는} WAV 나 MP3 록음이 아닙니다(안의 내용이 다른 것입니다)", "8 kHz 단음 WAV 나 MP3 로 다시 내보내십시오"),
       ("'{name}' is not a WAV or MP3 recording (its content is something else)",
        "export it again as 8 kHz mono WAV or as MP3")),
    # calendar.yaml ---------------------------------------------------------------------------------------------
    _w("calendar.holiday_unnamed",
       ("节日“{key}”没有念给来电者听的名称", "加上“{key}: {{zh: ..., ko: ...}}”"),
       ("명절 '{key}'에 전화한 사람이 들을 이름이 없습니다", "'{key}: {{zh: ..., ko: ...}}' 를 더 쓰십시오"),
       ("the holiday '{key}' has no spoken name", "add '{key}: {{zh: ..., ko: ...}}'")),
    _w("calendar.not_year",
       ("“{value}”不是年份", "写年份，例如 2027:"),
       ("{value:'는} 년도가 아닙니다", "년도를 쓰십시오. 례: 2027:"),
       ("'{value}' is not a year", "write the year, e.g. 2027:")),
    _w("calendar.replaces_official",
       ("chinese-calendar 已经有国务院 {year} 年的放假通知；这一段会替换全年的通知",
        "只有列出全年每个假日和调休上班日时才保留它；个别变动请写在 closures: 和 openings: 下"),
       ("chinese-calendar 에 이미 국무원의 {year} 년 휴일 통지가 있습니다. 이 부분은 한해 전체의 통지를 바꿉니다",
        "한해의 모든 휴일과 보충근무일을 다 적었을 때만 남기십시오. 하루하루의 변동은 closures: 와 openings: 에 "
        "쓰십시오"),
       ("chinese-calendar already has the State Council's notice for {year}; this block replaces it for the "
        "whole year", "keep it only if it lists every holiday and make-up day of the year; for one-off changes use "
        "closures: and openings:")),
    _w("calendar.workday_and_holiday",
       ("{day} 既写成调休上班日，又写成假日（第{other}行）", "核对通知：一天要么是假日，要么是上班日"),
       ("{day:를} 보충근무일로도, 휴일로도 썼습니다({other}행)", "통지를 확인하십시오: 하루는 휴일이거나 근무일입니다"),
       ("{day} is listed as a make-up working day and also as a holiday (line {other})",
        "check the notice: a day is either a holiday or a working day")),
    _w("calendar.not_days",
       ("应当是日期的列表", "每一条写在以“- ”开头的一行上"),
       ("날자들의 목록이여야 합니다", "한 항목씩 '- ' 로 시작하는 행에 쓰십시오"),
       ("must be a list of days", "write each entry on a line starting with '- '")),
    _w("calendar.hours_and_closes",
       ("同时写了 hours: 和 closes:", "所有单位都提前下班的日子写 closes: \"11:30\"，有自己时间的写 hours: [\"08:00-11:30\"]"),
       ("hours: 와 closes: 를 다 썼습니다",
        "모든 단위가 일찍 끝나는 날은 closes: \"11:30\", 따로 시간이 있는 날은 hours: [\"08:00-11:30\"] 로 쓰십시오"),
       ("gives both hours: and closes:", "write closes: \"11:30\" for a day every unit ends early, or hours: "
        "[\"08:00-11:30\"] for hours of its own")),
    _w("calendar.neither_hours_nor_closes",
       ("hours: 和 closes: 都没有写", "所有单位都提前下班的日子写 closes: \"11:30\"，有自己时间的写 hours: [\"08:00-11:30\"]"),
       ("hours: 도 closes: 도 없습니다",
        "모든 단위가 일찍 끝나는 날은 closes: \"11:30\", 따로 시간이 있는 날은 hours: [\"08:00-11:30\"] 로 쓰십시오"),
       ("gives neither hours: nor closes:", "write closes: \"11:30\" for a day every unit ends early, or hours: "
        "[\"08:00-11:30\"] for hours of its own")),
    _w("calendar.no_period",
       ("没有写开放时段", "一整天不开门的日子是闭馆日：写在 closures: 下"),
       ("열려 있는 시간대가 없습니다", "하루 종일 닫는 날은 휴무일입니다: closures: 아래에 쓰십시오"),
       ("gives no opening period", "a day without hours is a closure: list it under closures:")),
    _w("calendar.no_day",
       ("没有写日期", "写 date: 年-月-日，或者用 from: 和 to: 写一段日子"),
       ("날자가 없습니다", "date: 년-월-일 을 쓰거나 from: 과 to: 로 기간을 쓰십시오"),
       ("gives no day", "write date: YYYY-MM-DD, or from: and to: for a range")),
    _w("calendar.range_backwards",
       ("这段日子结束（{last}）比开始（{first}）还早", "把 from 和 to 对调"),
       ("이 기간은 시작({first})보다 먼저 끝납니다({last})", "from 과 to 를 서로 바꾸십시오"),
       ("the range ends ({last}) before it starts ({first})", "swap from and to")),
    _w("calendar.wrong_year",
       ("{first}–{last} 这几天不在 {year} 年", "一份通知只列本年的日子：核对这些日期和“{year}:”的年份"),
       ("{first}–{last:는} {year} 년의 날이 아닙니다", "통지에는 그해의 날만 씁니다: 이 날자들과 '{year}:' 의 년도를 "
        "확인하십시오"),
       ("the days {first}–{last} are not in {year}",
        "a notice lists the days of its own year: check the year of these dates and of '{year}:'")),
    _w("calendar.not_holiday_name",
       ("“{value}”不是 holiday_names 里的一项", "用 holiday_names 里的名称，或写成 {{zh: ..., ko: ...}}"),
       ("{value:'는} holiday_names 에 없습니다", "holiday_names 의 이름을 쓰거나 {{zh: ..., ko: ...}} 로 쓰십시오"),
       ("'{value}' is not one of the holiday_names", "use a key from holiday_names, or write {{zh: ..., ko: ...}}")),
    _w("calendar.year_unknown",
       ("国务院 {year} 年的放假和调休上班日还不知道（chinese-calendar 只知道 {first}-{last} 年），而今后 {days} 天已到 "
        "{year} 年；在那之前 {year} 年只按法定节日放假，没有调休上班日",
        "通知公布后，把它抄到 calendar.yaml 的“state_council: {year}:”下"),
       ("국무원의 {year} 년 휴일과 보충근무일을 아직 모릅니다(chinese-calendar 는 {first}-{last} 년만 압니다). 앞으로 "
        "{days} 일이 {year} 년에 들어갑니다. 그때까지 {year} 년은 법정 명절만 쉬고 보충근무일은 없습니다",
        "통지가 나오면 calendar.yaml 의 'state_council: {year}:' 아래에 옮겨 쓰십시오"),
       ("the State Council's holidays and make-up working days (调休) for {year} are not known yet "
        "(chinese-calendar knows {first}-{last}) and the next {days} days reach into it; until then {year} uses "
        "the statutory holidays only, with no make-up working days",
        "when the notice is published, copy it under 'state_council: {year}:' in calendar.yaml")),
    # schedules.yaml ----------------------------------------------------------------------------------------------
    _w("schedule.change_order",
       ("从 {since} 起的变动没有排在从 {previous} 起的变动之后", "按日期先后排列变动，每个都从更晚的一天开始"),
       ("{since} 부터의 변동이 {previous} 부터의 변동 뒤에 오지 않습니다", "변동들을 날자 차례로, 하나하나 더 늦은 날부터 "
        "쓰십시오"),
       ("the change from {since} does not come after the change from {previous}",
        "list the changes in date order, each from a later day")),
    _w("schedule.weekday_beside_hours",
       ("“{key}”的时间写在了 hours: 旁边，而不是下面", "每个星期几的时间写在 hours: 下面，例如 {example}"),
       ("'{key}'의 시간을 hours: 아래가 아니라 옆에 썼습니다", "요일마다의 시간은 hours: 아래에 쓰십시오. 례: {example}"),
       ("the hours of '{key}' are written beside hours:, not under it",
        "give each weekday's hours under hours:, e.g. {example}")),
    _w("schedule.not_changes",
       ("应当是变动的列表", "每个变动写在以“- from: 年-月-日”开头的一行上"),
       ("변동들의 목록이여야 합니다", "변동마다 '- from: 년-월-일' 로 시작하는 행에 쓰십시오"),
       ("must be a list of changes", "write each on a line starting with '- from: YYYY-MM-DD'")),
    _w("schedule.season_missing",
       ("没有写 {season} 季节的时间", "加上“{season}:”和它的时段，或者全年只写一个列表"),
       ("{season} 계절의 시간이 없습니다", "'{season}:' 와 그 시간대를 더 쓰거나 한해 전체에 목록 하나만 쓰십시오"),
       ("no hours are given for the {season} season",
        "add '{season}:' with its periods, or write one list for the whole year")),
    _w("schedule.days_missing",
       ("没有写哪几天上班", "在作息时间里加上“days: [mon-fri]”，或者按星期几分别写时间（mon-thu: [...], fri: [...]）"),
       ("근무일이 없습니다", "업무시간표에 'days: [mon-fri]' 를 더 쓰거나 요일마다 시간을 쓰십시오(mon-thu: [...], fri: [...])"),
       ("the working days are not given",
        "add 'days: [mon-fri]' to the schedule, or give the hours per weekday (mon-thu: [...], fri: [...])")),
    _w("schedule.not_week",
       ("应当是开放时段的列表，或按星期几分别写的时间", "写 [\"08:00-11:30\", \"13:00-16:30\"]，或者分行写 mon-thu: [...] 和 fri: [...]"),
       ("열려 있는 시간대의 목록이나 요일마다의 시간이여야 합니다",
        "[\"08:00-11:30\", \"13:00-16:30\"] 로 쓰거나 mon-thu: [...] 와 fri: [...] 를 행을 나누어 쓰십시오"),
       ("must be a list of opening periods or hours per weekday",
        "write [\"08:00-11:30\", \"13:00-16:30\"], or mon-thu: [...] and fri: [...] on their own lines")),
    _w("schedule.no_hours",
       ("没有写时间", "写成一个列表 [\"08:30-16:00\"]，或者按星期几写（mon-thu: [...], fri: [...]）"),
       ("시간이 없습니다", "목록 하나 [\"08:30-16:00\"] 로 쓰거나 요일마다 쓰십시오(mon-thu: [...], fri: [...])"),
       ("gives no hours", "write them as one list [\"08:30-16:00\"], or per weekday (mon-thu: [...], fri: [...])")),
    _w("schedule.neither_weekday_nor_season",
       ("“{key}”既不是星期几，也不是季节", ""), ("{key:'는} 요일도 계절도 아닙니다", ""),
       ("'{key}' is neither a weekday nor a season", "")),
    _w("schedule.season_inside_weekday",
       ("{season} 季节写在了“{key}”的时间里面", "季节写在前面：写成 {season}: {{{key}: [...]}}"),
       ("{season} 계절을 '{key}'의 시간 안에 썼습니다", "계절을 먼저 쓰십시오: {season}: {{{key}: [...]}}"),
       ("the {season} season is given inside the hours of '{key}'",
        "the season comes first: write {season}: {{{key}: [...]}}")),
    _w("schedule.weekday_twice",
       ("{day} 写了两次，在“{first}”和“{second}”里", "每个星期几的时间只写一次"),
       ("{day:를} {first:'와} '{second}'에 두번 썼습니다", "요일마다 시간을 한번만 쓰십시오"),
       ("{day} is given twice, in '{first}' and in '{second}'", "give each weekday its hours once")),
    _w("schedule.workday_without_hours",
       ("{days} 是上班日（days:），但这里没有写时间", "写上它的时间，或者把它从 days: 里去掉"),
       ("{days:는} 근무일(days:)인데 여기에 시간이 없습니다", "그 시간을 쓰거나 days: 에서 빼십시오"),
       ("{days_en} (days:) without hours here", "give its hours, or take it out of days:")),
    _w("schedule.hours_not_workday",
       ("{days} 在这里写了时间，但不在 days: 里", "把它加进 days:，或者删掉它的时间"),
       ("{days:는} 여기에 시간이 있는데 days: 에 없습니다", "days: 에 더 쓰거나 그 시간을 지우십시오"),
       ("{days_en} hours here but {verb_en} not in days:", "add it to days:, or remove its hours")),
    _w("schedule.no_period",
       ("没有写开放时段", "至少写一个时段，或者不写这一天"),
       ("열려 있는 시간대가 없습니다", "시간대를 하나라도 쓰거나 이날을 빼십시오"),
       ("gives no opening period", "give at least one, or leave the day out")),
    _w("schedule.day_listed_twice",
       ("{days} 写了两次", "每个上班日只写一次"),
       ("{days:를} 두번 썼습니다", "근무일마다 한번만 쓰십시오"),
       ("{days} is given twice", "list each working day once")),
    _w("schedule.no_workday",
       ("一个上班日也没有写", "写上单位开门的日子，例如 [mon-fri]"),
       ("근무일이 하나도 없습니다", "단위가 문을 여는 날을 쓰십시오. 례: [mon-fri]"),
       ("gives no working day", "list the days the office opens, e.g. [mon-fri]")),
    _w("schedule.not_weekday",
       ("“{value}”不是星期几，也不是星期几的范围", ""),
       ("{value:'는} 요일도 요일의 범위도 아닙니다", ""),
       ("'{value}' is not a weekday or a range of weekdays", "")),
    _w("schedule.range_backwards",
       ("范围“{value}”是倒着写的", "先写前面的一天，例如 {fixed}"),
       ("범위 {value:'를} 거꾸로 썼습니다", "앞의 날을 먼저 쓰십시오. 례: {fixed}"),
       ("the range '{value}' runs backwards", "write the first day first, e.g. {fixed}")),
]

CATALOGUE: dict[str, Wording] = {entry.id: entry for entry in _ENTRIES}
if len(CATALOGUE) != len(_ENTRIES):  # a copied entry left with its old id would hide the first one
    raise ValueError("ivr.core.wording: two entries share an id")


def placeholders(template: str) -> set[str]:
    """Return the names of a template's {placeholders}."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _KoreanFormatter(string.Formatter):
    """Fills a Korean message: `{name:는}` attaches the particle in the form the value asks for (값은, 번호는),
    `{name:'는}` quotes the value first ('0433-362494'는)."""

    def format_field(self, value: object, format_spec: str) -> str:
        particle = format_spec.removeprefix("'")
        if particle in PARTICLES:
            word = f"'{value}'" if format_spec.startswith("'") else str(value)
            if not any(ch.isalnum() for ch in str(value)):  # a mark such as '[': both forms, as forms print them
                after_consonant, after_vowel = PARTICLES[particle]
                return f"{word}{after_consonant}({after_vowel})"
            return with_particle(word, particle)
        return str(super().format_field(value, format_spec))


def say(wording_id: str, lang: Lang, params: Mapping[str, Param], part: Literal["what", "fix"] = "what") -> str:
    """Return one part of a message in a language, its placeholders filled (terms said in that language)."""
    phrase = CATALOGUE[wording_id].phrase(lang)
    template = phrase.what if part == "what" else phrase.fix
    filled = {name: term(value.key, lang) if isinstance(value, Term) else value for name, value in params.items()}
    return _KoreanFormatter().format(template, **filled) if lang == "ko" else template.format(**filled)


def term(key: str, lang: Lang) -> str:
    """Return a word of TERMS in a language."""
    zh, ko, en = TERMS[key]
    return {"zh": zh, "ko": ko, "en": en}[lang]


_END = (".", "?", "!", "。", "？", "！")


def sentence(wording_id: str, lang: Lang, params: Mapping[str, Param], fix_wording: str = "") -> str:
    """Say a whole message in a language: what is wrong, then what to write, each ended as the language ends it."""
    what = say(wording_id, lang, params)
    fix = say(fix_wording or wording_id, lang, params, "fix")
    if lang == "en":
        text = f"{what}; {fix}" if fix else what
        return text if text.endswith(_END) else text + "."
    stop = "。" if lang == "zh" else ". "
    return "".join(part if part.endswith(_END) else part + stop for part in (what, fix) if part).rstrip()
