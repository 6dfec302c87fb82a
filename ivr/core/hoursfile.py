"""Reads a schedule's hours as offices keep them: by season, by weekday, or both, changing from a date on."""

from __future__ import annotations

import difflib
from datetime import date
from types import MappingProxyType
from typing import Any

from ivr.core.checks import MISSING, DocumentChecker
from ivr.core.model import Hours, Period, Schedule, Season, WeekHours
from ivr.core.wording import advice
from ivr.core.yamlsource import KeyPath

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_EXAMPLE = 'hours: {mon-thu: ["08:30-16:00"], fri: ["08:30-15:30"]}'


class ScheduleReader:
    """Turns one schedule of schedules.yaml into a Schedule, reporting every mistake at its line."""

    def __init__(self, check: DocumentChecker, seasons: tuple[Season, ...]) -> None:
        self.check = check
        self.seasons = seasons
        self.season_ids = [s.id for s in seasons]

    def schedule(self, path: KeyPath, schedule_id: str, spec: Any) -> Schedule | None:
        """Return the schedule, or None after reporting what is wrong with it."""
        check = self.check
        if isinstance(spec, dict):
            spec = self._without_misplaced_weekdays(path, spec)
        fields = check.mapping(path, spec, required=("name", "hours"), optional=("days", "changes"))
        if fields is None or not check.identifier(path, schedule_id):
            return None
        name = check.text((*path, "name"), fields.get("name"))
        first = self._version(path, fields, None, None)
        versions = [first]
        for i, change in enumerate(self._changes((*path, "changes"), fields.get("changes", []))):
            change_path: KeyPath = (*path, "changes", i)
            given = check.mapping(change_path, change, required=("from", "hours"), optional=("days",))
            since = check.day((*change_path, "from"), given.get("from")) if given else None
            if given is None or since is None:
                versions.append(None)
                continue
            earlier = [v.since for v in versions if v is not None and v.since is not None]
            if earlier and since <= max(earlier):
                check.report((*change_path, "from"), "schedule.change_order", since=str(since),
                             previous=str(max(earlier)))
            previous = next((v for v in reversed(versions) if v is not None), None)
            versions.append(self._version(change_path, given, since, previous))
        if name is None or any(v is None for v in versions):
            return None
        return Schedule(schedule_id, name, tuple(v for v in versions if v is not None))

    def _without_misplaced_weekdays(self, path: KeyPath, spec: dict[str, Any]) -> dict[str, Any]:
        """Hours of a weekday written beside hours: rather than under it get their own message."""
        misplaced = [key for key in spec if isinstance(key, str) and _weekdays(key) is not None]
        for key in misplaced:
            self.check.report((*path, key), "schedule.weekday_beside_hours", key=key, example=WEEKDAY_EXAMPLE)
        return {key: value for key, value in spec.items() if key not in misplaced}

    def _changes(self, path: KeyPath, value: Any) -> list[Any]:
        if isinstance(value, list):
            return value
        self.check.report(path, "schedule.not_changes")
        return []

    def _version(self, path: KeyPath, fields: dict[str, Any], since: date | None,
                 previous: Hours | None) -> Hours | None:
        """Read one version's days and hours; a change without days keeps the working days before it."""
        days = None
        if "days" in fields:
            days = self.days((*path, "days"), fields["days"])
            if days is None:
                return None
        elif previous is not None:
            days = next(iter(previous.seasons.values())).weekdays
        value = fields.get("hours")
        if value is MISSING:
            return None
        if isinstance(value, dict) and any(key in self.season_ids for key in value):
            weeks = self._seasons((*path, "hours"), value, days)
        else:
            week = self._week((*path, "hours"), value, days)
            weeks = None if week is None else {season.id: week for season in self.seasons}
        if weeks is None:
            return None
        return Hours(since, MappingProxyType(weeks))

    def _seasons(self, path: KeyPath, value: dict[str, Any],
                 days: frozenset[int] | None) -> dict[str, WeekHours] | None:
        given = self.check.mapping(path, value, optional=self.season_ids) or {}
        misspelt = [str(key) for key in given if key not in self.season_ids]
        weeks: dict[str, WeekHours] = {}
        for season in self.seasons:
            if season.id not in given and difflib.get_close_matches(season.id, misspelt, n=1):
                continue  # its misspelt key is reported with a "did you mean"
            if season.id not in given:
                self.check.report(path, "schedule.season_missing", season=season.id)
                continue
            week = self._week((*path, season.id), given[season.id], days)
            if week is not None:
                weeks[season.id] = week
        return weeks if len(weeks) == len(self.seasons) and len(given) == len(self.seasons) else None

    def _week(self, path: KeyPath, value: Any, days: frozenset[int] | None) -> WeekHours | None:
        """Read the hours of a week: one list for every working day, or lists per weekday."""
        if isinstance(value, list):
            periods = self._periods(path, value)
            if days is None:
                self.check.report(path, "schedule.days_missing")
                return None
            return None if periods is None else WeekHours(MappingProxyType(dict.fromkeys(sorted(days), periods)))
        if not isinstance(value, dict):
            self.check.report(path, "schedule.not_week")
            return None
        return self._weekdays_hours(path, value, days)

    def _weekdays_hours(self, path: KeyPath, value: dict[str, Any],
                        days: frozenset[int] | None) -> WeekHours | None:
        if not value:
            self.check.report(path, "schedule.no_hours")
            return None
        by_day: dict[int, tuple[Period, ...]] = {}
        named_by: dict[int, str] = {}
        ok = True
        for key, spec in value.items():
            if _weekdays(str(key)) is None and (season := difflib.get_close_matches(str(key), self.season_ids, n=1)):
                self.check.report((*path, key), "schedule.neither_weekday_nor_season",
                                  advice=advice("hint.did_you_mean_season", close=season[0]), key=str(key))
                ok = False
                continue
            inner = [season for season in self.season_ids if isinstance(spec, dict) and season in spec]
            if inner:
                self.check.report((*path, key), "schedule.season_inside_weekday", season=inner[0], key=str(key))
                ok = False
                continue
            weekdays = self.weekday_range((*path, key), str(key))
            periods = self._periods((*path, key), spec)
            if weekdays is None or periods is None:
                ok = False
                continue
            for day in weekdays:
                if day in named_by:
                    self.check.report((*path, key), "schedule.weekday_twice", day=WEEKDAYS[day],
                                      first=named_by[day], second=str(key))
                    ok = False
                named_by[day] = str(key)
                by_day[day] = periods
        return self._against_days(path, by_day, days) if ok else None

    def _against_days(self, path: KeyPath, by_day: dict[int, tuple[Period, ...]],
                      days: frozenset[int] | None) -> WeekHours | None:
        """Per-weekday hours must cover exactly the working days, when those are given too."""
        if days is not None:
            gaps = sorted(days - set(by_day))
            extra = sorted(set(by_day) - days)
            if gaps:
                # English agrees its verb with the days; Chinese and Korean need no agreement.
                said = f"{_names(gaps)} {'is a working day' if len(gaps) == 1 else 'are working days'}"
                self.check.report(path, "schedule.workday_without_hours", days=_names(gaps), days_en=said)
            if extra:
                said = f"{_names(extra)} {'has' if len(extra) == 1 else 'have'}"
                self.check.report(path, "schedule.hours_not_workday", days=_names(extra), days_en=said,
                                  verb_en="is" if len(extra) == 1 else "are")
            if gaps or extra:
                return None
        return WeekHours(MappingProxyType(dict(sorted(by_day.items()))))

    def _periods(self, path: KeyPath, value: Any) -> tuple[Period, ...] | None:
        periods = self.check.periods(path, value)
        if value == []:
            self.check.report(path, "schedule.no_period")
            return None
        return periods

    def days(self, path: KeyPath, value: Any) -> frozenset[int] | None:
        """Read a list of working days, each a weekday or a range (mon-fri); a day may be given once."""
        found: set[int] = set()
        ok = True
        for i, item in enumerate(self.check.string_list(path, value)):
            weekdays = self.weekday_range((*path, i), item)
            if weekdays is None:
                ok = False
                continue
            twice = sorted(found & set(weekdays))
            if twice:
                self.check.report((*path, i), "schedule.day_listed_twice", days=_names(twice))
                ok = False
            found |= set(weekdays)
        if ok and not found:
            self.check.report(path, "schedule.no_workday")
        return frozenset(found) if ok and found else None

    def weekday_range(self, path: KeyPath, text: str) -> list[int] | None:
        """Read 'fri' or 'mon-thu' as weekday numbers (0 = Monday)."""
        parts = [part.strip().lower() for part in text.split("-")]
        days = _weekdays(text)
        if days is None:
            unknown = [part for part in parts if part not in WEEKDAYS]
            close = difflib.get_close_matches(unknown[0], WEEKDAYS, n=1) if unknown else []
            hint = advice("hint.did_you_mean", close=close[0]) if close else advice("hint.weekday")
            self.check.report(path, "schedule.not_weekday", value=text, advice=hint)
        elif not days:
            self.check.report(path, "schedule.range_backwards", value=text, fixed=f"{parts[-1]}-{parts[0]}")
        return days or None


def _weekdays(text: str) -> list[int] | None:
    """Return the weekdays 'fri' or 'mon-thu' names (0 = Monday), empty for a range written backwards, None for
    text that names no weekday."""
    parts = [part.strip().lower() for part in text.split("-")]
    if len(parts) > 2 or any(part not in WEEKDAYS for part in parts):
        return None
    return list(range(WEEKDAYS.index(parts[0]), WEEKDAYS.index(parts[-1]) + 1))


def _names(days: list[int]) -> str:
    return ", ".join(WEEKDAYS[d] for d in days)
