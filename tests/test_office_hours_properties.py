"""Properties of office hours over random moments and units, 2024 to 2027.

On the engine's small hotline (tests/fixtures/engine_menus/), and on a small one with hours by weekday, a half day
and new hours from 2027-01-01.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.core.loader import load_hotline
from ivr.core.model import Hotline, Unit
from ivr.core.schedule import OfficeHours
from tests.conftest import ENGINE_MENUS, write_small_hotline
from tests.test_hours_as_offices_keep_them import HALF_DAY, MARRIAGE, STANDARD

SHANGHAI = pytz.timezone("Asia/Shanghai")
EARLY_CLOSINGS = """\
  - {from: 2027-02-01, to: 2027-02-05, closes: "15:10", name: {zh: 春节前, ko: 춘절 전}}
  - {date: 2026-07-03, closes: "12:40", units: [marriage_registry], name: {zh: 培训, ko: 양성}}
"""


def load_small_hotline() -> Hotline:
    """Write the small hotline in a folder removed once it is loaded (the hotline keeps no file open)."""
    with tempfile.TemporaryDirectory(prefix="ivr-small-") as scratch:
        return load_hotline(write_small_hotline(Path(scratch) / "small", STANDARD + MARRIAGE,
                                                HALF_DAY + EARLY_CLOSINGS))


HOURS = [OfficeHours(load_hotline(ENGINE_MENUS)), OfficeHours(load_small_hotline())]
MINUTE = timedelta(minutes=1)

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 20)).map(
    lambda d: SHANGHAI.localize(d.replace(second=0, microsecond=0))
)
# Each hotline half of the time, then one of its units.
units = st.sampled_from(HOURS).flatmap(
    lambda hours: st.tuples(st.just(hours), st.sampled_from(sorted(hours.hotline.units.values(), key=lambda u: u.id))))


def boundaries(hotline: Hotline) -> list[time]:
    """Every opening and closing time any schedule or special day names: the only minutes a state can change."""
    periods = [period for schedule in hotline.schedules.values() for version in schedule.versions
               for week in version.seasons.values() for day in week.days.values() for period in day]
    periods += [period for entry in hotline.calendar.entries for period in entry.hours or ()]
    closings = [entry.closes for entry in hotline.calendar.entries if entry.closes is not None]
    return sorted({t for period in periods for t in (period.start, period.end)} | set(closings))


# Checking the boundaries on every day, beside a regular sample, covers long gaps exactly.
BOUNDARIES = sorted({t for hours in HOURS for t in boundaries(hours.hotline)})


def minutes_between(start: datetime, end: datetime) -> list[datetime]:
    """Every minute in [start, end) for gaps up to two days; for longer ones every 7th minute plus every boundary."""
    if end - start <= timedelta(days=2):
        return [start + i * MINUTE for i in range(int((end - start) / MINUTE))]
    sample = [start + i * 7 * MINUTE for i in range(int((end - start) / (7 * MINUTE)))]
    day, edges = start.date(), []
    while day <= end.date():
        for clock in BOUNDARIES:
            moment = SHANGHAI.localize(datetime.combine(day, clock))
            for candidate in (moment - MINUTE, moment):
                if start <= candidate < end:
                    edges.append(candidate)
        day += timedelta(days=1)
    return sample + edges


@settings(max_examples=150, deadline=None)
@given(moment=moments, chosen=units)
def test_next_open_is_open_and_nothing_before_it_is(moment: datetime, chosen: tuple[OfficeHours, Unit]) -> None:
    hours, unit = chosen
    state = hours.status(unit, moment)
    if state.open:
        return
    assert state.next_open is not None and state.next_open > moment
    assert hours.status(unit, state.next_open).open
    assert not hours.status(unit, state.next_open - MINUTE).open
    for minute in minutes_between(moment, state.next_open):
        assert not hours.status(unit, minute).open, minute


@settings(max_examples=150, deadline=None)
@given(moment=moments, chosen=units)
def test_closes_at_is_the_first_closed_minute(moment: datetime, chosen: tuple[OfficeHours, Unit]) -> None:
    hours, unit = chosen
    state = hours.status(unit, moment)
    if not state.open:
        return
    assert state.closes_at is not None and state.closes_at > moment
    assert not hours.status(unit, state.closes_at).open
    for minute in minutes_between(moment, state.closes_at):
        assert hours.status(unit, minute).open, minute


@settings(max_examples=100, deadline=None)
@given(moment=moments, chosen=units)
def test_an_open_unit_has_no_next_open_and_a_closed_one_no_closes_at(moment: datetime,
                                                                     chosen: tuple[OfficeHours, Unit]) -> None:
    hours, unit = chosen
    state = hours.status(unit, moment)
    assert (state.closes_at is None) == (not state.open)
    assert (state.next_open is None) == state.open


@settings(max_examples=150, deadline=None)
@given(moment=moments, chosen=units)
def test_is_open_says_what_the_full_status_says(moment: datetime, chosen: tuple[OfficeHours, Unit]) -> None:
    hours, unit = chosen
    assert hours.is_open(unit, moment) == hours.status(unit, moment).open


@settings(max_examples=300, deadline=None)
@given(units, moments, st.integers(min_value=1, max_value=59), st.integers(min_value=0, max_value=999_999))
def test_nothing_changes_within_a_minute(unit_of: tuple[OfficeHours, Unit], moment: datetime, second: int,
                                         microsecond: int) -> None:
    """What lets CallFlow keep a decision for its minute: a state is the same at any second of the minute."""
    hours, unit = unit_of
    start, within = hours.status(unit, moment), hours.status(unit, moment.replace(second=second,
                                                                                microsecond=microsecond))
    assert (within.open, within.reason, within.reason_name, within.closes_at) == (
        start.open, start.reason, start.reason_name, start.closes_at)
    if not start.open:
        assert within.next_open == start.next_open
