"""calendar.yaml as data: the holidays' names, the State Council's notices, and the days staff open or close."""

from __future__ import annotations

from datetime import date, time
from types import MappingProxyType
from typing import Any

from ivr.core.calendar import OFFICIAL_HOLIDAY_KEYS, official_years
from ivr.core.model import CalendarData, CalendarEntry, Period, Text
from ivr.core.schema import as_written, known_advice, strings
from ivr.core.walker import Field, Fields, Group, Record, Walk
from ivr.core.yamlsource import KeyPath

# What each list of days in the file means: the days open (True) or closed, and who said so.
STAFF_LISTS = (("closures", False), ("openings", True), ("special_days", True))
NOTICE_LISTS = (("holidays", False), ("workdays", True))


def entry_days(walk: Walk, path: KeyPath, given: dict[str, Any]) -> tuple[date, date] | None:
    """Read the day (date) or days (from, to) of an entry; a notice's days must be in the notice's year."""
    check = walk.check
    if "date" in given:
        first = last = check.day((*path, "date"), given["date"])
    elif "from" in given and "to" in given:
        first, last = check.day((*path, "from"), given["from"]), check.day((*path, "to"), given["to"])
    else:
        check.report(path, "calendar.no_day")
        return None
    if first is None or last is None:
        return None
    if last < first:
        check.report((*path, "to"), "calendar.range_backwards", first=str(first), last=str(last))
        return None
    year = int(path[1]) if path[0] == "state_council" else None
    if year is not None and (first.year != year or last.year != year):
        check.report(path, "calendar.wrong_year", first=str(first), last=str(last), year=str(year))
        return None
    return first, last


def special_hours(walk: Walk, path: KeyPath,
                  given: dict[str, Any]) -> tuple[tuple[Period, ...] | None, time | None] | None:
    """Read a special day's own hours, or the time every unit closes that day: one of the two."""
    check = walk.check
    if ("hours" in given) == ("closes" in given):
        check.report(path, "calendar.hours_and_closes" if "hours" in given else "calendar.neither_hours_nor_closes")
        return None
    if "closes" in given:
        closes = check.clock((*path, "closes"), given["closes"])
        return (None, closes) if closes is not None else None
    if given["hours"] == []:
        check.report((*path, "hours"), "calendar.no_period")
    hours = check.periods((*path, "hours"), given["hours"])
    return (hours, None) if hours else None


def holiday_name(walk: Walk, path: KeyPath, value: Any) -> Text | None:
    """Read an entry's name: one of holiday_names, or a text of its own."""
    names = walk.built["holiday_names"]
    if isinstance(value, str):
        if value in names:
            found: Text = names[value]
            return found
        walk.check.report(path, "calendar.not_holiday_name", value=str(value))
        return None
    return walk.check.text(path, value)


def entry_units(walk: Walk, path: KeyPath, value: Any) -> frozenset[str]:
    """Read the units an entry is for (without the key: the whole bureau)."""
    units = walk.built["units"]
    found = frozenset(strings(walk, path, value))
    for unit_id in sorted(found - set(units)):
        walk.check.report(path, "units.not_unit", value=unit_id, advice=known_advice("units", list(units), unit_id))
    return found


DAYS = Group("days", ("date", "from", "to"), entry_days)
NAME = Field("name", holiday_name)
UNITS = Field("units", entry_units, required=False, blocks=False)
# Days, name and units are read independently, so one entry reports all its mistakes at once.
NOTICE_DAY = Record((DAYS, NAME))
STAFF_DAY = Record((DAYS, NAME, UNITS))
# A special day has its own hours or closes early (a half day); other entries open or close whole days.
SPECIAL_DAY = Record((Group("hours", ("hours", "closes"), special_hours), DAYS, NAME, UNITS),
                     shown=("name", "date", "from", "to", "units", "hours", "closes"))
NOTICE = Record((Field("holidays", as_written), Field("workdays", as_written, required=False, default=[])))
CALENDAR_FILE = Record((
    Field("holiday_names", as_written),
    Field("state_council", as_written, required=False, default={}),
    *(Field(kind, as_written, required=False, default=[]) for kind, _ in STAFF_LISTS),
))


def read_calendar(walk: Walk, data: Any) -> CalendarData:
    """Read calendar.yaml; walk.built holds the units built from units.yaml."""
    top = walk.record((), data, CALENDAR_FILE) or Fields()
    names = _holiday_names(walk, top.get("holiday_names"))
    walk.built = {**walk.built, "holiday_names": names}
    entries: list[CalendarEntry] = []
    years: set[int] = set()
    for year, notice in (walk.check.mapping(("state_council",), top.get("state_council", {})) or {}).items():
        if not str(year).isdigit():
            walk.check.report(("state_council", year), "calendar.not_year", value=str(year))
            continue
        years.add(int(year))
        entries.extend(_notice(walk, ("state_council", year), notice))
    for kind, is_open in STAFF_LISTS:
        record = SPECIAL_DAY if kind == "special_days" else STAFF_DAY
        entries.extend(entry for _, entry in _entries(walk, (kind,), top.get(kind, []), record, is_open, "staff"))
    return CalendarData(frozenset(years), tuple(entries), MappingProxyType(names))


def _holiday_names(walk: Walk, value: Any) -> dict[str, Text]:
    names: dict[str, Text] = {}
    for key, spec in (walk.check.mapping(("holiday_names",), value) or {}).items():
        name = walk.check.text(("holiday_names", key), spec)
        if name is not None:
            names[key] = name
    for key in OFFICIAL_HOLIDAY_KEYS:
        if key not in names and isinstance(value, dict):
            walk.check.report(("holiday_names",), "calendar.holiday_unnamed", key=str(key))
    return names


def _notice(walk: Walk, path: KeyPath, value: Any) -> list[CalendarEntry]:
    """Read one year's State Council notice: its holidays and its make-up working days."""
    if int(path[1]) in official_years():
        walk.check.report(path, "calendar.replaces_official", severity="warning", year=str(path[1]))
    fields = walk.record(path, value, NOTICE) or Fields()
    found: list[tuple[KeyPath, CalendarEntry]] = []
    for kind, is_open in NOTICE_LISTS:
        found.extend(_entries(walk, (*path, kind), fields.get(kind, []), NOTICE_DAY, is_open, "state_council"))
    # A day cannot be both a holiday and a make-up working day of the same notice.
    holidays = [(p, e) for p, e in found if not e.open]
    for where, workday in ((p, e) for p, e in found if e.open):
        clash = next((p for p, h in holidays if h.first <= workday.last and workday.first <= h.last), None)
        if clash is not None:
            walk.check.report(where, "calendar.workday_and_holiday", day=str(workday.first),
                              other=str(walk.check.doc.line(clash)))
    return [entry for _, entry in found]


def _entries(walk: Walk, path: KeyPath, value: Any, record: Record, is_open: bool,
             source: str) -> list[tuple[KeyPath, CalendarEntry]]:
    """Read a list of days; keep the entries that could be built, with where each was written."""
    if value is None:
        return []
    if not isinstance(value, list):
        walk.check.report(path, "calendar.not_days")
        return []
    found: list[tuple[KeyPath, CalendarEntry]] = []
    for i, spec in enumerate(value):
        fields = walk.record((*path, i), spec, record)
        if fields is not None and fields.complete:
            hours, closes = fields.get("hours") or (None, None)
            first, last = fields["days"]
            found.append(((*path, i), CalendarEntry(first, last, is_open, fields["name"], fields.get("units"),
                                                    source, hours, closes)))  # type: ignore[arg-type]
    return found
