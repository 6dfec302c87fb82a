"""Call events held in a worker's memory while neither its outbox nor the database can take them: bounded, in
order, each numbered so that a batch written back is taken off exactly, whatever was added or dropped meanwhile."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque

from ivr.events import CallEvent
from ivr.store.status import MemoryCounts

log = logging.getLogger("ivr.store.recorder")  # the records' log, whichever module of theirs speaks
# Beyond this many events held, the oldest are dropped, counted and logged (a disk full for hours is an
# operator's emergency, not a memory leak).
MEMORY_LIMIT = 50_000
# A drop is logged at once, then at most once in this many seconds (with the running total): never silent,
# never a flood of lines on a disk that is already full.
DROP_LOG_SECONDS = 10.0


class HeldEvents:
    """The events one process holds in memory, oldest first, and how many it dropped."""

    def __init__(self, folder: object) -> None:
        self.folder = folder  # named in the log lines
        self._events: deque[tuple[int, CallEvent]] = deque()
        self._lock = threading.Lock()
        self._numbers = 0
        self._dropped = 0
        self._drop_logged = 0
        self._drop_logged_at = -DROP_LOG_SECONDS

    def __len__(self) -> int:
        return len(self._events)

    def hold(self, event: CallEvent, reason: str) -> None:
        """Keep an event after the others; beyond MEMORY_LIMIT the oldest is dropped (counted and logged)."""
        with self._lock:
            if not self._events:
                log.error("The outbox in %s cannot be written (%s); call events wait in memory (at most %d) until "
                          "it or the database can be written.", self.folder, reason, MEMORY_LIMIT)
            if len(self._events) >= MEMORY_LIMIT:
                self._events.popleft()
                self._dropped += 1
                self._log_drops()
            self._numbers += 1
            self._events.append((self._numbers, event))

    def oldest(self, limit: int) -> list[tuple[int, CallEvent]]:
        """Return up to limit events, oldest first, each with its number."""
        with self._lock:
            return list(itertools.islice(self._events, limit))

    def forget_through(self, number: int) -> None:
        """Let go of every event up to the one of this number (written back elsewhere)."""
        with self._lock:
            while self._events and self._events[0][0] <= number:
                self._events.popleft()

    def counts(self) -> MemoryCounts:
        """Return how many events are held and how many were dropped."""
        return MemoryCounts(len(self._events), self._dropped)

    def _log_drops(self) -> None:
        """Log the first drop at once, then the running total at most once in DROP_LOG_SECONDS."""
        now = time.monotonic()
        if self._dropped > self._drop_logged and (self._drop_logged == 0
                                                   or now - self._drop_logged_at >= DROP_LOG_SECONDS):
            log.critical("%d call events were dropped (%d since the last report): neither the outbox nor the "
                         "database could be written for a long time, and memory holds at most %d.",
                         self._dropped, self._dropped - self._drop_logged, MEMORY_LIMIT)
            self._drop_logged, self._drop_logged_at = self._dropped, now
