"""Takes call events off the caller's path: the web edge appends them to an outbox, a background writer
takes them into the database in batches.

Why this shape: a step's answer must not wait for a database that may be slow, locked or down, yet no
event may be lost once the provider has our TwiML. A local SQLite append costs tens of microseconds and
survives the worker being killed. Each worker process appends to an outbox file of its own in the outbox
folder, holding a lock on it while it writes there, so appends never wait on another process. Every second
or so its writer thread creates the next file, turns the appends to it, then seals the last one and releases
its lock (only once the file handed over before was drained, so that a database outage leaves two files per
worker, not one a second). A file whose lock is free (handed over, or its worker died) is drained whole, in batches of
hundreds with a few statements each (group commit over pooled connections), by the records writer process
of `ivr serve`, or else by the workers' writer threads: no process ever drains a file another one still
appends to, so neither waits on the other's locks. An event the database refuses for its content is set
aside on its own; while the database is away the writer waits. When even the outbox cannot be written (a
full disk), events wait in memory, bounded, and each worker's own writer thread writes them back (to the outbox,
or else straight into the database, in batches) within a second of either taking them, whether or not a records
writer process runs. What is dropped beyond the bound is counted and logged. Each process's counts of events in
memory and dropped live in a status file of its own (ivr.store.status), so /health sums every process's.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ivr.events import CallEvent
from ivr.store.database import Store, StoreRefused, StoreUnavailable
from ivr.store.folder import (
    LOW_DISK_BYTES,
    WRITER_LOCK,
    RecordCounts,
    discard,
    free_bytes,
    record_counts,
    remove_if_empty,
    try_lock,
)
from ivr.store.held import HeldEvents
from ivr.store.outbox import WAL_HANDOVER_BYTES, Outbox, OutboxSealed, OutboxUnavailable, Waiting, still_waiting
from ivr.store.status import MemoryCounts, StatusFile

log = logging.getLogger(__name__)
# After a failure the database is left alone this long before the writer tries it again.
RETRY_AFTER_SECONDS = 2.0
# Events taken into the database in one transaction.
BATCH = 500
# How long the writer lets events gather after being woken, so that they share a transaction.
GATHER_SECONDS = 0.2
# The writer also looks now and then without being woken: other workers' events, a database that came back.
IDLE_SECONDS = 1.0
# A worker hands its outbox file over to the drainers this often (when it has appended anything meanwhile).
SEGMENT_SECONDS = 1.0



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

    def __init__(self, store: Store, folder: Path, background: bool = True) -> None:
        self.store = store
        self.folder = folder
        self._own: Outbox | None = None
        self._own_lock: TextIO | None = None
        self._own_pid = 0
        self._own_opened = 0.0
        self._handed_over: Path | None = None  # the last file this process handed over, until it is drained
        self._memory = HeldEvents(folder)  # events the outbox refused
        self._rescue_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._disk_low = False
        self._status: StatusFile | None = None
        self._down_until = 0.0
        self._database_error: str | None = None
        self._wake = threading.Event()
        self._stopped = threading.Event()  # set by stop(): the writer thread ends without finishing its pause
        self._background = background
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._writer_seen_at = -IDLE_SECONDS
        self._writer_alive = False
        self.chore: Callable[[], object] | None = None  # run by the writer thread between drains (retention)

    def record(self, event: CallEvent) -> None:
        """Keep one event durably in this process's outbox (or in memory when the disk refuses); wake the writer."""
        if self._memory or self._disk_low:
            # Events already wait in memory (or the disk is nearly full): this one joins them, so that they reach
            # the records in order, and the caller does not pay for a write the disk will refuse.
            self._hold_in_memory(event, "the disk is full or nearly so")
        else:
            try:
                self._append_own([event])
            except OutboxUnavailable as exc:
                self._hold_in_memory(event, str(exc))
        self._ensure_writer()
        if not self._wake.is_set():  # set already: the writer has not looked yet, and waking it costs a lock
            self._wake.set()

    def own_outbox(self) -> Outbox:
        """Return this process's outbox file, opening it (and locking it as ours) on first use."""
        own = self._own  # read once: another thread may hand it over meanwhile (the append then says so)
        if own is None or self._own_pid != os.getpid():
            with self._writer_lock:
                if self._own is None or self._own_pid != os.getpid():
                    self._hand_over_own()
                    self._start_own(*self._open_own())
                own = self._own
                assert own is not None
        return own

    def hand_over_if_old(self) -> None:
        """Once this process's outbox file is a second old (or its log 2 MiB) and holds events, start the next one
        and hand this one over, sealed, to the drainers; unless the last one it handed over still waits (the
        database is away, say): then it keeps appending to this one, checkpointing it, so that an outage leaves
        two files, not one a second. Never called on a caller's path: the next file is created here, so that no
        caller waits for a new file."""
        own = self._own
        if (own is None or not own.used or self._own_pid != os.getpid()
                or (time.monotonic() - self._own_opened < SEGMENT_SECONDS and own.log_bytes() < WAL_HANDOVER_BYTES)):
            return
        if self._handed_over is not None and still_waiting(self._handed_over):
            own.start_checkpoints()  # kept for long: its appends checkpoint, so that its log stays small
            return
        try:
            successor, handle = self._open_own()
        except OutboxUnavailable:
            own.start_checkpoints()  # the disk refuses a new file: this one goes on taking events
            return
        try:
            successor.prepare()
        except OutboxUnavailable:
            discard(successor, handle)
            own.start_checkpoints()
            return
        with self._writer_lock:
            if self._own is not own:  # another thread moved on meanwhile
                discard(successor, handle)
                return
            old, old_handle = self._own, self._own_lock
            self._start_own(successor, handle)
        self._seal(old, old_handle)

    def _start_own(self, outbox: Outbox, handle: TextIO) -> None:
        self._own, self._own_lock = outbox, handle
        self._own_pid = os.getpid()
        self._own_opened = time.monotonic()

    def _hand_over_own(self) -> None:
        """Seal the outbox file this process appends to and free its lock, so that a drainer takes it whole."""
        own, handle, self._own, self._own_lock = self._own, self._own_lock, None, None
        if own is None or self._own_pid != os.getpid():
            return  # a file of the parent process (before a fork): its lock and file are the parent's
        self._seal(own, handle)

    def _seal(self, own: Outbox, handle: TextIO | None) -> None:
        own.seal()  # appends under way end first; later ones go to the next file
        if handle is not None:
            handle.close()
        self._handed_over = own.path

    def _append_own(self, events: Sequence[CallEvent]) -> None:
        """Append events to this process's current outbox file; raise OutboxUnavailable when it cannot be."""
        while True:
            try:
                self.own_outbox().append(events)
                return
            except OutboxSealed:
                continue  # handed over between taking it and appending: the next one takes the events

    def flush(self, wait: bool = True) -> int:
        """Take waiting events into the database now, from this process's outbox and any handed over or left by
        a worker that died.

        Return how many were taken or set aside. With wait=False a drain already running here is left to finish.
        """
        if not self._drain_lock.acquire(blocking=wait):
            return 0
        try:
            self._rescue_memory()
            taken = 0
            for outbox, release in self._drainable():
                try:
                    taken += self._drain(outbox)
                except OutboxUnavailable as exc:
                    log.error("The outbox %s cannot be read (%s); its events wait until it can.", outbox.path, exc)
                finally:
                    release()
                if self.resting():
                    break
            return taken
        finally:
            self._drain_lock.release()

    def outboxes(self) -> list[Path]:
        """Return the outbox files in the folder: this process's, other live workers' and dead ones'."""
        try:
            return sorted(self.folder.glob("*.sqlite3"))
        except OSError:
            return []

    def state(self) -> RecorderState:
        """Return the database's state and the counts of waiting, set-aside, in-memory and dropped events."""
        counts = self.counts()
        if self.resting():
            database = f"unreachable ({self._database_error}); the writer tries it again in a few seconds"
        else:
            try:
                self.store.ping()
                database = "ok"
            except StoreUnavailable as exc:
                database = f"unreachable ({exc})"
        return RecorderState(database, counts.waiting, counts.set_aside, counts.in_memory, counts.dropped)

    def counts(self) -> RecordCounts:
        """Return the counts of every process using this folder, this one's own read directly."""
        return record_counts(self.folder, self._own, self._status, self.memory_counts())

    def memory_counts(self) -> MemoryCounts:
        """Return this process's events held in memory and dropped."""
        return self._memory.counts()

    def set_aside_events(self) -> list[tuple[int, str, str, str]]:
        """Return the events set aside in every outbox file (id, reason, when, body)."""
        found = []
        for path in self.outboxes():
            outbox = Outbox(path)
            try:
                found.extend(outbox.set_aside_events())
            except OutboxUnavailable:
                continue
            finally:
                outbox.close()
        return found

    def resting(self) -> bool:
        """Tell whether the database failed a moment ago and is being left alone for now."""
        return time.monotonic() < self._down_until

    def stop(self) -> None:
        """Stop the background writer (tests and clean shutdowns); waiting events stay in the outbox."""
        self._background = False
        self._stopped.set()
        self._wake.set()
        if self._writer is not None:
            self._writer.join(timeout=5)

    def close(self) -> None:
        """On a clean exit (a worker recycled or stopped): stop the writer thread, write back what memory holds,
        hand this process's outbox file over, and say how many events, if any, die with the process."""
        if self._status is None or self._status.pid != os.getpid():
            return  # never recorded here, or a forked child's copy: the parent's file and status are the parent's
        self.stop()
        self._disk_low, self._down_until = False, 0.0  # a last try of the outbox and the database, whatever came before
        self._rescue_memory()
        left = self.memory_counts()
        if left.in_memory:
            log.critical("This process ends with %d call events neither the outbox nor the database could take; "
                         "they are lost.", left.in_memory)
        with self._writer_lock:
            self._hand_over_own()
        self._status.close()

    # The background writer ----------------------------------------------------------------------------------

    def _ensure_writer(self) -> None:
        if not self._background or (self._writer is not None and self._writer.is_alive()):
            return
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                if self._status is None or self._status.pid != os.getpid():
                    self._status = StatusFile(self.folder)
                    self._status.open()
                    atexit.register(self.close)
                self._writer = threading.Thread(target=self._run, name="ivr-records-writer", daemon=True)
                self._writer.start()

    def _run(self) -> None:
        while self._background:
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()
            if not self._background or self._stopped.wait(GATHER_SECONDS):
                return
            try:
                self._look_after_memory()
                self.hand_over_if_old()  # a quiet worker's last events reach the drainers all the same
                if self.resting() or self._writer_process_alive():
                    continue
                self.flush(wait=False)
            except Exception:  # the writer must outlive anything one batch does
                log.exception("The records writer failed on a batch; it tries again shortly.")
                continue
            self.run_chore()

    def run_chore(self) -> None:
        """Run the chore between drains; its failure never holds up the records."""
        if self.chore is None:
            return
        try:
            self.chore()
        except Exception:
            log.exception("The records writer's chore (retention) failed; it is tried again later.")

    def _look_after_memory(self) -> None:
        """Each second: note whether the disk is nearly full, write back the events held in memory (only this
        process has them: a records writer process cannot), and rewrite this process's counts."""
        self._disk_low = free_bytes(self.folder) < LOW_DISK_BYTES
        if self._status is not None:
            self._status.open()  # made late if the disk was full when the process started
        self._rescue_memory()
        self._write_status()

    def _writer_process_alive(self) -> bool:
        """Tell (looking at most once a second) whether a records writer process drains this folder for us."""
        now = time.monotonic()
        if now - self._writer_seen_at >= IDLE_SECONDS:
            self._writer_seen_at = now
            try:
                handle = try_lock(self.folder / WRITER_LOCK)
            except OutboxUnavailable:
                handle = None
            self._writer_alive = handle is None
            if handle is not None:
                handle.close()
        return self._writer_alive

    def drain_all(self) -> int:
        """Take the events of every outbox file handed over or left by a worker that died: the writer's drain."""
        self.hand_over_if_old()
        return self.flush()

    def _drainable(self) -> Iterator[tuple[Outbox, Callable[[], None]]]:
        """Yield this process's outbox, then each one handed over or whose owner is gone, locked while drained."""
        own = self._own if self._own_pid == os.getpid() else None
        if own is not None:
            yield own, lambda: None
        for path in self.outboxes():
            if own is not None and path == own.path:
                continue
            try:
                handle = try_lock(path)
            except OutboxUnavailable:
                continue
            if handle is None:
                continue  # a live worker's: it drains its own
            outbox = Outbox(path)
            outbox.handed_over = True

            def release(outbox: Outbox = outbox, handle: TextIO = handle) -> None:
                remove_if_empty(outbox)  # which closes it
                handle.close()

            yield outbox, release

    def _drain(self, outbox: Outbox) -> int:
        taken = 0
        after = 0  # the last event taken whose row could not be deleted (a full disk)
        while batch := outbox.oldest(BATCH, after):
            done, kept = self._take(outbox, batch)
            taken += done
            if kept:
                if not outbox.handed_over:
                    break  # this process's own file: it takes the rows off once the disk has room
                after = batch[-1].id
            if done < len(batch):  # the database went away: the rest waits
                break
        else:
            if after:
                # A file handed over, all of whose events the database has (applying one again changes nothing):
                # it is deleted whole, which needs no space, where deleting its rows needs some.
                outbox.drained = True
        return taken

    def _take(self, outbox: Outbox, batch: list[Waiting]) -> tuple[int, bool]:
        """Write a batch; on a refusal, write its events one by one and set aside each that is refused.

        Return how many were taken, and whether their rows stay in the file (the disk refused the deletion).
        """
        readable = [item for item in batch if item.event is not None]
        for item in batch:
            if item.event is None:
                self._set_aside(outbox, item, "the stored event no longer reads as an event")
        try:
            self.store.apply([item.event for item in readable if item.event is not None])
        except StoreUnavailable as exc:
            self._rest(str(exc))
            return len(batch) - len(readable), False
        except StoreRefused:
            return len(batch) - len(readable) + self._take_one_by_one(outbox, readable), False
        self._came_back()
        try:
            outbox.remove([item.id for item in readable])
        except OutboxUnavailable:
            return len(batch), True
        return len(batch), False

    def _take_one_by_one(self, outbox: Outbox, items: list[Waiting]) -> int:
        taken = 0
        for item in items:
            assert item.event is not None
            try:
                self.store.apply([item.event])
            except StoreUnavailable as exc:
                self._rest(str(exc))
                return taken
            except StoreRefused as exc:
                self._set_aside(outbox, item, str(exc))
            else:
                outbox.remove([item.id])
            taken += 1
        return taken

    def _set_aside(self, outbox: Outbox, item: Waiting, reason: str) -> None:
        outbox.set_aside(item, reason)
        log.error("The database refused call event %d (%s); it is set aside in %s for a person to look at, and "
                  "the events after it go on.", item.id, reason, outbox.path)

    def _rest(self, reason: str) -> None:
        if self._database_error is None:
            log.error("The call records database is unreachable (%s); call events wait in %s and are written when "
                      "it is back. Callers are not affected.", reason, self.folder)
        self._database_error = reason
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _came_back(self) -> None:
        if self._database_error is not None:
            log.warning("The call records database is back; the waiting call events are being written.")
        self._database_error = None
        self._down_until = 0.0

    # Memory, while the outbox cannot be written ---------------------------------------------------------------

    def _hold_in_memory(self, event: CallEvent, reason: str) -> None:
        self._memory.hold(event, reason)
        self._write_status()

    def _write_status(self) -> None:
        if self._status is not None and self._status.pid == os.getpid():
            self._status.write(self.memory_counts())

    def _rescue_memory(self) -> None:
        """Write back the events held in memory, in batches: to the outbox, or else straight into the database
        (idempotently, as the drainers do). What is written is taken off; the rest waits for the next try."""
        if not self._memory or not self._rescue_lock.acquire(blocking=False):
            return
        written = 0
        try:
            while held := self._memory.oldest(BATCH):
                if not self._write_back([event for _, event in held]):
                    break
                self._memory.forget_through(held[-1][0])
                self._write_status()
                written += len(held)
        finally:
            self._rescue_lock.release()
        if written:
            log.warning("%d call events held in memory are kept again; %d still wait there.", written,
                        len(self._memory))

    def _write_back(self, events: list[CallEvent]) -> bool:
        """Put one batch of events from memory in the outbox, or else in the database; tell whether either took it."""
        if not self._disk_low:
            try:
                self._append_own(events)
                return True
            except OutboxUnavailable:
                pass
        if self.resting():
            return False
        try:
            self.store.apply(events)
        except StoreUnavailable as exc:
            self._rest(str(exc))
            return False
        except StoreRefused:
            return False  # back into the outbox once it can be written, where each is tried on its own
        self._came_back()
        return True

    def _open_own(self) -> tuple[Outbox, TextIO]:
        """Name a new outbox file for this process and hold the lock that tells other drainers it is alive."""
        path = self.folder / f"worker-{os.getpid()}-{secrets.token_hex(4)}.sqlite3"
        handle = try_lock(path)
        if handle is None:  # cannot happen for a fresh name; a full disk is handled by the caller
            raise OutboxUnavailable(f"cannot lock {path}")
        return Outbox(path, checkpoints=False), handle
