"""Office hours on the engine's small hotline (tests/fixtures/engine_menus/): seasons, lunch breaks, holidays and
make-up working days, a closure, an extra opening and a change of hours. Its centre keeps the bureau's seasonal
hours and its marriage station the bureau's marriage office's, so the bureau's year reads the same here."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
import pytz

from ivr.core.calendar import _statutory_fallback
from ivr.core.loader import load_hotline
from ivr.core.model import Hotline
from ivr.core.schedule import OfficeHours, Status
from tests.conftest import Editor

SHANGHAI = pytz.timezone("Asia/Shanghai")


def at(text: str) -> datetime:
    return SHANGHAI.localize(datetime.fromisoformat(text))


@pytest.fixture(scope="module")
def hours(town: Hotline) -> OfficeHours:
    return OfficeHours(town)


def status(hours: OfficeHours, unit_id: str, moment: str) -> Status:
    return hours.status(hours.hotline.units[unit_id], at(moment))


@pytest.mark.parametrize("makeup_day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                                        "2026-10-10"])
def test_2026_make_up_working_days_on_weekends_are_open(hours: OfficeHours, makeup_day: str) -> None:
    assert datetime.fromisoformat(makeup_day).weekday() >= 5
    assert status(hours, "bureau", f"{makeup_day}T10:00").open
    assert status(hours, "marriage_station", f"{makeup_day}T10:00").open


@pytest.mark.parametrize("holiday", ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
                                     "2026-02-23"])
def test_spring_festival_2026_closes_the_weekdays_16_to_23_february(hours: OfficeHours, holiday: str) -> None:
    closed = status(hours, "bureau", f"{holiday}T10:00")
    assert (closed.open, closed.reason, closed.reason_name and closed.reason_name.zh) == (False, "holiday", "春节")
    assert closed.next_open == at("2026-02-24T08:00")


@pytest.mark.parametrize("day", ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"])
def test_national_day_closes_1_to_7_october_and_opens_thursday_8th(hours: OfficeHours, day: str) -> None:
    closed = status(hours, "water_office", f"{day}T09:00")
    assert closed.reason == "holiday" and closed.reason_name is not None
    assert (closed.reason_name.zh, closed.reason_name.ko) == ("国庆节", "국경절")
    assert closed.next_open == at("2026-10-08T08:00")
    assert status(hours, "marriage_station", f"{day}T09:00").next_open == at("2026-10-08T08:30")


def test_the_seasons_change_between_30_april_and_1_may(hours: OfficeHours) -> None:
    assert status(hours, "bureau", "2026-04-30T08:00").open  # winter: from 8:00
    assert not status(hours, "bureau", "2026-04-30T16:30").open
    assert not status(hours, "bureau", "2026-05-06T08:00").open  # summer: from 8:30
    assert status(hours, "bureau", "2026-05-06T16:45").open


def test_the_seasons_change_between_30_september_and_1_october(hours: OfficeHours) -> None:
    assert status(hours, "bureau", "2026-09-30T16:59").open  # summer: until 17:00
    # 2025-10-09 is a Thursday of winter, outside the National Day week.
    assert not status(hours, "bureau", "2025-10-09T16:45").open
    assert status(hours, "bureau", "2025-10-09T08:00").open


def test_the_winter_lunch_break(hours: OfficeHours) -> None:
    lunch = status(hours, "bureau", "2026-11-26T12:00")
    assert (lunch.open, lunch.reason, lunch.next_open) == (False, "lunch", at("2026-11-26T13:00"))
    assert status(hours, "bureau", "2026-11-26T11:29:59").open
    assert not status(hours, "bureau", "2026-11-26T12:59:59").open
    assert status(hours, "bureau", "2026-11-26T13:00").open


def test_the_summer_lunch_break(hours: OfficeHours) -> None:
    lunch = status(hours, "water_office", "2026-07-15T12:00")
    assert (lunch.reason, lunch.next_open) == ("lunch", at("2026-07-15T13:30"))
    assert status(hours, "water_office", "2026-07-15T11:59").open


def test_the_boundary_minutes_opening_inclusive_closing_exclusive(hours: OfficeHours) -> None:
    assert status(hours, "bureau", "2026-11-26T08:00:00").open
    assert not status(hours, "bureau", "2026-11-26T07:59:59").open
    assert status(hours, "bureau", "2026-11-26T11:29:59").open
    assert not status(hours, "bureau", "2026-11-26T11:30:00").open
    opened = status(hours, "bureau", "2026-11-26T08:00")
    assert opened.closes_at == at("2026-11-26T11:30")


def test_the_marriage_office_is_open_8_30_to_16_00_all_year_without_lunch(hours: OfficeHours) -> None:
    for day in ("2026-01-06", "2026-07-15", "2026-11-26"):
        assert not status(hours, "marriage_station", f"{day}T08:29").open
        assert status(hours, "marriage_station", f"{day}T08:30").open
        assert status(hours, "marriage_station", f"{day}T12:15").open
        assert status(hours, "marriage_station", f"{day}T15:59").open
        after = status(hours, "marriage_station", f"{day}T16:00")
        assert (after.open, after.reason) == (False, "after_closing")


def test_reasons_before_opening_after_closing_and_weekend(hours: OfficeHours) -> None:
    assert status(hours, "bureau", "2026-11-26T07:00").reason == "before_opening"
    evening = status(hours, "bureau", "2026-11-26T18:00")
    assert (evening.reason, evening.next_open) == ("after_closing", at("2026-11-27T08:00"))
    weekend = status(hours, "bureau", "2026-11-28T10:00")
    assert (weekend.reason, weekend.next_open) == ("weekend", at("2026-11-30T08:00"))


def test_a_friday_evening_before_a_make_up_saturday_opens_next_morning(hours: OfficeHours) -> None:
    assert status(hours, "bureau", "2026-10-09T17:30").next_open == at("2026-10-10T08:00")


def test_a_moment_in_another_zone_is_converted_and_a_naive_one_is_shanghai_time(hours: OfficeHours) -> None:
    bureau = hours.hotline.units["bureau"]
    utc = pytz.utc.localize(datetime(2026, 11, 26, 0, 30))  # 08:30 in Tumen
    assert hours.status(bureau, utc).open
    assert hours.status(bureau, utc).at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    assert hours.status(bureau, datetime(2026, 11, 26, 8, 30)).open


def test_a_staff_closure_beats_the_official_make_up_day(town_menus: object, town_edit: Editor) -> None:
    town_edit("calendar.yaml", "closures:\n",
              "closures:\n  - {date: 2026-10-10, units: [marriage_station], name: {zh: 设备检修, ko: 설비 검수}}\n")
    town_edit("calendar.yaml", "openings:\n",
              "openings:\n  - {date: 2026-10-03, name: {zh: 国庆节加班, ko: 국경절 특별근무}, "
              "units: [marriage_station]}\n")
    hours = OfficeHours(load_hotline("menus"))
    closed = hours.status(hours.hotline.units["marriage_station"], at("2026-10-10T10:00"))
    assert (closed.open, closed.reason, closed.reason_name.zh if closed.reason_name else None) == (
        False, "closure", "设备检修")
    assert hours.status(hours.hotline.units["bureau"], at("2026-10-10T10:00")).open
    assert hours.status(hours.hotline.units["marriage_station"], at("2026-10-03T10:00")).open
    assert not hours.status(hours.hotline.units["bureau"], at("2026-10-03T10:00")).open


def test_a_whole_bureau_closure_and_a_unit_opening_on_the_same_day(town_menus: object, town_edit: Editor) -> None:
    town_edit("calendar.yaml", "closures:\n",
              "closures:\n  - {date: 2026-12-04, name: {zh: 全局培训, ko: 전국 연수}}\n")
    town_edit("calendar.yaml", "openings:\n",
              "openings:\n  - {date: 2026-12-04, units: [marriage_station], name: {zh: 照常办公, ko: 정상 근무}}\n")
    hours = OfficeHours(load_hotline("menus"))
    assert not hours.status(hours.hotline.units["water_office"], at("2026-12-04T10:00")).open
    assert hours.status(hours.hotline.units["marriage_station"], at("2026-12-04T10:00")).open


def test_2027_uses_the_statutory_fallback_with_a_logged_warning(
    hours: OfficeHours, caplog: pytest.LogCaptureFixture
) -> None:
    _statutory_fallback.cache_clear()
    with caplog.at_level(logging.WARNING, logger="ivr.core.calendar"):
        new_year = status(hours, "bureau", "2027-01-01T10:00")  # a Friday
        spring = status(hours, "bureau", "2027-02-08T10:00")  # a Monday of the Spring Festival
        status(hours, "bureau", "2027-10-01T10:00")
    assert (new_year.reason, new_year.reason_name and new_year.reason_name.zh) == ("holiday", "元旦")
    assert (spring.reason, spring.reason_name and spring.reason_name.zh) == ("holiday", "春节")
    assert status(hours, "bureau", "2027-01-04T10:00").open
    warnings = [r.getMessage() for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert "not known" in warnings[0] and "without make-up working days" in warnings[0]


def test_a_state_council_notice_in_calendar_yaml_is_used_for_2027(town_menus: object, town_edit: Editor) -> None:
    town_edit("calendar.yaml", "state_council:\n", """state_council:
  2027:
    holidays:
      - {from: 2027-02-05, to: 2027-02-13, name: spring_festival}
    workdays:
      - {date: 2027-02-14, name: spring_festival}
