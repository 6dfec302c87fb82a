"""The outbox: call events kept in a local SQLite file (the standard library's) until the database has them.

An append is one small committed transaction in WAL mode: once a step's TwiML is on its way, its event
survives the worker being killed. Several workers and their threads share one outbox; SQLite does the locking.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivr.events import CallEvent

BUSY_MILLISECONDS = 2000
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS waiting (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS set_aside (id INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, "
    "at TEXT NOT NULL)",
)


class OutboxUnavailable(Exception):
    """The outbox file cannot be written (a full or read-only disk, say)."""


@dataclass(frozen=True)
class Waiting:
    """One event in the outbox: its row id, and the event (None when its body no longer reads)."""

    id: int
    body: str
    event: CallEvent | None


class Outbox:
    """A durable queue of call events on the local disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def append(self, events: Sequence[CallEvent]) -> None:
        """Keep events durably, in order; raise OutboxUnavailable when the file cannot be written."""
        bodies = [(event.to_json(),) for event in events]
        self._write(lambda db: db.executemany("INSERT INTO waiting (body) VALUES (?)", bodies))

    def oldest(self, limit: int) -> list[Waiting]:
        """Return up to limit events, oldest first."""
        rows = self._read("SELECT id, body FROM waiting ORDER BY id LIMIT ?", (limit,))
        return [Waiting(row_id, body, _parse(body)) for row_id, body in rows]

    def remove(self, ids: Sequence[int]) -> None:
        """Forget events the database now has."""
        self._write(lambda db: db.executemany("DELETE FROM waiting WHERE id = ?", [(i,) for i in ids]))

    def set_aside(self, item: Waiting, reason: str) -> None:
        """Move an event the database refuses out of the way of the others, keeping it for a person to look at."""
        at = datetime.now(UTC).isoformat()

        def move(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO set_aside (id, body, reason, at) VALUES (?, ?, ?, ?)",
                       (item.id, item.body, reason[:500], at))
            db.execute("DELETE FROM waiting WHERE id = ?", (item.id,))

        self._write(move)

    def counts(self) -> tuple[int, int]:
        """Return how many events wait and how many were set aside (counted by the index, never read)."""
        if not self.path.exists():
            return 0, 0
        waiting = self._read("SELECT count(*) FROM waiting", ())[0][0]
        aside = self._read("SELECT count(*) FROM set_aside", ())[0][0]
        return int(waiting), int(aside)

    def set_aside_events(self, limit: int = 100) -> list[tuple[int, str, str, str]]:
        """Return the events set aside (id, reason, when, body), oldest first."""
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in
                self._read("SELECT id, reason, at, body FROM set_aside ORDER BY id LIMIT ?", (limit,))]

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_MILLISECONDS / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_MILLISECONDS}")
            db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (not a power cut), without an fsync.
            db.execute("PRAGMA synchronous = NORMAL")
            for statement in SCHEMA:
                db.execute(statement)
            self._local.db = db
        return db

    def _write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        try:
            db = self._connection()
            with db:  # one transaction, committed on leaving
                db.execute("BEGIN IMMEDIATE")
                change(db)
        except (sqlite3.Error, OSError) as exc:
            self._forget_connection()
            raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _read(self, query: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            return list(self._connection().execute(query, parameters))
        except (sqlite3.Error, OSError) as exc:
            self._forget_connection()
            raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _forget_connection(self) -> None:
        db = getattr(self._local, "db", None)
        self._local.db = None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()


def _parse(body: str) -> CallEvent | None:
    try:
        return CallEvent.from_json(body)
    except (ValueError, KeyError, TypeError):
        return None
