"""Which days are working days: staff overrides, then the State Council's calendar, then the weekday pattern."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Literal

import chinese_calendar
import holidays

from ivr.core.model import CalendarData, CalendarEntry, Hotline, Period, Text, Unit
from ivr.core.problems import Problem

log = logging.getLogger(__name__)

# Keys of the holidays the official data can name; calendar.yaml gives each its spoken name.
OFFICIAL_HOLIDAY_KEYS = tuple(h.name for h in chinese_calendar.Holiday)
_KEY_OF_OFFICIAL_NAME = {h.value: h.name for h in chinese_calendar.Holiday}
# How the `holidays` package names China's statutory holidays, for years without official data.
_FALLBACK_NAME_PARTS = (
    ("New Year's Eve", "spring_festival"),
    ("Spring Festival", "spring_festival"),
    ("New Year", "new_years_day"),
    ("Tomb", "tomb_sweeping_day"),
    ("Labo", "labour_day"),
    ("Dragon Boat", "dragon_boat_festival"),
    ("Mid-Autumn", "mid_autumn_festival"),
    ("National Day", "national_day"),
)
COVERAGE_DAYS = 60

DayReason = Literal["open", "weekend", "holiday", "closure"]
Source = Literal["staff", "state_council", "fallback", "weekdays"]


@dataclass(frozen=True)
class Day:
    """Whether a unit works on a date, why, and which rule decided it."""

    working: bool
    reason: DayReason
    name: Text | None  # the holiday's or closure's; on a make-up working day, the holiday it makes up for
    source: Source
    hours: tuple[Period, ...] | None = None  # a special day's own hours instead of the schedule's
    closes: time | None = None  # a special day's early closing, cutting the schedule's hours

    @property
    def special(self) -> bool:
        """Tell whether the day has hours of its own rather than the schedule's."""
        return self.hours is not None or self.closes is not None


@lru_cache(maxsize=1)
def official_years() -> range:
    """Return the years the chinese-calendar package has the State Council's notice for."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return range(min(years), max(years) + 1)


@lru_cache(maxsize=16)
def _statutory_fallback(year: int) -> dict[date, str]:
    log.warning(
        "The State Council's holiday calendar for %d is not known (chinese-calendar has %d-%d and calendar.yaml "
        "has no notice for it): using the statutory holidays only, without make-up working days.",
        year, official_years().start, official_years().stop - 1,
    )
    days = holidays.country_holidays("CN", years=year, language="en_US")
    return {day: _fallback_key(name) for day, name in days.items()}


def _fallback_key(name: str) -> str:
    return next((key for part, key in _FALLBACK_NAME_PARTS if part in name), "national_day")


class WorkCalendar:
    """Answers whether a unit works on a day, by the precedence the bureau follows."""

    def __init__(self, data: CalendarData) -> None:
        self.data = data
        self._staff = [e for e in data.entries if e.source == "staff"]
        self._notices = [e for e in data.entries if e.source == "state_council"]

    def day(self, unit: Unit, day: date, weekdays: frozenset[int]) -> Day:
        """Return whether the unit works on that day, given its usual working weekdays, and which rule decided."""
        override = self._staff_entry(unit, day)
        if override is not None:
            return Day(override.open, "open" if override.open else "closure", override.name, "staff", override.hours,
                       override.closes)
        holiday, makeup, source = self._official(day)
        if holiday is not None and not makeup:
            return Day(False, "holiday", holiday, source)
        if makeup:  # a make-up working day (调休) keeps the name of the holiday it makes up for
            return Day(True, "open", holiday, source)
        usual = day.weekday() in weekdays
        return Day(usual, "open" if usual else "weekend", None, "weekdays")

    def is_covered(self, year: int) -> bool:
        """Tell whether the State Council's notice for the year is known (package or calendar.yaml)."""
        return year in official_years() or year in self.data.state_council_years

    def _staff_entry(self, unit: Unit, day: date) -> CalendarEntry | None:
        matches = [e for e in self._staff if e.covers(day, unit.id)]
        # A decision about one unit is more specific than one about the whole bureau.
        matches.sort(key=lambda e: e.units is None)
        return matches[0] if matches else None

    def _official(self, day: date) -> tuple[Text | None, bool, Source]:
        """Return (holiday name, is a make-up working day, source) from the best official data for the year."""
        if day.year in self.data.state_council_years:
            entry = next((e for e in self._notices if e.covers(day, "")), None)
            if entry is None:
                return None, False, "state_council"
            return entry.name, entry.open, "state_council"
        if day.year in official_years():
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            key = _KEY_OF_OFFICIAL_NAME.get(name) if name else None
            if key is None:
                return None, False, "weekdays"
            return self._name(key), not on_holiday, "state_council"
        key = _statutory_fallback(day.year).get(day)
        return (self._name(key) if key else None), False, "fallback"

    def _name(self, key: str) -> Text:
        return self.data.holiday_names[key]


def coverage_warnings(hotline: Hotline, today: date) -> list[Problem]:
    """Warn when the next 60 days fall in a year whose holidays and make-up days are not yet known."""
    calendar = WorkCalendar(hotline.calendar)
    last = today + timedelta(days=COVERAGE_DAYS)
    problems = []
    for year in range(today.year, last.year + 1):
        if calendar.is_covered(year):
            continue
        known = official_years()
        problems.append(Problem.of(
            f"{hotline.source_dir}/calendar.yaml", hotline.calendar_line, "state_council", "calendar.year_unknown",
            severity="warning", year=year, first=known.start, last=known.stop - 1, days=COVERAGE_DAYS))
    return problems


@dataclass(frozen=True)
class MissingNotice:
    """A coming (or current) year whose State Council notice is known neither to the package nor to calendar.yaml,
    and the first day the next COVERAGE_DAYS days reach into it (from then on staff are warned)."""

    year: int
    warn_from: date


def missing_notice(data: CalendarData, today: date) -> MissingNotice | None:
    """Return the first year within the next 60 days whose holiday notice is not entered, or None."""
    calendar = WorkCalendar(data)
    for year in range(today.year, (today + timedelta(days=COVERAGE_DAYS)).year + 1):
        if not calendar.is_covered(year):
            return MissingNotice(year, date(year, 1, 1) - timedelta(days=COVERAGE_DAYS))
    return None


def weeks_covering(days: Iterable[date]) -> list[tuple[date, ...]]:
    """Return the Monday-to-Sunday weeks from the week of the first day to the week of the last, to show them."""
    chosen = sorted(days)
    if not chosen:
        return []
    monday = chosen[0] - timedelta(days=chosen[0].weekday())
    weeks = []
    while monday <= chosen[-1]:
        weeks.append(tuple(monday + timedelta(days=i) for i in range(7)))
        monday += timedelta(days=7)
    return weeks
