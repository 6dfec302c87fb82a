"""The outbox folder of one database: its name, the owner locks of its files, the space left on its disk, and the
counts of every process's events there."""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ivr.store.outbox import Outbox, OutboxUnavailable
from ivr.store.status import MemoryCounts, StatusFile, others
from ivr.store.urls import database_identity

# Below this much free space in the outbox folder, events are kept in memory rather than appended to the outbox.
# Why a threshold rather than a preallocated reserve file: a reserve released on a full disk is taken at once by
# whatever filled the disk (a runaway log keeps writing), so it would buy nothing. Stopping early instead leaves
# the last megabytes to what must still happen: the checkpoints of the files being sealed and the deletions of
# the drainers, whose write-ahead logs are bounded (see ivr.store.outbox) to well under this; and draining a
# handed-over file needs no space at all, as it is deleted whole once the database has its events (see _drain).
LOW_DISK_BYTES = 2 * 1024 * 1024
# Held by a records writer process (see run_writer_process) while it drains the folder for every worker.
WRITER_LOCK = "writer"


def outbox_folder(instance_dir: Path, database_url: str) -> Path:
    """Where events for one database wait: one outbox folder per database, so that events kept for an
    unreachable PostgreSQL are never written into another database by mistake."""
    digest = hashlib.sha256(database_identity(database_url).encode()).hexdigest()[:10]
    return instance_dir / f"outbox-{digest}"


@dataclass(frozen=True)
class RecordCounts:
    """The call events of every process using an outbox folder: waiting in its files, set aside there, held in
    memory by a live process, and dropped."""

    waiting: int
    set_aside: int
    in_memory: int
    dropped: int


def record_counts(folder: Path, own_outbox: Outbox | None = None, own_status: StatusFile | None = None,
                  own_memory: MemoryCounts | None = None) -> RecordCounts:
    """Sum the counts of every process for /health and /metrics: one function, so that both say the same.

    Waiting and set-aside events are counted in the outbox files, whichever process wrote or drains them (the
    records writer process holds none elsewhere); in-memory and dropped ones in each live worker's status file
    (this process's own, when given, from its memory directly). Works on a full disk.
    """
    waiting = aside = 0
    try:
        paths = sorted(folder.glob("*.sqlite3"))
    except OSError:
        paths = []
    for path in paths:
        outbox = own_outbox if own_outbox is not None and own_outbox.path == path else Outbox(path)
        try:
            found, refused = outbox.counts()
        except OutboxUnavailable:
            continue
        finally:
            if outbox is not own_outbox:
                outbox.close()
        waiting, aside = waiting + found, aside + refused
    memory = others(folder, own_status)
    if own_memory is not None:
        memory += own_memory
    return RecordCounts(waiting, aside, memory.in_memory, memory.dropped)


def free_bytes(folder: Path) -> int:
    """Return the space left to ordinary users on the disk of a folder (or its nearest existing parent)."""
    for place in (folder, *folder.parents):
        try:
            found = os.statvfs(place)
        except OSError:
            continue
        return found.f_bavail * found.f_frsize
    return LOW_DISK_BYTES  # nothing to ask: not taken for a full disk


def try_lock(path: Path) -> TextIO | None:
    """Take the owner lock of an outbox file without waiting; None when its owner is alive (or no lock file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(path.name + ".owner"), "a")  # noqa: SIM115 - kept open while owned
    except OSError as exc:
        raise OutboxUnavailable(f"{type(exc).__name__}: {exc}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def discard(outbox: Outbox, handle: TextIO) -> None:
    """Give up an outbox file this process made but never used: its lock, then the file."""
    handle.close()
    remove_if_empty(outbox)  # which closes it


def remove_if_empty(outbox: Outbox) -> None:
    """Delete a dead worker's outbox once nothing waits in it (or the database has it all) and nothing was set
    aside there."""
    try:
        waiting, aside = outbox.counts()
        if aside == 0 and (waiting == 0 or outbox.drained):
            for suffix in ("", "-wal", "-shm", ".owner"):
                outbox.path.with_name(outbox.path.name + suffix).unlink(missing_ok=True)
    except (OutboxUnavailable, OSError):
        pass
    finally:
        outbox.close()
