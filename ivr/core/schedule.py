"""Whether a unit is open at a moment, why not, when it closes and when it opens next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

import pytz

from ivr.core.calendar import Day, WorkCalendar
from ivr.core.model import Hotline, Period, Text, Unit, WeekHours

Reason = Literal["open", "weekend", "holiday", "closure", "lunch", "before_opening", "after_closing"]
# How far ahead next_open is searched; a unit closed longer than this has no next opening.
SEARCH_DAYS = 400
# A change of hours this close is announced with the hours, so callers are not surprised by it.
NOTICE_DAYS = 30
# Answers kept per hotline: every unit for about a year of days.
DAYS_REMEMBERED = 20_000


@dataclass(frozen=True)
class Status:
    """A unit's state at one moment: open until closes_at, or closed for a reason until next_open."""

    unit_id: str
    at: datetime
    open: bool
    reason: Reason
    reason_name: Text | None  # the holiday's or the closure's name
    closes_at: datetime | None
    next_open: datetime | None


@dataclass(frozen=True)
class Outlook:
    """A unit's hours as callers are told them on a day: the week, special hours today, and a change soon."""

    week: WeekHours
    today: tuple[Period, ...] | None  # a special day's own hours, when today is one
    change: tuple[date, WeekHours] | None  # new hours from a day within NOTICE_DAYS


class OfficeHours:
    """Combines each unit's schedule, the seasons and the work calendar into open/closed answers."""

    def __init__(self, hotline: Hotline) -> None:
        self.hotline = hotline
        self.calendar = WorkCalendar(hotline.calendar)
        self.tz = pytz.timezone(hotline.settings.timezone)
        self._days: dict[tuple[str, date], tuple[Day, tuple[Period, ...]]] = {}

    def local(self, when: datetime) -> datetime:
        """Express a moment in the hotline's time zone; a naive moment is taken as already local."""
        if when.tzinfo is None:
            return self.tz.localize(when)
        return when.astimezone(self.tz)

    def week(self, unit: Unit, day: date) -> WeekHours:
        """Return the unit's week in force on a day, in that day's season."""
        return unit.schedule.week(day, self.hotline.season_of(day).id)

    def outlook(self, unit: Unit, day: date) -> Outlook:
        """Return the unit's week on a day, its special hours that day if any, and a change of hours soon."""
        verdict, periods = self.periods_on(unit, day)
        change = unit.schedule.next_change(day)
        coming = None
        if change is not None and change.since is not None and (change.since - day).days <= NOTICE_DAYS:
            coming = (change.since, change.seasons[self.hotline.season_of(change.since).id])
        return Outlook(self.week(unit, day), periods if verdict.special else None, coming)

    def periods_on(self, unit: Unit, day: date) -> tuple[Day, tuple[Period, ...]]:
        """Return the day's verdict and the unit's opening periods that day (none when not working)."""
        known = self._days.get((unit.id, day))
        if known is not None:
            return known
        answer = self._day(unit, day)
        if len(self._days) >= DAYS_REMEMBERED:  # the hotline is immutable, so a day's answer never changes
            self._days.clear()
        self._days[(unit.id, day)] = answer
        return answer

    def _day(self, unit: Unit, day: date) -> tuple[Day, tuple[Period, ...]]:
        week = self.week(unit, day)
        verdict = self.calendar.day(unit, day, week.weekdays)
        if not verdict.working:
            return verdict, ()
        periods = verdict.hours if verdict.hours is not None else week.on(day.weekday())
        if verdict.closes is not None:  # an early closing cuts the day's own periods
            periods = tuple(Period(p.start, min(p.end, verdict.closes)) for p in periods if p.start < verdict.closes)
        return verdict, periods

    def is_open(self, unit: Unit, when: datetime) -> bool:
        """Tell whether the unit is open at that moment, without working out why or until when."""
        now = self.local(when)
        return self._period_at(self.periods_on(unit, now.date())[1], now.time()) is not None

    def status(self, unit: Unit, when: datetime) -> Status:
        """Return whether the unit is open at that moment, with the reason and the next change."""
        now = self.local(when)
        verdict, periods = self.periods_on(unit, now.date())
        clock = now.time()
        period = self._period_at(periods, clock)
        if period is not None:
            return Status(unit.id, now, True, "open", None, self._at(now.date(), period.end), None)
        reason: Reason
        if not verdict.working:
            reason, name = verdict.reason, verdict.name
        elif not periods or clock >= periods[-1].end:
            reason, name = "after_closing", None
        elif clock < periods[0].start:
            reason, name = "before_opening", None
        else:
            reason, name = "lunch", None
        return Status(unit.id, now, False, reason, name, None, self.next_open(unit, now))

    def next_open(self, unit: Unit, when: datetime) -> datetime | None:
        """Return the first moment at or after `when` at which the unit is open."""
        now = self.local(when)
        for offset in range(SEARCH_DAYS):
            day = now.date() + timedelta(days=offset)
            _, periods = self.periods_on(unit, day)
            for period in periods:
                if offset > 0 or period.end > now.time():
                    start = self._at(day, period.start)
                    return max(start, now)
        return None

    @staticmethod
    def _period_at(periods: tuple[Period, ...], clock: time) -> Period | None:
        return next((period for period in periods if period.start <= clock < period.end), None)

    def _at(self, day: date, clock: time) -> datetime:
        return self.tz.localize(datetime.combine(day, clock))
