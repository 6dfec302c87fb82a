"""Writes call events to the store, or keeps them in a spool file while the database is unreachable."""

from __future__ import annotations

import fcntl
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ivr.store.database import CallEvent, Store

log = logging.getLogger(__name__)
# After a failure the database is left alone this long, so callers are not kept waiting on it.
RETRY_AFTER_SECONDS = 5.0


class Recorder:
    """Never loses an event and never keeps a caller waiting: the store when it answers, the spool otherwise."""

    def __init__(self, store: Store, spool: Path) -> None:
        self.store = store
        self.spool = spool
        self._down_until = 0.0

    def record(self, event: CallEvent) -> None:
        """Keep one event: in the database when it answers quickly, else in the spool file."""
        if time.monotonic() >= self._down_until:
            self.flush()
            if not self._spooled() and self._write([event]):
                return
        self._append(event)

    def flush(self) -> int:
        """Write the spooled events to the database; return how many were written."""
        if not self._spooled():
            return 0
        with self._locked():
            lines = [line for line in self.spool.read_text(encoding="utf-8").splitlines() if line.strip()]
            events = [CallEvent.from_json(json.loads(line)) for line in lines]
            if not events or not self._write(events):
                return 0
            self.spool.unlink()
        log.warning("The database is back: wrote %d call events kept in %s.", len(events), self.spool)
        return len(events)

    def pending(self) -> int:
        """Return how many events wait in the spool for the database."""
        if not self._spooled():
            return 0
        return sum(1 for line in self.spool.read_text(encoding="utf-8").splitlines() if line.strip())

    def _write(self, events: list[CallEvent]) -> bool:
        try:
            self.store.apply(events)
        except SQLAlchemyError as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            log.error("The call records database is unreachable (%s); call events are kept in %s and will be "
                      "written when it is back. Callers are not affected.", type(exc).__name__, self.spool)
            return False
        self._down_until = 0.0
        return True

    def _append(self, event: CallEvent) -> None:
        with self._locked(), self.spool.open("a", encoding="utf-8") as file:
            file.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")

    def _spooled(self) -> bool:
        return self.spool.exists() and self.spool.stat().st_size > 0

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Several app workers share one spool file: one writer at a time.
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        with open(self.spool.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
