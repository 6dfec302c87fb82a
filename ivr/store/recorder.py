"""Writes call events to the store, or keeps them in a spool file while the database is unreachable."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ivr.store.database import CallEvent, Store

log = logging.getLogger(__name__)
# After a failure the database is left alone this long, so callers are not kept waiting on it.
RETRY_AFTER_SECONDS = 5.0
# A webhook drains at most this many spooled events, so catching up never keeps a caller waiting;
# `ivr db flush` drains the rest at once.
FLUSH_BATCH = 200


def spool_file(instance_dir: Path, database_url: str) -> Path:
    """Where events for one database wait, in the instance folder: one spool per database, so that events
    kept for an unreachable PostgreSQL are never written into another database by mistake."""
    digest = hashlib.sha256(database_identity(database_url).encode()).hexdigest()[:10]
    return instance_dir / f"unsent-call-events-{digest}.jsonl"


def database_identity(database_url: str) -> str:
    """Name a database independently of its password and of how a SQLite path is written."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return database_url
    if url.get_backend_name() == "sqlite" and url.database:
        url = url.set(database=str(Path(url.database).resolve()))
    return url._replace(password=None).render_as_string(hide_password=False)


class Recorder:
    """Never loses an event and never keeps a caller waiting: the store when it answers, the spool otherwise."""

    def __init__(self, store: Store, spool: Path) -> None:
        self.store = store
        self.spool = spool
        self._down_until = 0.0

    def record(self, event: CallEvent) -> None:
        """Keep one event: in the database when it answers quickly, else in the spool file."""
        if time.monotonic() >= self._down_until:
            try:
                self.flush(limit=FLUSH_BATCH, wait=False)
            except Exception:  # catching up is a bonus; this event must still be kept
                log.exception("Could not write the spooled call events from %s; they stay there.", self.spool)
            if not self._spooled() and self._write([event]):
                return
        self._append(event)

    def flush(self, limit: int | None = None, wait: bool = True) -> int:
        """Take up to `limit` spooled lines (all by default) into the database; return how many were taken.

        Damaged lines are set aside rather than taken. With wait=False a flush another worker is doing
        already is left to it.
        """
        if not self._spooled():
            return 0
        with self._locked(wait) as locked:
            if not locked or not self._spooled():  # another worker may have emptied it meanwhile
                return 0
            lines = [line for line in self.spool.read_text(encoding="utf-8").splitlines() if line.strip()]
            batch, rest = (lines, []) if limit is None else (lines[:limit], lines[limit:])
            events, damaged = self._readable(batch)
            if events and not self._write(events):
                return 0
            self._set_aside(damaged)
            if rest:
                self._rewrite(rest)
            else:
                self.spool.unlink()
        log.warning("The database is back: wrote %d call events kept in %s (%d still wait).", len(events),
                    self.spool, len(rest))
        return len(batch)

    def _readable(self, lines: list[str]) -> tuple[list[CallEvent], list[str]]:
        """Parse spooled lines into events, and return the damaged ones (a worker killed mid-write) apart."""
        events, damaged = [], []
        for line in lines:
            try:
                events.append(CallEvent.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                damaged.append(line)
        return events, damaged

    def _set_aside(self, damaged: list[str]) -> None:
        if not damaged:
            return
        rejected = self.spool.with_suffix(".rejected")
        with rejected.open("a", encoding="utf-8") as file:
            file.writelines(line + "\n" for line in damaged)
        log.error("%d damaged lines in %s were moved to %s for a person to look at.", len(damaged), self.spool,
                  rejected)

    def _rewrite(self, lines: list[str]) -> None:
        partial = self.spool.with_suffix(".partial")
        partial.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        partial.replace(self.spool)

    def resting(self) -> bool:
        """Tell whether the database failed a moment ago and is being left alone for now."""
        return time.monotonic() < self._down_until

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
        with self._locked(wait=True), self.spool.open("a", encoding="utf-8") as file:
            file.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")

    def _spooled(self) -> bool:
        return self.spool.exists() and self.spool.stat().st_size > 0

    @contextmanager
    def _locked(self, wait: bool) -> Iterator[bool]:
        # Several app workers share one spool file: one writer at a time.
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        with open(self.spool.with_suffix(".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
