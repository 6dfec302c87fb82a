"""Takes call events off the caller's path: the web edge appends them to the outbox, a background writer
takes them into the database in batches.

Why this shape: a step's answer must not wait for a database that may be slow, locked or down, yet no
event may be lost once the provider has our TwiML. A local SQLite append costs tens of microseconds and
survives the worker being killed; one writer per process, holding a lock shared by all workers, drains the
outbox in batches of hundreds with a few statements each (group commit over pooled connections). An event
the database refuses for its content is set aside on its own; while the database is away the writer waits.
When even the outbox cannot be written (a full disk), events wait in memory, bounded, until either answers.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ivr.events import CallEvent
from ivr.store.database import Store, StoreRefused, StoreUnavailable
from ivr.store.outbox import Outbox, OutboxUnavailable, Waiting
from ivr.store.urls import database_identity

log = logging.getLogger(__name__)
# After a failure the database is left alone this long before the writer tries it again.
RETRY_AFTER_SECONDS = 2.0
# Events taken into the database in one transaction.
BATCH = 500
# How long the writer lets events gather after being woken, so that they share a transaction.
GATHER_SECONDS = 0.05
# The writer also looks now and then without being woken: other workers' events, a database that came back.
IDLE_SECONDS = 1.0
# Events held in memory while neither the outbox nor the database can be written; beyond this they are dropped,
# counted and logged (a disk full for hours is an operator's emergency, not a memory leak).
MEMORY_LIMIT = 50_000


def outbox_file(instance_dir: Path, database_url: str) -> Path:
    """Where events for one database wait: one outbox per database, so that events kept for an unreachable
    PostgreSQL are never written into another database by mistake."""
    digest = hashlib.sha256(database_identity(database_url).encode()).hexdigest()[:10]
    return instance_dir / f"outbox-{digest}.sqlite3"


@dataclass(frozen=True)
class RecorderState:
    """How the records are doing, for /health and the console."""

    database: str
    waiting: int
    set_aside: int
    in_memory: int
    dropped: int


class Recorder:
    """Keeps every call event: outbox first, memory when the disk refuses, the database in the background."""

    def __init__(self, store: Store, outbox_path: Path, background: bool = True) -> None:
        self.store = store
        self.outbox = Outbox(outbox_path)
        self._memory: deque[CallEvent] = deque()
        self._memory_lock = threading.Lock()
        self._dropped = 0
        self._down_until = 0.0
        self._database_error: str | None = None
        self._wake = threading.Event()
        self._background = background
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def record(self, event: CallEvent) -> None:
        """Keep one event durably in the outbox (or in memory when the disk refuses) and wake the writer."""
        try:
            self.outbox.append([event])
        except OutboxUnavailable as exc:
            self._hold_in_memory(event, str(exc))
        self._ensure_writer()
        self._wake.set()

    def flush(self, wait: bool = True, limit: int | None = None) -> int:
        """Take waiting events into the database now; return how many were taken (or set aside).

        With wait=False a drain another worker is doing already is left to it.
        """
        with self._drain_lock(wait) as mine:
            if not mine:
                return 0
            taken = self._rescue_memory()
            try:
                while limit is None or taken < limit:
                    batch = self.outbox.oldest(BATCH)
                    if not batch:
                        break
                    done = self._take(batch)
                    taken += done
                    if done < len(batch):  # the database went away: the rest waits
                        break
            except OutboxUnavailable:
                pass  # nothing can be read from it now; what memory holds was tried above
            return taken

    def state(self) -> RecorderState:
        """Return the database's state and the counts of waiting, set-aside, in-memory and dropped events."""
        try:
            waiting, aside = self.outbox.counts()
        except OutboxUnavailable:
            waiting, aside = -1, -1
        if self.resting():
            database = f"unreachable ({self._database_error}); the writer tries it again in a few seconds"
        else:
            try:
                self.store.ping()
                database = "ok"
            except StoreUnavailable as exc:
                database = f"unreachable ({exc})"
        return RecorderState(database, waiting, aside, len(self._memory), self._dropped)

    def resting(self) -> bool:
        """Tell whether the database failed a moment ago and is being left alone for now."""
        return time.monotonic() < self._down_until

    def stop(self) -> None:
        """Stop the background writer (tests and clean shutdowns); waiting events stay in the outbox."""
        self._background = False
        self._wake.set()
        if self._writer is not None:
            self._writer.join(timeout=5)

    # The background writer ----------------------------------------------------------------------------------

    def _ensure_writer(self) -> None:
        if not self._background or (self._writer is not None and self._writer.is_alive()):
            return
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._run, name="ivr-records-writer", daemon=True)
                self._writer.start()

    def _run(self) -> None:
        while self._background:
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()
            if not self._background:
                return
            time.sleep(GATHER_SECONDS)
            if self.resting():
                continue
            try:
                self.flush(wait=False)
            except Exception:  # the writer must outlive anything one batch does
                log.exception("The records writer failed on a batch; it tries again shortly.")

    def _take(self, batch: list[Waiting]) -> int:
        """Write a batch; on a refusal, write its events one by one and set aside each that is refused."""
        readable = [item for item in batch if item.event is not None]
        for item in batch:
            if item.event is None:
                self._set_aside(item, "the stored event no longer reads as an event")
        try:
            self.store.apply([item.event for item in readable if item.event is not None])
        except StoreUnavailable as exc:
            self._rest(str(exc))
            return len(batch) - len(readable)
        except StoreRefused:
            return len(batch) - len(readable) + self._take_one_by_one(readable)
        self.outbox.remove([item.id for item in readable])
        self._came_back()
        return len(batch)

    def _take_one_by_one(self, items: list[Waiting]) -> int:
        taken = 0
        for item in items:
            assert item.event is not None
            try:
                self.store.apply([item.event])
            except StoreUnavailable as exc:
                self._rest(str(exc))
                return taken
            except StoreRefused as exc:
                self._set_aside(item, str(exc))
            else:
                self.outbox.remove([item.id])
            taken += 1
        return taken

    def _set_aside(self, item: Waiting, reason: str) -> None:
        self.outbox.set_aside(item, reason)
        log.error("The database refused call event %d (%s); it is set aside in %s for a person to look at, and "
                  "the events after it go on.", item.id, reason, self.outbox.path)

    def _rest(self, reason: str) -> None:
        if self._database_error is None:
            log.error("The call records database is unreachable (%s); call events wait in %s and are written when "
                      "it is back. Callers are not affected.", reason, self.outbox.path)
        self._database_error = reason
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _came_back(self) -> None:
        if self._database_error is not None:
            log.warning("The call records database is back; the waiting call events are being written.")
        self._database_error = None
        self._down_until = 0.0

    # Memory, while the outbox cannot be written ---------------------------------------------------------------

    def _hold_in_memory(self, event: CallEvent, reason: str) -> None:
        with self._memory_lock:
            if not self._memory:
                log.error("The outbox %s cannot be written (%s); call events wait in memory (at most %d) until it "
                          "or the database can be written.", self.outbox.path, reason, MEMORY_LIMIT)
            if len(self._memory) >= MEMORY_LIMIT:
                self._memory.popleft()
                self._dropped += 1
                if self._dropped in (1, 100, 10_000) or self._dropped % 100_000 == 0:
                    log.critical("%d call events were dropped: neither the outbox nor the database could be "
                                 "written for a long time.", self._dropped)
            self._memory.append(event)

    def _rescue_memory(self) -> int:
        """Move events held in memory to the outbox, or straight into the database; return how many went."""
        with self._memory_lock:
            held: Sequence[CallEvent] = list(self._memory)
        if not held:
            return 0
        try:
            self.outbox.append(held)
        except OutboxUnavailable:
            if self.resting():
                return 0
            try:
                self.store.apply(held)
            except StoreUnavailable as exc:
                self._rest(str(exc))
                return 0
            except StoreRefused:
                return 0  # back into the outbox once it can be written, where each is tried on its own
        with self._memory_lock:
            for _ in range(len(held)):
                self._memory.popleft()
        log.warning("%d call events held in memory are kept again.", len(held))
        return 0

    @contextmanager
    def _drain_lock(self, wait: bool) -> Iterator[bool]:
        # One drainer at a time across every worker sharing this outbox; the kernel frees it if that worker dies.
        lock_path = self.outbox.path.with_name(self.outbox.path.name + ".drain-lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a")  # noqa: SIM115 - held across the yield
        except OSError:
            yield True  # no lock file on a full disk: memory events may still go to the database
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
