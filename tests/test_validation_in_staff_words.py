"""`ivr validate` explains the slips staff make in their own words, at the line the slip is on, with the fix.

YAML syntax slips (PyYAML notices several only on the next line), phone numbers against China's numbering
plan, Korean fields written in Chinese, and menus too long to listen to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.core import yamlsource
from ivr.core.loader import load_hotline
from ivr.core.model import Hotline
from ivr.core.speech import menu_seconds, speaking_seconds
from tests.conftest import Editor


def validate(*options: str) -> Result:
    return CliRunner().invoke(main, ["validate", "--menus", "menus", "--today", "2026-06-01", *options])


def problems(result: Result) -> list[str]:
    return result.stderr.splitlines()


# YAML syntax, at the right line -----------------------------------------------------------------------------

def test_a_missing_space_after_a_colon(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "phone: 0433-3623441", "phone:0433-3623441")
    result = validate()
    assert result.exit_code == 1
    assert problems(result) == [
        f"menus/units.yaml:{line} a space is missing after the colon in 'phone:0433-3623441'; write "
        "'phone: 0433-3623441'."]


def test_a_full_width_colon_after_a_key(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "phone: 0433-3623441", "phone：0433-3623441")
    assert problems(validate()) == [
        f"menus/units.yaml:{line} 'phone' is followed by a full-width colon '：'; YAML needs the ASCII colon and a "
        "space: write 'phone: 0433-3623441' (switch the keyboard to English input for the colon)."]


def test_full_width_colons_in_an_opening_period(menus: Path, edit: Editor) -> None:
    line = edit("schedules.yaml", '\n    hours: ["08:30-16:00"]', '\n    hours: ["08：30-16：00"]') + 1
    assert problems(validate()) == [
        f"menus/schedules.yaml:{line} schedules.marriage.hours[0]: '08：30-16：00' is written with the full-width "
        "'：' of Chinese input; write it with ASCII characters: \"08:30-16:00\"."]


def test_a_line_indented_one_space_too_far(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "    phone: 0433-3623441", "     phone: 0433-3623441")
    assert problems(validate()) == [
        f"menus/units.yaml:{line} this line is indented by 5 spaces where the lines of its block use 4; line it up "
        "with the keys beside it: '    phone: 0433-3623441'."]


def test_a_line_pulled_out_of_its_block_is_named_not_the_line_after_it(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "    head: 姜云哲", "  head: 姜云哲")  # YAML complains at the next line
    assert problems(validate()) == [
        f"menus/units.yaml:{line} this line is indented by 2 spaces where the lines of its block use 4; line it up "
        "with the keys beside it: '    head: 姜云哲'."]


def test_an_unclosed_bracket(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기]",
                "keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기")
    assert problems(validate()) == [  # PyYAML reports it two lines further down
        f"menus/units.yaml:{line} the '[' opened on this line is never closed; end the list with ']' on the same "
        "line: keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기]."]


def test_an_unclosed_brace(menus: Path, edit: Editor) -> None:
    line = edit("menu.yaml", 'title: {zh: "社会救助", ko: "사회구조"}', 'title: {zh: "社会救助", ko: "사회구조"')
    assert problems(validate()) == [
        f"menus/menu.yaml:{line} the '{{' opened on this line is never closed; end the mapping with '}}' on the "
        "same line: title: {zh: \"社会救助\", ko: \"사회구조\"}."]


def test_an_unclosed_quote(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "phone: 0433-3623441", 'phone: "0433-3623441')
    assert problems(validate()) == [  # PyYAML reports it four lines further down
        f"menus/units.yaml:{line} the \" opened on this line is never closed; end the text with \" on the same line: "
        "phone: \"0433-3623441\"."]


def test_a_colon_and_space_inside_a_value(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "head: 姜云哲", "head: 姜云哲: 主任")
    assert problems(validate()) == [
        f"menus/units.yaml:{line} the value of 'head' holds ': ', which YAML reads as another key; put the value in "
        "quotes: head: \"姜云哲: 主任\"."]


def test_a_missing_colon(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "      ko: 도문시 민정국 혼인등기처", "      ko 도문시 민정국 혼인등기처")
    assert problems(validate()) == [  # PyYAML reports it on the next line
        f"menus/units.yaml:{line} the colon after 'ko' is missing; write 'ko: 도문시 민정국 혼인등기처'."]


def test_a_tab_for_indentation(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "    phone: 0433-3623441", "\tphone: 0433-3623441")
    assert problems(validate()) == [
        f"menus/units.yaml:{line} a tab is used for indentation; YAML needs spaces: indent with spaces."]


def test_a_tab_after_a_colon_where_the_parser_refuses_it(menus: Path, edit: Editor,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml reads "phone:<tab>0433…" as YAML 1.2 allows; PyYAML's own parser (a server without libyaml)
    # refuses it, and then staff are told what to change.
    monkeypatch.setattr(yamlsource, "_LOADER", yaml.SafeLoader)
    line = edit("units.yaml", "phone: 0433-3623441", "phone:\t0433-3623441")
    assert problems(validate()) == [
        f"menus/units.yaml:{line} a tab follows the colon after 'phone'; YAML needs a space there, not a tab: write "
        "'phone: 0433-3623441'."]


def test_a_tab_after_the_dash_of_a_list_item(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "closures: []", "closures:\n  -\t{date: 2026-12-31, name: {zh: 盘点, ko: 결산}}")
    assert problems(validate()) == [
        f"menus/calendar.yaml:{line + 1} a tab follows the '-' of a list item; YAML needs a space there, not a tab: "
        "write '- {date: 2026-12-31, name: {zh: 盘点, ko: 결산}}'."]


# Phone numbers against the numbering plan ---------------------------------------------------------------------

PHONE_PROBLEMS = [
    ("0433-36234411", "is not a valid Chinese phone number: the local number 36234411 has 8 digits where 0433 "
                      "numbers have 7; there is a digit too many: check the number with the office."),
    ("0433-362494", "is not a valid Chinese phone number: the local number 362494 has 6 digits where 0433 numbers "
                    "have 7; a digit is missing: check the number with the office."),
    ("0431-8888123", "is not a valid Chinese phone number: the local number 8888123 has 7 digits where 0431 numbers "
                     "have 8; a digit is missing: check the number with the office."),
    ("3624942", "is not a valid Chinese phone number: it has no area code; write the area code before it, e.g. "
                "0433-3624942 for a number in Tumen."),
    ("1381234567", "is not a valid Chinese phone number: a mobile number has 11 digits and this one has 10; check "
                   "the number with the office."),
    ("400-810-888", "is not a valid Chinese phone number: a 400 number has 10 digits (400 and 7 more) and this one "
                    "has 9; check the number with the office."),
]


@pytest.mark.parametrize(("written", "problem"), PHONE_PROBLEMS, ids=[w for w, _ in PHONE_PROBLEMS])
def test_a_number_against_the_numbering_plan(menus: Path, edit: Editor, written: str, problem: str) -> None:
    line = edit("units.yaml", "phone: 0433-3624942", f"phone: {written}")
    assert problems(validate()) == [f"menus/units.yaml:{line} units.funeral_office.phone: '{written}' {problem}"]


@pytest.mark.parametrize(("written", "e164"), [("13812345678", "+8613812345678"), ("400-810-8888", "+864008108888"),
                                               ("800 810 8888", "+868008108888"), ("0431-88881234", "+8643188881234"),
                                               ("+86 433 362 4942", "+864333624942")])
def test_mobiles_service_numbers_and_other_areas_are_accepted(menus: Path, edit: Editor, written: str,
                                                              e164: str) -> None:
    edit("units.yaml", "phone: 0433-3624942", f"phone: {written}")
    assert validate().exit_code == 0
    assert load_hotline("menus").units["funeral_office"].phone == e164


# Korean fields, and menus too long to listen to ---------------------------------------------------------------

def test_a_korean_field_without_hangul_is_an_error(menus: Path, edit: Editor) -> None:
    # A Korean voice cannot read Chinese characters to a caller: the check refuses it, never a "passed".
    line = edit("units.yaml", "ko: 도문시 장례관리소", "ko: 图们市殡葬管理所")
    result = validate()
    assert result.exit_code == 1
    assert problems(result) == [
        f"menus/units.yaml:{line} units.funeral_office.name.ko: the Korean (ko) text '图们市殡葬管理所' "
        "contains no Hangul; write it in Korean (조선어): callers who chose Korean hear it."]


def test_a_menu_longer_than_25_seconds_is_a_warning(menus: Path, edit: Editor) -> None:
    edit("menu.yaml", 'label: {zh: "婚姻登记", ko: "혼인등기"}',
         'label: {zh: "结婚登记、离婚登记、补领结婚证和婚姻登记记录证明", ko: "혼인등기"}')
    line = (menus / "menu.yaml").read_text(encoding="utf-8").splitlines().index("  main:") + 1
    result = validate()
    assert result.exit_code == 0
    assert problems(result) == [
        f"warning: menus/menu.yaml:{line} menus.main: the Mandarin (zh) menu takes about 28 s to say, more than "
        "25 s; shorten its labels (and intro), or move options into a submenu."]


def test_speaking_time_is_estimated_from_the_characters_said() -> None:
    assert speaking_seconds("婚姻登记，请按2。", "zh") == pytest.approx(7 / 4.5)  # punctuation is not said
    assert speaking_seconds("혼인등기는 2번,", "ko") == pytest.approx(7 / 6.0)  # nor are spaces


def test_the_bundled_main_menu_takes_under_25_seconds_in_both_languages(hotline: Hotline) -> None:
    main = hotline.menus[hotline.main_menu]
    assert menu_seconds(main, hotline.prompts, "zh") < 25
    assert menu_seconds(main, hotline.prompts, "ko") < 25
    assert not hotline.warnings


# The same mistakes in the staff's own words: Chinese and Korean ------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """A slip made in a menus file, and the words each language must use for where, what and what to write."""

    name: str
    file: str
    old: str
    new: str
    zh: tuple[str, ...]
    ko: tuple[str, ...]
    below: int = 0  # the line named is this many lines below where the new text starts
    named: str = ""  # or the line that reads this
    exit_code: int = 1


MISTAKES = [
    Mistake("missing space after a colon", "units.yaml", "phone: 0433-3623441", "phone:0433-3623441",
            ("冒号后面少了一个空格", "写成「phone: 0433-3623441」"),
            ("두점 다음에 빈칸이 없습니다", "「phone: 0433-3623441」로 쓰십시오")),
    Mistake("full-width colon after a key", "units.yaml", "phone: 0433-3623441", "phone：0433-3623441",
            ("冒号要用英文半角的“:”", "不要用中文全角的“：”", "写成「phone: 0433-3623441」"),
            ("넓은 두점 '：'", "영문 두점 ':'", "「phone: 0433-3623441」로 쓰십시오")),
    Mistake("full-width colons in an opening period", "schedules.yaml", '\n    hours: ["08:30-16:00"]',
            '\n    hours: ["08：30-16：00"]',
            ("中文全角", "冒号要用英文半角的“:”，不要用中文全角的“：”", '写成「"08:30-16:00"」'),
            ("넓은 두점 '：'", "영문 두점 ':'", '「"08:30-16:00"」로 쓰십시오'), below=1),
    Mistake("a line indented one space too far", "units.yaml", "    phone: 0433-3623441", "     phone: 0433-3623441",
            ("前面空了 5 格", "其他行空 4 格", "写成「    phone: 0433-3623441」"),
            ("빈칸이 5 개", "4 개입니다", "「    phone: 0433-3623441」로 쓰십시오")),
    Mistake("a line pulled out of its block", "units.yaml", "    head: 姜云哲", "  head: 姜云哲",
            ("前面空了 2 格", "写成「    head: 姜云哲」"), ("빈칸이 2 개", "「    head: 姜云哲」로 쓰십시오")),
    Mistake("an unclosed bracket", "units.yaml",
            "keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기]",
            "keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기",
            ("“[”没有关上", "补上“]”",
             "写成「keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기]」"),
            ("'['을(를) 닫지 않았습니다", "']'을(를) 붙이십시오", "혼인등기]」로 쓰십시오")),
    Mistake("an unclosed brace", "menu.yaml", 'title: {zh: "社会救助", ko: "사회구조"}',
            'title: {zh: "社会救助", ko: "사회구조"',
            ("“{”没有关上", "补上“}”", '写成「title: {zh: "社会救助", ko: "사회구조"}」'),
            ("'{'을(를) 닫지 않았습니다", "'}'을(를) 붙이십시오",
             '「title: {zh: "社会救助", ko: "사회구조"}」로 쓰십시오')),
    Mistake("an unclosed quote", "units.yaml", "phone: 0433-3623441", 'phone: "0433-3623441',
            ('引号 " 没有结束', '写成「phone: "0433-3623441"」'),
            ('따옴표 "을(를) 닫지 않았습니다', '「phone: "0433-3623441"」로 쓰십시오')),
    Mistake("a colon and space inside a value", "units.yaml", "head: 姜云哲", "head: 姜云哲: 主任",
            ("会被当成另一个名称", "英文双引号", '写成「head: "姜云哲: 主任"」'),
            ("다른 이름으로 읽힙니다", "영문 따옴표", '「head: "姜云哲: 主任"」로 쓰십시오')),
    Mistake("a missing colon", "units.yaml", "      ko: 도문시 민정국 혼인등기처", "      ko 도문시 민정국 혼인등기처",
            ("“ko”后面少了冒号", "写成「ko: 도문시 민정국 혼인등기처」"),
            ("'ko' 뒤에 두점이 없습니다", "「ko: 도문시 민정국 혼인등기처」로 쓰십시오")),
    Mistake("a tab for indentation", "units.yaml", "    phone: 0433-3623441", "\tphone: 0433-3623441",
            ("Tab 键缩进", "只能用空格缩进"), ("탭 건으로 들여썼습니다", "빈칸으로 하십시오")),
    Mistake("a tab after the dash of a list item", "calendar.yaml", "closures: []",
            "closures:\n  -\t{date: 2026-12-31, name: {zh: 盘点, ko: 결산}}",
            ("“-”后面用了 Tab 键", "写成「- {date: 2026-12-31, name: {zh: 盘点, ko: 결산}}」"),
            ("'-' 다음에 탭 건을 썼습니다", "「- {date: 2026-12-31, name: {zh: 盘点, ko: 결산}}」로 쓰십시오"),
            below=1),
    Mistake("a local number with a digit too many", "units.yaml", "phone: 0433-3624942", "phone: 0433-36234411",
            ("不是有效的中国电话号码", "36234411 是 8 位", "0433 的号码应是 7 位", "多了一位数字"),
            ("올바른 중국 전화번호가 아닙니다", "8 자리", "7 자리", "수자가 하나 더 많습니다")),
    Mistake("a local number with a digit missing", "units.yaml", "phone: 0433-3624942", "phone: 0433-362494",
            ("362494 是 6 位", "少了一位数字"), ("6 자리", "수자가 하나 모자랍니다")),
    Mistake("a number without its area code", "units.yaml", "phone: 0433-3624942", "phone: 3624942",
            ("没有区号", "写成 0433-3624942"), ("지역번호가 없습니다", "0433-3624942")),
    Mistake("a mobile with a digit missing", "units.yaml", "phone: 0433-3624942", "phone: 1381234567",
            ("手机号是 11 位，这个是 10 位", "核对号码"),
            ("손전화 번호는 11 자리인데 이것은 10 자리", "번호를 확인하십시오")),
    Mistake("a menu longer than 25 seconds", "menu.yaml", 'label: {zh: "婚姻登记", ko: "혼인등기"}',
            'label: {zh: "结婚登记、离婚登记、补领结婚证和婚姻登记记录证明", ko: "혼인등기"}',
            ("提醒", "约 28 秒，超过 25 秒", "移到下一级菜单"),
            ("주의", "약 28 초", "25 초를 넘습니다", "아래 메뉴로 옮기십시오"),
            named="  main:", exit_code=0),  # a menu is named at the line of its id
    # The three mistakes staff met in the console
    Mistake("an empty phone", "units.yaml", "phone: 0433-3624942", "phone:",
            ("电话号码是空的", "写上带区号的座机号码", "没有电话就删掉这一行"),
            ("전화번호가 비어 있습니다", "지역번호를 붙인 고정전화 번호", "전화가 없으면 이 행을 지우십시오")),
    Mistake("a Korean name typed in Chinese characters", "units.yaml", "ko: 도문시 장례관리소", "ko: 图们市殡葬管理所",
            ("没有一个朝鲜文字", "朝鲜语语音念汉字", "用朝鲜语（조선어）写"),
            ("조선글이 하나도 없습니다", "한자를 읽는", "조선어로 쓰십시오")),
    Mistake("a Chinese name typed in Latin letters", "units.yaml", "zh: 图们市殡葬管理所", "zh: Tumen Funeral Home",
            ("没有一个汉字", "用中文写这一栏"), ("한자가 하나도 없습니다", "중국어(한자)로 쓰십시오")),
]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_is_told_in_chinese_and_korean_with_its_line_quoted(menus: Path, edit: Editor,
                                                                         mistake: Mistake) -> None:
    line = edit(mistake.file, mistake.old, mistake.new) + mistake.below
    lines = (menus / mistake.file).read_text(encoding="utf-8").splitlines()
    if mistake.named:
        line = lines.index(mistake.named) + 1
    quoted = lines[line - 1].strip()
    for lang, place, words in (("zh", f"menus/{mistake.file} 第{line}行「{quoted}」：", mistake.zh),
                               ("ko", f"menus/{mistake.file} {line}행 「{quoted}」: ", mistake.ko)):
        result = validate("--lang", lang)
        assert result.exit_code == mistake.exit_code
        [said] = problems(result)
        label = {"zh": ("【错误】", "【提醒】"), "ko": ("[오류] ", "[주의] ")}[lang][mistake.exit_code == 0]
        assert said.startswith(label + place), said
        for word in words:
            assert word in said, (lang, word, said)
        # Plain words: none of the checker's English, nor its jargon, nor a key path such as units.marriage.phone.
        assert not any(jargon in said for jargon in ("ASCII", "mapping", "key path", "YAML needs", "None")), said
        assert re.search(r"\b(units|schedules|menus)\.[a-z_]+\.", said) is None, said


def test_the_staff_language_defaults_to_chinese_and_follows_ivr_staff_lang(menus: Path, edit: Editor,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    edit("units.yaml", "phone: 0433-3624942", "phone:")
    monkeypatch.delenv("IVR_STAFF_LANG")
    chinese = validate()
    assert chinese.exit_code == 1 and problems(chinese)[0].startswith("【错误】menus/units.yaml 第")
    assert chinese.stdout == "menus：1 个错误，0 个提醒；菜单没有载入，请按上面的说明改正错误。\n"
    monkeypatch.setenv("IVR_STAFF_LANG", "ko")
    korean = validate()
    assert korean.exit_code == 1 and "전화번호가 비어 있습니다" in korean.stderr
    assert korean.stdout.startswith("menus: 오류 1 개, 주의 0 개.")
    english = validate("--lang", "en")  # --lang wins over the setting
    assert english.exit_code == 1 and "the phone number is empty" in english.stderr
    monkeypatch.setenv("IVR_STAFF_LANG", "fr")
    refused = validate()
    assert refused.exit_code == 1 and "STAFF_LANG: 'fr' is not a language" in refused.output


def test_a_clean_folder_is_summed_up_in_the_staff_language(menus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = validate("--lang", "zh")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(f"menus：检查通过，{len(load_hotline(menus).units)} 个单位、")


def test_menus_publish_refuses_in_the_staff_language_with_the_same_words_as_validate(
        menus: Path, edit: Editor, tmp_path: Path) -> None:
    line = edit("units.yaml", "phone: 0433-3624942", "phone: 0433-362494")
    database = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'versions.sqlite3'}"}
    validated = CliRunner().invoke(main, ["validate", "--menus", "menus", "--lang", "ko"], env=database)
    published = CliRunner().invoke(main, ["menus", "publish", "--as", "김영희", "--menus", "menus", "--lang", "ko"],
                                   env=database)
    assert published.exit_code == validated.exit_code == 1
    assert published.stderr == validated.stderr
    assert published.stderr.startswith(f"[오류] menus/units.yaml {line}행 「phone: 0433-362494」: ")
    assert "'0433-362494'는 올바른 중국 전화번호가 아닙니다" in published.stderr  # the particle agrees: 4 is 사
    assert "수자가 하나 모자랍니다" in published.stderr
    assert published.stdout == "menus: 오류 1 개. 아무것도 발표하지 않았습니다. 우의 설명대로 오류를 고치십시오.\n"
    chinese = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", "menus"],
                                 env={**database, "IVR_STAFF_LANG": "zh"})
    assert chinese.exit_code == 1 and chinese.stdout == "menus：1 个错误，什么也没有发布，请按上面的说明改正错误。\n"
