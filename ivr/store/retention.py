"""Retention: the records writer removes call records older than IVR_KEEP_DAYS, once a day, in small batches.

Caller numbers are personal information (China's PIPL: kept no longer than needed). What goes: calls (with their
steps) that started before the limit, and voice messages called back before it. What stays: every voice message
still waiting for a call back, whatever its age, with the call it came in on (its language is read from there).

Why batches: a year's first purge may meet a million rows. Each batch is one short transaction of at most BATCH
calls and BATCH messages, and the writer's loop goes back to draining the outboxes between ticks, so neither the
service's writes nor the callers' records wait behind the purge.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from ivr.recordings import RecordingError, local_copy
from ivr.store.database import Store, StoreUnavailable, local, translate_errors
from ivr.store.staff import StaffStore
from ivr.store.tables import calls, steps, voicemails

log = logging.getLogger(__name__)
# Calls (and, separately, voice messages) removed in one transaction.
BATCH = 500
# How long one tick of the writer's loop goes on purging before it lets the writer drain again.
TICK_SECONDS = 0.2
# A purge runs at the writer's start, then once a day.
EVERY_SECONDS = 24 * 3600.0
# After the database failed during a purge, it is tried again this much later (the rows removed so far stay removed).
RETRY_SECONDS = 60.0
# Held in the outbox folder while a process purges, so that the workers of one server do not all purge at once.
LOCK_NAME = "retention"
ACTOR = "records writer"


@dataclass(frozen=True)
class Removed:
    """How many rows a purge (or one batch of it) removed."""

    calls: int = 0
    steps: int = 0
    voicemails: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(self.calls + other.calls, self.steps + other.steps, self.voicemails + other.voicemails)

    def sentence(self) -> str:
        """Say the counts as one clause: '3 calls, 17 steps and 1 voice messages called back'."""
        return f"{self.calls} calls, {self.steps} steps and {self.voicemails} voice messages called back"


def expiry(now: datetime, keep_days: int) -> datetime:
    """Return the moment before which records are removed: keep_days before now."""
    return local(now) - timedelta(days=keep_days)


@translate_errors
def remove_batch(store: Store, before: datetime, batch: int = BATCH, recordings: Path | None = None) -> Removed:
    """Remove, in one transaction, up to `batch` calls that started before a moment (with their steps) and up to
    `batch` voice messages called back before it; a call whose message still waits for a call back stays.

    The local copies of the removed messages' recordings (in the `recordings` folder) go with them.
    """
    before = local(before)
    waiting = select(voicemails.c.call_sid).where(voicemails.c.status == "new")
    with store.engine.begin() as connection:
        old_calls = list(connection.execute(
            select(calls.c.call_sid).where(calls.c.started_at < before, calls.c.call_sid.not_in(waiting))
            .order_by(calls.c.started_at).limit(batch)).scalars())
        removed_steps = removed_calls = removed_messages = 0
        if old_calls:
            removed_steps = connection.execute(delete(steps).where(steps.c.call_sid.in_(old_calls))).rowcount
            removed_calls = connection.execute(delete(calls).where(calls.c.call_sid.in_(old_calls))).rowcount
        # A message's days are counted from its call back (its arrival, for one marked before that was kept).
        done = func.coalesce(voicemails.c.called_back_at, voicemails.c.received_at)
        old_messages = list(connection.execute(
            select(voicemails.c.id, voicemails.c.recording_sid).where(voicemails.c.status != "new", done < before)
            .order_by(voicemails.c.id).limit(batch)))
        if old_messages:
            removed_messages = connection.execute(
                delete(voicemails).where(voicemails.c.id.in_([row.id for row in old_messages]))).rowcount
    if recordings is not None:  # once the rows are gone for good: a failed transaction keeps its recordings
        for row in old_messages:
            _forget_recording(recordings, row.recording_sid)
    return Removed(removed_calls, removed_steps, removed_messages)


def _forget_recording(folder: Path, recording_sid: str) -> None:
    """Delete the console's local copy of a removed message's recording, if it was ever fetched."""
    try:
        local_copy(folder, recording_sid).unlink(missing_ok=True)
    except (RecordingError, OSError) as exc:
        log.warning("The local copy of recording %s could not be deleted (%s).", recording_sid, exc)


def remove_expired(store: Store, now: datetime, keep_days: int, batch: int = BATCH,
                   recordings: Path | None = None) -> Removed:
    """Remove everything older than keep_days before now, batch after batch; return the totals."""
    before = expiry(now, keep_days)
    total = Removed()
    while True:
        removed = remove_batch(store, before, batch, recordings)
        total += removed
        if removed.calls < batch and removed.voicemails < batch:
            return total


class Retention:
    """The records writer's daily purge: call `tick` from its loop; it purges for a moment when a purge is due."""

    def __init__(self, store: Store, keep_days: int, clock: Callable[[], datetime], lock_folder: Path | None = None,
                 batch: int = BATCH, tick_seconds: float = TICK_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic, recordings: Path | None = None) -> None:
        self.recordings = recordings  # the console's local copies of recordings (instance/recordings)
        self.store = store
        self.keep_days = keep_days
        self.clock = clock
        self.lock_folder = lock_folder
        self.batch = batch
        self.tick_seconds = tick_seconds
        self.monotonic = monotonic
        self._next = monotonic()  # due at once: the writer purges when it starts
        self._before: datetime | None = None  # the purge under way removes what came before this
        self._total = Removed()
        self._lock: TextIO | None = None

    def tick(self) -> Removed | None:
        """Go on with the purge under way (starting one when due) for at most tick_seconds; return its totals
        when it finished in this tick, else None. Never raises: the writer must go on whatever the purge meets."""
        try:
            return self._tick()
        except StoreUnavailable as exc:
            self._next = self.monotonic() + RETRY_SECONDS
            log.warning("The daily removal of old call records stopped (%s); it goes on in %d s. The rows removed "
                        "so far stay removed.", exc, RETRY_SECONDS)
        except Exception:  # the writer's loop must outlive anything the purge does
            self._next = self.monotonic() + RETRY_SECONDS
            log.exception("The daily removal of old call records failed; it is tried again in %d s.", RETRY_SECONDS)
        return None

    def _tick(self) -> Removed | None:
        started = self.monotonic()
        if started < self._next:
            return None
        if self._before is None:
            if not self._take_lock():  # another process of this server purges now: it is done for today
                self._next = started + EVERY_SECONDS
                return None
            self._before, self._total = expiry(self.clock(), self.keep_days), Removed()
        while True:
            removed = remove_batch(self.store, self._before, self.batch, self.recordings)
            self._total += removed
            if removed.calls < self.batch and removed.voicemails < self.batch:
                return self._finish()
            if self.monotonic() - started >= self.tick_seconds:
                return None  # more next tick; the writer drains meanwhile

    def _finish(self) -> Removed:
        total, before = self._total, self._before
        assert before is not None
        self._before, self._total = None, Removed()
        self._next = self.monotonic() + EVERY_SECONDS
        self._release_lock()
        line = (f"removed {total.sentence()} from before {before:%Y-%m-%d %H:%M} (IVR_KEEP_DAYS={self.keep_days}); "
                "voice messages not yet called back are kept")
        log.info("Retention: %s.", line)
        if total != Removed():  # an empty day leaves the log line only
            try:
                StaffStore(self.store).audit(ACTOR, "retention", self.clock(), line)
            except SQLAlchemyError as exc:
                log.warning("The retention line could not be kept in the audit log (%s); it is in this log.", exc)
        return total

    def _take_lock(self) -> bool:
        if self.lock_folder is None:
            return True
        try:
            self.lock_folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.lock_folder / LOCK_NAME, "a")  # noqa: SIM115 - held for the whole purge
        except OSError as exc:
            log.warning("The retention lock in %s cannot be opened (%s); purging without it.", self.lock_folder, exc)
            return True
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        return True

    def _release_lock(self) -> None:
        handle, self._lock = self._lock, None
        if handle is not None:
            handle.close()
