"""Edits of the menus files outside the console: only the edited lines change, and publishing checks first."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

from ivr.menu_edits import (
    DayEntry,
    add_calendar_entry,
    hour_slots,
    publish_files,
    read_texts,
    remove_calendar_entry,
    set_schedule_hours,
    set_unit,
)

WEEKDAY_SCHEDULE = """\
schedules:
  marriage:
    name: {zh: 婚姻登记处办公时间, ko: 혼인등기처 업무시간}
    hours:                      # by weekday
      mon-thu: ["08:30-16:00"]
      fri: ["08:30-15:30"]
    changes:                    # new hours from a date
      - from: 2027-01-01
        hours: ["09:00-17:00"]
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_removing_the_middle_of_three_closures_keeps_the_others_and_the_comments(menus: Path) -> None:
    text = read_texts(menus)["calendar.yaml"]
    for day in (4, 11, 18):
        text = add_calendar_entry(text, "closures", DayEntry("会", "회의", day=date(2026, 12, day)))
    after = remove_calendar_entry(text, "closures", 1)
    assert changed_lines(text, after) == ["-  - {date: 2026-12-11, name: {zh: 会, ko: 회의}}"]
    emptied = remove_calendar_entry(remove_calendar_entry(after, "closures", 1), "closures", 0)
    assert emptied == read_texts(menus)["calendar.yaml"]  # the comment before openings: came back


def test_hours_by_weekday_and_from_a_date_are_each_a_slot_and_change_alone() -> None:
    assert hour_slots(WEEKDAY_SCHEDULE, "marriage") == [
        (("hours", "mon-thu"), ["08:30-16:00"]), (("hours", "fri"), ["08:30-15:30"]),
        (("changes", 0, "hours"), ["09:00-17:00"])]
    after = set_schedule_hours(WEEKDAY_SCHEDULE, "marriage", {("hours", "fri"): ["08:30-15:00"]})
    assert changed_lines(WEEKDAY_SCHEDULE, after) == ['-      fri: ["08:30-15:30"]', '+      fri: ["08:30-15:00"]']


def test_a_unit_without_its_own_line_loses_the_phone_line_only(town_menus: Path) -> None:
    text = read_texts(town_menus)["units.yaml"]
    assert changed_lines(text, set_unit(text, "marriage_station", None, "marriage")) == ["-    phone: 0433-3600003"]


def test_publishing_a_broken_edit_writes_nothing_and_a_valid_one_replaces_only_its_file(town_menus: Path) -> None:
    menus = town_menus  # the engine's small hotline: its marriage station's line is on line 38 of units.yaml
    before = read_texts(menus)
    broken = {"units.yaml": set_unit(before["units.yaml"], "marriage_station", "0433-36000031", "marriage")}
    problems = publish_files(menus, broken)
    assert next((p.file, p.line, p.key_path) for p in problems if p.severity == "error") == \
        ("menus/units.yaml", 38, "units.marriage_station.phone")
    assert read_texts(menus) == before
    calendar_inode = (menus / "calendar.yaml").stat().st_ino
    fixed = {"units.yaml": set_unit(before["units.yaml"], "marriage_station", "0433-3600004", "marriage")}
    assert [p for p in publish_files(menus, fixed) if p.severity == "error"] == []
    assert read_texts(menus) == {**before, **fixed}
    assert (menus / "calendar.yaml").stat().st_ino == calendar_inode  # an unchanged file is not rewritten
    assert sorted(p.name for p in menus.parent.iterdir() if "candidate" in p.name) == []  # no scratch left
