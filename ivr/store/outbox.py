"""An outbox file: call events kept in a local SQLite file (the standard library's) until the database has them.

An append is one small committed transaction in WAL mode: once a step's TwiML is on its way, its event
survives the worker being killed. Each worker process writes a file of its own (see ivr.store.recorder), so
appends never wait on another process's lock; the threads of one process take turns on one connection.

A worker's own file is appended to without checkpoints: a checkpoint syncs the disk (3 to 40 ms here), and on the
appending connection every caller of the worker would wait through it. The recorder hands the file over
(checkpointed and truncated) once its log reaches WAL_HANDOVER_BYTES or it is a second old, and turns the
appender's checkpoints back on only for a file it must keep appending to (the database away).
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
# The outbox must never fill the disk with its own write-ahead log (a drainer deleting rows, a reader holding a
# snapshot, a file appended to for long while the database is away): SQLite checkpoints every 256 pages (1 MiB)
# rather than 1,000, and cuts the log back to 1 MiB after each checkpoint rather than keeping its largest size;
# a sealed file is checkpointed and its log truncated to nothing before it is handed over.
WAL_CHECKPOINT_PAGES = 256
WAL_KEPT_BYTES = 1024 * 1024
# A worker's own file is handed over once its log is this large (it is not checkpointed while appended to).
WAL_HANDOVER_BYTES = 2 * 1024 * 1024
# Appended in one statement at most (far below SQLite's limit of bound values; only events held in memory
# during a full disk come back in such numbers).
ROWS_A_STATEMENT = 500
SCHEMA = (
    # No AUTOINCREMENT: it writes sqlite_sequence's page at every append, doubling the log. An id may come back
    # once its row is gone, so an event set aside takes an id of its own there.
    "CREATE TABLE IF NOT EXISTS waiting (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS set_aside (id INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, "
    "at TEXT NOT NULL)",
)


class OutboxUnavailable(Exception):
    """The outbox file cannot be written (a full or read-only disk, say)."""


class OutboxSealed(Exception):
    """The outbox file was handed over to the writer: nothing more is appended to it."""


class _Slot:
    """Events one thread appends: a lock held until they are written (or the thread is to write them), and how
    the transaction that held them ended."""

    __slots__ = ("bodies", "error", "turn", "written")

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.turn = threading.Lock()
        self.turn.acquire()  # released for this thread alone: its events are written, or it writes next
        self.written = False
        self.error: OutboxUnavailable | None = None


@dataclass(frozen=True)
class Waiting:
    """One event in the outbox: its row id, and the event (None when its body no longer reads)."""

    id: int
    body: str
    event: CallEvent | None


class Outbox:
    """A durable queue of call events on the local disk."""

    def __init__(self, path: Path, checkpoints: bool = True) -> None:
        self.path = path
        self._checkpoint_pages = WAL_CHECKPOINT_PAGES if checkpoints else 0
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # the connection
        self._queue = threading.Lock()  # what follows
        self._pending: list[_Slot] = []
        self._writing = False
        self._idle = threading.Condition(self._queue)  # notified when no write is under way (for seal)
        self._sealed = False
        self.used = False  # whether anything was ever appended here
        self.handed_over = False  # opened by a drainer, the owner having sealed it (or died)
        self.drained = False  # the database has every event here, though the disk refused to delete some rows

    def append(self, events: Sequence[CallEvent]) -> None:
        """Keep events durably, in order; raise OutboxUnavailable when the file cannot be written (OutboxSealed
        once it was handed over).

        Group commit: threads appending at the same moment share one transaction. A thread that finds no
        write under way writes everything pending; the others wait, each on a lock of its own, until theirs
        is written, and the first one left waiting writes next. Each waiting thread is woken once.
        """
        slot = _Slot([event.to_json() for event in events])
        with self._queue:
            if self._sealed:
                raise OutboxSealed(str(self.path))
            self._pending.append(slot)
            writes = not self._writing
            self._writing = True
        if not writes:
            slot.turn.acquire()
        if not slot.written:
            self._write_pending()
        if slot.error is not None:
            raise slot.error

    def _write_pending(self) -> None:
        """Write every pending event in one transaction, wake their threads, and hand the turn on."""
        with self._queue:
            batch, self._pending = self._pending, []
        # Whatever happens in the write, every waiting thread is woken and the turn handed on.
        error: OutboxUnavailable | None = OutboxUnavailable("the append failed unexpectedly")
        try:
            error = self._insert([body for item in batch for body in item.bodies])
        finally:
            with self._queue:
                for item in batch:
                    item.written, item.error = True, error
                    item.turn.release()
                if self._pending:
                    self._pending[0].turn.release()  # it finds its events unwritten: it writes next
                else:
                    self._writing = False
                    self._idle.notify_all()

    def prepare(self) -> None:
        """Create the file and its tables now rather than at the first append; raise OutboxUnavailable if it
        cannot be."""
        with self._lock:
            try:
                self._connection()
            except (sqlite3.Error, OSError) as exc:
                self._forget_connection()
                raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def seal(self) -> None:
        """Let the appends under way finish, refuse any more (OutboxSealed), checkpoint and close the file."""
        with self._queue:
            self._sealed = True
            while self._writing:
                self._idle.wait()
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):  # a busy reader or a full disk: closing tries again
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.close()

    def _insert(self, bodies: list[str]) -> OutboxUnavailable | None:
        # One statement in autocommit mode is its own transaction: a single call into SQLite, so the thread
        # gives up the GIL once per append rather than at BEGIN, at each row and at COMMIT.
        with self._lock:
            try:
                db = self._connection()
                for start in range(0, len(bodies), ROWS_A_STATEMENT):
                    rows = bodies[start:start + ROWS_A_STATEMENT]
                    db.execute("INSERT INTO waiting (body) VALUES " + ", ".join(["(?)"] * len(rows)), rows)
                self.used = True
            except (sqlite3.Error, OSError) as exc:
                self._forget_connection()
                return OutboxUnavailable(f"{type(exc).__name__}: {exc}")
        return None

    def oldest(self, limit: int, after: int = 0) -> list[Waiting]:
        """Return up to limit events, oldest first (those after a row id, when given)."""
        rows = self._read("SELECT id, body FROM waiting WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
        return [Waiting(row_id, body, _parse(body)) for row_id, body in rows]

    def remove(self, ids: Sequence[int]) -> None:
        """Forget events the database now has."""
        self._write(lambda db: db.executemany("DELETE FROM waiting WHERE id = ?", [(i,) for i in ids]))

    def set_aside(self, item: Waiting, reason: str) -> None:
        """Move an event the database refuses out of the way of the others, keeping it for a person to look at."""
        at = datetime.now(UTC).isoformat()

        def move(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO set_aside (body, reason, at) VALUES (?, ?, ?)", (item.body, reason[:500], at))
            db.execute("DELETE FROM waiting WHERE id = ?", (item.id,))

        self._write(move)

    def counts(self) -> tuple[int, int]:
        """Return how many events wait and how many were set aside (counted by the index, never read)."""
        found = self._look("SELECT (SELECT count(*) FROM waiting), (SELECT count(*) FROM set_aside)", ())
        return (int(found[0][0]), int(found[0][1])) if found else (0, 0)

    def set_aside_events(self, limit: int = 100) -> list[tuple[int, str, str, str]]:
        """Return the events set aside (id, reason, when, body), oldest first."""
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in
                self._look("SELECT id, reason, at, body FROM set_aside ORDER BY id LIMIT ?", (limit,))]

    def start_checkpoints(self) -> None:
        """Let the appending connection checkpoint its log every WAL_CHECKPOINT_PAGES pages from now on (a file
        appended to for long, while the database is away, must not grow its log without bound)."""
        with self._lock:
            self._checkpoint_pages = WAL_CHECKPOINT_PAGES
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):  # a full disk: the next connection sets it
                    self._db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")

    def log_bytes(self) -> int:
        """Return the size of the file's write-ahead log (0 when it has none)."""
        try:
            return Path(f"{self.path}-wal").stat().st_size
        except OSError:
            return 0

    def close(self) -> None:
        """Close the file's connection."""
        with self._lock:
            self._forget_connection()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_MILLISECONDS / 1000, isolation_level=None,
                                 check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {BUSY_MILLISECONDS}")
            db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (not a power cut), without an fsync.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA wal_autocheckpoint = {self._checkpoint_pages}")
            db.execute(f"PRAGMA journal_size_limit = {WAL_KEPT_BYTES}")
            for statement in SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    def _write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        with self._lock:
            try:
                db = self._connection()
                with db:  # one transaction, committed on leaving
                    db.execute("BEGIN IMMEDIATE")
                    change(db)
            except (sqlite3.Error, OSError) as exc:
                self._forget_connection()
                raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _read(self, query: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._connection().execute(query, parameters))
            except (sqlite3.Error, OSError) as exc:
                self._forget_connection()
                raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _look(self, query: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """Read through this object's connection when it has one (its owner's or drainer's); else only read.

        A file this object has not opened (another process's) is never created, converted or locked: its
        owner may be making it or a drainer deleting it. One gone, or still without its tables, holds nothing.
        """
        if self._db is not None:
            return self._read(query, parameters)
        if not self.path.exists():
            return []
        try:
            return _read_only(self.path, query, parameters, BUSY_MILLISECONDS / 1000)
        except sqlite3.Error as exc:
            if not self.path.exists() or "no such table" in str(exc):
                return []
            raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _forget_connection(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()


def _parse(body: str) -> CallEvent | None:
    try:
        return CallEvent.from_json(body)
    except (ValueError, KeyError, TypeError):
        return None


def still_waiting(path: Path) -> bool:
    """Tell whether events wait in an outbox file, reading it without writing (or taking a write lock on) it."""
    if not path.exists():
        return False
    try:
        return bool(_read_only(path, "SELECT 1 FROM waiting LIMIT 1", (), 0.5))
    except sqlite3.Error:
        return path.exists()  # unreadable now (being drained, or gone): waiting unless it is gone


def _read_only(path: Path, query: str, parameters: tuple[object, ...], timeout: float) -> list[tuple[Any, ...]]:
    """Run a query on a connection that can only read: the file is never created, converted or locked for writing."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)) as db:
        return list(db.execute(query, parameters))
