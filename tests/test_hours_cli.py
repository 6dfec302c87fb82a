"""`ivr hours` and the calendar-coverage warning of `ivr validate`."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from ivr.cli import main
from tests.conftest import ENGINE_MENUS, Editor


def test_hours_json_on_national_day_lists_every_unit_closed_with_its_next_opening() -> None:
    result = CliRunner().invoke(main, ["hours", "--at", "2026-10-01T09:00+08:00", "--json",
                                       "--menus", str(ENGINE_MENUS)])  # the engine's small hotline
    assert result.exit_code == 0, result.output
    units = {row["unit"]: row for row in json.loads(result.stdout)}
    assert sorted(units) == ["bureau", "marriage_station", "parks_office", "water_office"]
    assert all(not row["open"] and row["reason"] == "holiday" for row in units.values())
    assert units["marriage_station"]["phone"] == "+864333600003"
    assert units["marriage_station"]["next_open"] == "2026-10-08T08:30:00+08:00"
    assert units["bureau"]["next_open"] == "2026-10-08T08:00:00+08:00"
    assert units["parks_office"]["phone"] is None
    assert units["bureau"]["next_open_spoken"] == {"zh": "10月8日星期四上午8点", "ko": "10월 8일 목요일 오전 8시"}


def test_hours_for_one_unit_open_on_a_make_up_saturday() -> None:
    result = CliRunner().invoke(main, ["hours", "marriage_station", "--at", "2026-10-10T09:00", "--json",
                                       "--menus", str(ENGINE_MENUS)])
    assert json.loads(result.stdout) == [{
        "unit": "marriage_station",
        "name": {"zh": "河口镇婚姻登记站", "ko": "하구진 혼인등기소"},
        "phone": "+864333600003",
        "open": True,
        "reason": "open",
        "reason_name": None,
        "closes_at": "2026-10-10T16:00:00+08:00",
        "next_open": None,
        "next_open_spoken": None,
        "today": ["08:30-16:00"],
        "hours": {"zh": "星期一至星期五，上午8点30分至下午4点，节假日除外",
                  "ko": "월요일부터 금요일까지 오전 8시 30분부터 오후 4시까지, 공휴일 제외"},
    }]


def test_hours_as_text() -> None:
    result = CliRunner().invoke(main, ["hours", "bureau", "--at", "2026-11-26T12:10+08:00"])
    assert result.stdout.splitlines() == [
        "At 2026-11-26T12:10:00+08:00:",
        "bureau                       +864333622075   closed  lunch; opens 2026-11-26 13:00 (今天下午1点)",
        "  today: 08:00-11:30, 13:00-16:30",
        "  hours: 星期一至星期五，上午8点至11点30分，下午1点至4点30分，节假日除外",
    ]


def test_hours_converts_another_time_zone_and_reads_ivr_frozen_time() -> None:
    utc = CliRunner().invoke(main, ["hours", "bureau", "--at", "2026-11-26T00:30:00Z", "--json"])
    assert json.loads(utc.stdout)[0]["open"] is True
    frozen = CliRunner().invoke(main, ["hours", "bureau", "--json"], env={"IVR_FROZEN_TIME": "2026-11-28T10:00+08:00"})
    assert json.loads(frozen.stdout)[0]["reason"] == "weekend"


def test_hours_refuses_an_unknown_unit_and_a_bad_moment() -> None:
    unknown = CliRunner().invoke(main, ["hours", "crematorium"])
    assert unknown.exit_code == 2
    assert "Invalid value for UNIT: 'crematorium' is not a unit; `ivr tree` lists their names and `ivr find WORD` " \
           "finds one" in unknown.output
    bad = CliRunner().invoke(main, ["hours", "--at", "tomorrow"])
    assert bad.exit_code == 2 and "'tomorrow' is not an ISO-8601 date and time" in bad.output


def test_validate_warns_today_that_2027_is_not_covered_until_the_calendar_file_covers_it(
    menus: object, edit: Editor
) -> None:
    before = CliRunner().invoke(main, ["validate", "menus", "--today", "2026-11-26"])
    assert before.exit_code == 0
    line = (before.stderr.splitlines())
    assert line == [
        "warning: menus/calendar.yaml:27 state_council: the State Council's holidays and make-up working days (调休) "
        "for 2027 are not known yet (chinese-calendar knows 2004-2026) and the next 60 days reach into it; until then "
        "2027 uses the statutory holidays only, with no make-up working days; when the notice is published, copy it "
        "under 'state_council: 2027:' in calendar.yaml."
    ]
    assert CliRunner().invoke(main, ["validate", "menus", "--today", "2026-10-01"]).stderr == ""
    edit("calendar.yaml", "state_council: {}", """state_council:
  2027:
    holidays:
      - {from: 2027-01-01, to: 2027-01-03, name: new_years_day}
    workdays:
      - {date: 2027-01-04, name: new_years_day}""")
    after = CliRunner().invoke(main, ["validate", "menus", "--today", "2026-11-26"])
    assert after.exit_code == 0 and after.stderr == ""
    assert after.stdout.endswith("0 warnings.\n")


@pytest.mark.parametrize("name", ["marriage_registry", "婚姻登记处", "图们市民政局婚姻登记处", "혼인등기처",
                                  "도문시 민정국 혼인등기처", "Marriage_Registry"])
def test_hours_accepts_a_unit_by_its_id_or_its_name_in_either_language(name: str) -> None:
    result = CliRunner().invoke(main, ["hours", name, "--at", "2026-10-10T09:00", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["unit"] for row in json.loads(result.stdout)] == ["marriage_registry"]


def test_a_near_miss_is_answered_with_did_you_mean_and_an_ambiguous_name_with_the_choices() -> None:
    near = CliRunner().invoke(main, ["hours", "就业服务处"])
    assert near.exit_code == 2
    assert "'就业服务处' is not a unit; did you mean employment_bureau (图们市就业服务局, 도문시 취업봉사국)?" \
        in near.output
    several = CliRunner().invoke(main, ["hours", "服务中心"])
    assert several.exit_code == 2
    assert "'服务中心' names several units: talent_center (图们市人才交流服务中心), " \
           "veterans_center (图们市退役军人服务中心); give one of these ids" in " ".join(several.output.split())


def test_validate_takes_the_folder_as_menus_like_every_other_command(town_menus: object) -> None:
    result = CliRunner().invoke(main, ["validate", "--menus", "menus", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("menus: OK, 4 units")
    both = CliRunner().invoke(main, ["validate", "menus", "--menus", "other"])
    assert both.exit_code == 2 and "two folders are given (menus and --menus other); give one" in both.output


def test_ivr_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"ivr, version {version('tumen-ivr')}\n"
