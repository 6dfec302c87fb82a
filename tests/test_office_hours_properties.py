"""Properties of office hours over random moments and units, 2024 to 2027."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.core.loader import load_hotline
from ivr.core.schedule import OfficeHours
from tests.conftest import BUNDLED_MENUS

SHANGHAI = pytz.timezone("Asia/Shanghai")
HOURS = OfficeHours(load_hotline(BUNDLED_MENUS))
UNITS = sorted(HOURS.hotline.units)
MINUTE = timedelta(minutes=1)

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 20)).map(
    lambda d: SHANGHAI.localize(d.replace(second=0, microsecond=0))
)


# Every opening and closing time any schedule names, in any season: the only minutes at which a unit's
# state can change. Checking them on every day, beside a regular sample, covers long gaps exactly.
BOUNDARIES = sorted({t for schedule in HOURS.hotline.schedules.values() for version in schedule.versions
                     for week in version.seasons.values() for periods in week.days.values()
                     for period in periods for t in (period.start, period.end)})


def minutes_between(start: datetime, end: datetime) -> list[datetime]:
    """Every minute in [start, end) for gaps up to two days; for longer ones every 7th minute plus every boundary."""
    if end - start <= timedelta(days=2):
        return [start + i * MINUTE for i in range(int((end - start) / MINUTE))]
    sample = [start + i * 7 * MINUTE for i in range(int((end - start) / (7 * MINUTE)))]
    day, boundaries = start.date(), []
    while day <= end.date():
        for clock in BOUNDARIES:
            moment = SHANGHAI.localize(datetime.combine(day, clock))
            for candidate in (moment - MINUTE, moment):
                if start <= candidate < end:
                    boundaries.append(candidate)
        day += timedelta(days=1)
    return sample + boundaries


@settings(max_examples=150, deadline=None)
@given(moment=moments, unit_id=st.sampled_from(UNITS))
def test_next_open_is_open_and_nothing_before_it_is(moment: datetime, unit_id: str) -> None:
    unit = HOURS.hotline.units[unit_id]
    state = HOURS.status(unit, moment)
    if state.open:
        return
    assert state.next_open is not None and state.next_open > moment
    assert HOURS.status(unit, state.next_open).open
    assert not HOURS.status(unit, state.next_open - MINUTE).open
    for minute in minutes_between(moment, state.next_open):
        assert not HOURS.status(unit, minute).open, minute


@settings(max_examples=150, deadline=None)
@given(moment=moments, unit_id=st.sampled_from(UNITS))
def test_closes_at_is_the_first_closed_minute(moment: datetime, unit_id: str) -> None:
    unit = HOURS.hotline.units[unit_id]
    state = HOURS.status(unit, moment)
    if not state.open:
        return
    assert state.closes_at is not None and state.closes_at > moment
    assert not HOURS.status(unit, state.closes_at).open
    for minute in minutes_between(moment, state.closes_at):
        assert HOURS.status(unit, minute).open, minute


@settings(max_examples=100, deadline=None)
@given(moment=moments, unit_id=st.sampled_from(UNITS))
def test_an_open_unit_has_no_next_open_and_a_closed_one_no_closes_at(moment: datetime, unit_id: str) -> None:
    state = HOURS.status(HOURS.hotline.units[unit_id], moment)
    assert (state.closes_at is None) == (not state.open)
    assert (state.next_open is None) == state.open