""")
    hours = OfficeHours(load_hotline("menus"))
    assert hours.status(hours.hotline.units["bureau"], at("2027-02-14T10:00")).open  # a make-up Sunday
    closed = hours.status(hours.hotline.units["bureau"], at("2027-02-12T10:00"))
    assert (closed.reason, closed.next_open) == ("holiday", at("2027-02-14T08:00"))
    assert hours.status(hours.hotline.units["bureau"], at("2027-10-01T10:00")).open  # not in the notice


def test_the_towns_own_notice_closes_its_holiday_and_opens_its_make_up_saturday(hours: OfficeHours) -> None:
    closed = status(hours, "water_office", "2028-01-04T10:00")  # a Tuesday in calendar.yaml's 2028 notice
    assert (closed.open, closed.reason, closed.reason_name and closed.reason_name.zh) == (False, "holiday", "元旦")
    assert closed.next_open == at("2028-01-05T08:00")
    assert status(hours, "water_office", "2028-01-08T10:00").open  # Saturday, made up
    assert status(hours, "water_office", "2028-01-08T08:00").open
    assert status(hours, "marriage_station", "2028-01-08T10:00").open
    assert not status(hours, "water_office", "2028-01-15T10:00").open  # an ordinary Saturday


def test_the_marriage_stations_closure_and_its_saturday_opening(hours: OfficeHours) -> None:
    closed = status(hours, "marriage_station", "2026-12-31T10:00")
    assert (closed.open, closed.reason, closed.reason_name and closed.reason_name.zh) == (False, "closure", "年终盘点")
    assert closed.next_open == at("2027-01-04T08:30")  # 1 January is New Year's Day, then a weekend
    assert status(hours, "water_office", "2026-12-31T10:00").open
    assert status(hours, "marriage_station", "2026-05-23T08:30").open  # a Saturday, with Monday's hours
    assert not status(hours, "marriage_station", "2026-05-23T16:00").open
    assert not status(hours, "water_office", "2026-05-23T10:00").open


def test_the_marriage_stations_new_hours_from_1_march_2027(hours: OfficeHours) -> None:
    assert status(hours, "marriage_station", "2027-02-26T08:30").open  # the Friday before: the old hours
    assert not status(hours, "marriage_station", "2027-03-01T08:30").open
    assert status(hours, "marriage_station", "2027-03-01T16:15").open
    saturday = status(hours, "marriage_station", "2027-03-06T11:59")
    assert saturday.open and saturday.closes_at == at("2027-03-06T12:00")
    assert not status(hours, "marriage_station", "2027-02-27T10:00").open  # a Saturday before the change
