"""The one place the edges read the wall clock; the core always receives "now" as a parameter."""

from __future__ import annotations

from datetime import datetime

import pytz

TIMEZONE = pytz.timezone("Asia/Shanghai")


class ClockError(ValueError):
    """A moment given by a person could not be read."""


def parse_moment(text: str) -> datetime:
    """Read an ISO-8601 moment; one without an offset is taken as Asia/Shanghai time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"'{text}' is not an ISO-8601 date and time; write it as 2026-10-10T09:00+08:00") from exc
    if moment.tzinfo is None:
        return TIMEZONE.localize(moment)
    return moment.astimezone(TIMEZONE)


def now(frozen: datetime | None = None) -> datetime:
    """Return the frozen moment when one is configured, else the current time in Asia/Shanghai."""
    if frozen is not None:
        return frozen
    return datetime.now(TIMEZONE)
