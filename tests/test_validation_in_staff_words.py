"""`ivr validate` explains the slips staff make in their own words, at the line the slip is on, with the fix.

YAML syntax slips (PyYAML notices several only on the next line), phone numbers against China's numbering
plan, Korean fields written in Chinese, and menus too long to listen to.
"""

from __future__ import annotations

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


def validate() -> Result:
    return CliRunner().invoke(main, ["validate", "--menus", "menus", "--today", "2026-06-01"])


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

def test_a_korean_field_without_hangul_is_a_warning(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "ko: 도문시 장례관리소", "ko: 图们市殡葬管理所")
    result = validate()
    assert result.exit_code == 0
    assert problems(result) == [
        f"warning: menus/units.yaml:{line} units.funeral_office.name.ko: the Korean (ko) text '图们市殡葬管理所' "
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
