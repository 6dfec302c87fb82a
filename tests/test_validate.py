"""`ivr validate` refuses each kind of bad edit with its file, line, key path and a hint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.core.loader import load_hotline
from ivr.core.problems import MenuError
from tests.conftest import BUNDLED_MENUS, Editor


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def errors_of(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("warning:")]


def test_the_bundled_menus_are_valid() -> None:
    result = validate("menus", "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    shipped = load_hotline(BUNDLED_MENUS)  # the summary counts what was loaded, whatever staff have added
    assert result.stdout == (f"menus: OK, {len(shipped.units)} units, {len(shipped.menus)} menus, 37 prompts in 2 "
                             "languages; 0 warnings.\n")


def test_a_bad_phone_number(town_menus: Path, town_edit: Editor) -> None:
    line = town_edit("units.yaml", "phone: 0433-3600002", "phone: 0433-360000")  # the engine's small hotline
    result = validate("menus")
    assert result.exit_code == 1
    assert errors_of(result) == [
        f"menus/units.yaml:{line} units.water_office.phone: '0433-360000' is not a valid Chinese phone "
        "number: the local number 360000 has 6 digits where 0433 numbers have 7; a digit is missing: check the "
        "number with the office."
    ]
    assert result.stdout == "menus: 1 error, 0 warnings; the menus were not loaded, fix the errors above.\n"


def test_a_duplicate_menu_key(menus: Path, edit: Editor) -> None:
    first = edit("menu.yaml", '"2":\n        label: {zh: "婚姻', '"1":\n        label: {zh: "婚姻')
    result = validate("menus")
    assert result.exit_code == 1
    assert (
        f"menus/menu.yaml:{first} menus.main.options.1: duplicate key '1' (first given on line {first - 3}); "
        "each key may appear once in a mapping; remove or renumber one of them."
    ) in errors_of(result)


def test_an_unknown_unit_reference(menus: Path, edit: Editor) -> None:
    line = edit("menu.yaml", "unit: funeral_office", "unit: crematorium")
    result = validate("menus")
    assert result.exit_code == 1
    assert errors_of(result) == [
        f"menus/menu.yaml:{line} menus.main.options.8.unit: 'crematorium' is not a unit; use one of the units in "
        "units.yaml: bureau, charity_federation, civil_affairs_section, double_support_section, employment_bureau, "
        "employment_skills_section, funeral_office, general_office, ..."
    ]


def test_a_missing_korean_text(menus: Path, edit: Editor) -> None:
    summary_ko = "      ko: 결혼등기, 리혼등기와 혼인등기 기록증명을 처리하고 혼인등기 당안을 관리합니다.\n"
    line = edit("units.yaml", summary_ko, "")
    result = validate("menus")
    assert result.exit_code == 1
    assert errors_of(result) == [
        f"menus/units.yaml:{line - 2} units.marriage_registry.summary: the Korean (ko) text is missing; "
        "every caller-facing text needs both zh and ko; add 'ko:'."
    ]


def test_a_yaml_syntax_error(menus: Path, edit: Editor) -> None:
    line = edit("schedules.yaml", 'days: [mon-fri]\n    hours:\n      summer',
                'days: [mon-fri\n    hours:\n      summer')
    result = validate("menus")
    assert result.exit_code == 1
    assert errors_of(result) == [  # PyYAML notices it on the next line; the mistake is on this one
        f"menus/schedules.yaml:{line} the '[' opened on this line is never closed; end the list with ']' on the "
        "same line: days: [mon-fri]."
    ]


def test_a_tab_indented_file(menus: Path, edit: Editor) -> None:
    line = edit("hotline.yaml", "  gather_timeout: 6", "\tgather_timeout: 6")
    result = validate("menus")
    assert result.exit_code == 1
    assert errors_of(result) == [
        f"menus/hotline.yaml:{line} a tab is used for indentation; YAML needs spaces: indent with spaces."
    ]


def test_a_reserved_key_in_a_menu(menus: Path, edit: Editor) -> None:
    line = edit("menu.yaml", '"4":\n        label: {zh: "局办公室', '"#":\n        label: {zh: "局办公室')
    assert errors_of(validate("menus"))[0] == (
        f"menus/menu.yaml:{line} menus.others.options.#: key '#' is reserved for repeating the menu "
        "at every level; use a key from 1 to 9."
    )


def test_a_loop_in_the_menus(menus: Path, edit: Editor) -> None:
    edit("menu.yaml", "unit: double_support_section", "menu: main")
    result = validate("menus")
    assert result.exit_code == 1
    assert any("the menus form a loop: main → veterans → main" in e for e in errors_of(result))


def test_overlapping_opening_periods_and_a_bad_time(menus: Path, edit: Editor) -> None:
    line = edit("schedules.yaml", '["08:30-12:00", "13:30-17:00"]', '["08:30-14:00", "13:30-17:00", "25:00-26:00"]')
    assert errors_of(validate("menus")) == [
        f"menus/schedules.yaml:{line} schedules.standard.hours.summer[2]: '25:00' in '25:00-26:00' is not a time "
        "of day; hours run from 00 to 23 and minutes from 00 to 59.",
        f"menus/schedules.yaml:{line} schedules.standard.hours.summer[1]: the opening period 13:30-17:00 "
        "overlaps 08:30-14:00; make each period end before the next one starts.",
    ]


def test_seasons_must_cover_the_year_once(menus: Path, edit: Editor) -> None:
    edit("schedules.yaml", 'to: "09-30"', 'to: "10-03"')
    line = (menus / "schedules.yaml").read_text().splitlines().index("seasons:") + 1
    assert f"menus/schedules.yaml:{line} seasons: 10-01 is in both summer and winter; make the seasons' from/to " \
           "ranges cover every day of the year once." in errors_of(validate("menus"))


def test_an_unknown_key_suggests_the_right_one(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "    postcode: \"133100\"\n    head: 姜云哲", "    postcod: \"133100\"\n    head: 姜云哲")
    errors = errors_of(validate("menus"))
    assert f"menus/units.yaml:{line} units.marriage_registry.postcod: unknown key 'postcod'; did you mean " \
           "'postcode'?" in errors
    unit_line = (menus / "units.yaml").read_text().splitlines().index("  marriage_registry:") + 1
    assert f"menus/units.yaml:{unit_line} units.marriage_registry: the key 'postcode' is missing; add 'postcode:' " \
           "here." in errors


def test_a_prompt_that_loses_its_placeholder(menus: Path, edit: Editor) -> None:
    line = edit("prompts.yaml", "ko: 다음 업무시간은 {when}입니다.", "ko: 다음 업무시간은 곧입니다.")
    assert errors_of(validate("menus")) == [
        f"menus/prompts.yaml:{line} prompts.next_open.ko: uses no placeholders where the hotline fills in "
        "{when}; keep the {placeholders} of this prompt as they are."
    ]


def test_a_spoken_text_too_long_for_one_prompt(menus: Path, edit: Editor) -> None:
    line = edit("prompts.yaml", "zh: 对方正在通话中。", "zh: " + "对方正在通话中。" * 40)
    assert errors_of(validate("menus")) == [
        f"menus/prompts.yaml:{line} prompts.dial_busy.zh: is 320 characters long, too long for one prompt; "
        "keep a spoken text under 300 characters."
    ]


def test_a_missing_recording(menus: Path) -> None:
    (menus.parent / "audio" / "ko" / "greeting.wav").unlink()
    line = (menus / "prompts.yaml").read_text().splitlines().index(
        "    audio: {zh: zh/greeting.wav, ko: ko/greeting.wav}") + 1
    assert errors_of(validate("menus")) == [
        f"menus/prompts.yaml:{line} prompts.greeting.audio.ko: the recording 'ko/greeting.wav' does not exist in "
        f"{menus.parent / 'audio'}; add the file, or remove this line to use the synthesized voice."
    ]


def test_a_unit_no_menu_reaches_is_a_warning_not_an_error(menus: Path, edit: Editor) -> None:
    edit("menu.yaml", '      "3":\n        label: {zh: "双拥和国防教育", ko: "쌍옹사업과 국방교육"}\n'
                      "        unit: double_support_section\n", "")
    result = validate("menus", "--today", "2026-06-01")
    assert result.exit_code == 0
    assert "warning: menus/units.yaml:" in result.stderr
    assert "units.double_support_section: no menu reaches the unit 'double_support_section'; add an option " \
           "for it in menu.yaml." in result.stderr
    assert result.stdout.endswith("; 1 warning.\n")


def test_every_error_is_reported_not_only_the_first(menus: Path, edit: Editor) -> None:
    edit("units.yaml", "phone: 0433-3624942", "phone: 12345")
    edit("menu.yaml", "unit: talent_center", "unit: talent")
    edit("hotline.yaml", "tries: 3", "tries: many")
    result = validate("menus")
    assert result.exit_code == 1
    assert len(errors_of(result)) == 3
    with pytest.raises(MenuError) as raised:
        load_hotline("menus")
    assert len(raised.value.problems) == 3


def test_usage_errors_exit_2(menus: Path) -> None:
    assert validate("menus", "extra").exit_code == 2
    assert CliRunner().invoke(main, ["tree", "--lang", "en"]).exit_code == 2


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    result = validate(str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert f"{tmp_path}/nowhere is not a folder of menus" in result.stderr


def test_the_core_imports_neither_flask_nor_twilio() -> None:
    code = (
        "import sys, datetime\n"
        "import ivr.core.loader, ivr.core.model, ivr.core.problems, ivr.core.checks, ivr.core.yamlsource\n"
        "import importlib, pkgutil, ivr.core\n"
        "for m in pkgutil.iter_modules(ivr.core.__path__): importlib.import_module('ivr.core.' + m.name)\n"
        "h = ivr.core.loader.load_hotline('menus')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'twilio', 'werkzeug')))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unquoted_numbers_are_read_as_written_not_as_yaml_octal(menus: Path, edit: Editor) -> None:
    edit("units.yaml", "phone: 0433-3623441", "phone: 04333623441")  # YAML alone would read 594487073
    edit("units.yaml", 'postcode: "133100"\n    head: 姜云哲', "postcode: 133100\n    head: 姜云哲")
    assert validate("menus", "--today", "2026-06-01").exit_code == 0
    marriage = load_hotline("menus").units["marriage_registry"]
    assert (marriage.phone, marriage.postcode) == ("+864333623441", "133100")


def test_a_number_without_its_area_code_or_outside_china(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "phone: 0433-3623441", "phone: 3623441")
    assert errors_of(validate("menus")) == [
        f"menus/units.yaml:{line} units.marriage_registry.phone: '3623441' is not a valid Chinese phone number: "
        "it has no area code; write the area code before it, e.g. 0433-3623441 for a number in Tumen."]
    edit("units.yaml", "phone: 3623441", "phone: +82 10 1234 5678")
    assert errors_of(validate("menus")) == [
        f"menus/units.yaml:{line} units.marriage_registry.phone: '+82 10 1234 5678' is not a number in China; "
        "the hotline forwards to Chinese lines only; write a landline with its area code (0433-NNNNNNN), an "
        "11-digit mobile or a 400/800 number."]


def test_an_unknown_particle_in_a_korean_prompt(menus: Path, edit: Editor) -> None:
    line = edit("prompts.yaml", 'ko: "{unit:은} 지금', 'ko: "{unit:의} 지금')
    assert errors_of(validate("menus"))[0].startswith(
        f"menus/prompts.yaml:{line} prompts.closed.ko: '{{unit:의}}' asks for an unknown particle '의'; use one of ")


def test_an_empty_file_is_one_clear_error_not_a_cascade(menus: Path) -> None:
    (menus / "units.yaml").write_text("")
    assert errors_of(validate("menus")) == ["menus/units.yaml is empty; it should hold the 'units:' section."]


def test_a_recording_that_is_not_audio(menus: Path) -> None:
    (menus.parent / "audio" / "zh" / "greeting.wav").write_bytes(b"not a wav")
    [error] = errors_of(validate("menus"))
    assert error.endswith("prompts.greeting.audio.zh: 'zh/greeting.wav' is not a WAV or MP3 recording (its content "
                          "is something else); export it again as 8 kHz mono WAV or as MP3.")


def test_a_misspelt_unit_suggests_the_right_one(menus: Path, edit: Editor) -> None:
    line = edit("menu.yaml", "unit: funeral_office", "unit: funeral_ofice")
    assert errors_of(validate("menus")) == [
        f"menus/menu.yaml:{line} menus.main.options.8.unit: 'funeral_ofice' is not a unit; did you mean "
        "'funeral_office'?"]


def test_a_notice_for_a_year_chinese_calendar_knows_warns_that_it_replaces_the_year(
    menus: Path, edit: Editor
) -> None:
    line = edit("calendar.yaml", "state_council: {}", "state_council:\n  2026:\n    holidays:\n"
                "      - {from: 2026-02-15, to: 2026-02-23, name: spring_festival}")
    result = validate("menus", "--today", "2026-06-01")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: menus/calendar.yaml:{line + 1} state_council.2026: chinese-calendar already has the State "
        "Council's notice for 2026; this block replaces it for the whole year; keep it only if it lists every "
        "holiday and make-up day of the year; for one-off changes use closures: and openings:."]


def test_a_day_both_holiday_and_make_up_day_in_a_notice(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "state_council: {}", """state_council:
  2027:
    holidays:
      - {from: 2027-02-06, to: 2027-02-14, name: spring_festival}
    workdays:
      - {date: 2027-02-07, name: spring_festival}""")
    assert errors_of(validate("menus")) == [
        f"menus/calendar.yaml:{line + 5} state_council.2027.workdays[0]: 2027-02-07 is listed as a make-up working "
        f"day and also as a holiday (line {line + 3}); check the notice: a day is either a holiday or a working day."]


def test_a_file_saved_in_gbk_names_the_line_to_look_at(menus: Path) -> None:
    text = (menus / "hotline.yaml").read_text(encoding="utf-8")
    (menus / "hotline.yaml").write_bytes(text.encode("utf-8") + "# 备注\n".encode("gbk"))
    line = text.count("\n") + 1
    assert errors_of(validate("menus")) == [
        f"menus/hotline.yaml:{line} is not UTF-8 text (invalid start byte); save the file as UTF-8 (an "
        "editor's 'encoding' menu; GBK files must be converted)."]


def test_a_closure_reports_all_its_mistakes_at_once(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "closures: []", "closures:\n  - {from: 2026-12-05, to: 2026-12-01, "
                "units: [mariage_registry], name: {zh: 设备检修, ko: 설비 검수}}")
    assert errors_of(validate("menus")) == [
        f"menus/calendar.yaml:{line + 1} closures[0].to: the range ends (2026-12-01) before it starts "
        "(2026-12-05); swap from and to.",
        f"menus/calendar.yaml:{line + 1} closures[0].units: 'mariage_registry' is not a unit; did you mean "
        "'marriage_registry'?",
    ]


def test_a_units_section_with_no_units(menus: Path) -> None:
    (menus / "units.yaml").write_text("units: {}\n")
    assert errors_of(validate("menus")) == [
        "menus/units.yaml:1 units: declares no units; add the bureau and its offices under 'units:'."]


def test_the_operator_is_one_key_away_whatever_else_leads_to_it(menus: Path, edit: Editor) -> None:
    edit("menu.yaml", "unit: general_office", "unit: bureau")  # also reachable as 9 4 now
    assert load_hotline("menus").key_path("bureau") == "0"
