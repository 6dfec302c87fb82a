"""Each process's count of call events held in memory and dropped, readable by every other process, on a full disk too.

Why files of a fixed size: /health is answered by one worker, yet events wait in the memory of every worker. Each
process creates a small file of its own when it starts (when the disk has room), holds an exclusive lock on it
for as long as it lives, and rewrites its few bytes in place: a rewrite needs no new space, so the counts stay
true while the disk is full. A file whose lock is free belongs to a process that is gone: its last counts are
logged once (the events it held in memory died with it) and the file is removed, so a dead process never
counts for ever. (Shared memory would vanish with a crashed process and leave nothing to log.)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
# pid, events in memory, events dropped: three 64-bit integers, always written whole at offset 0.
LAYOUT = struct.Struct("<qqq")
FOLDER = "processes"


@dataclass(frozen=True)
class MemoryCounts:
    """Call events held in memory (waiting for the disk or the database) and dropped beyond the memory bound."""

    in_memory: int = 0
    dropped: int = 0

    def __add__(self, other: MemoryCounts) -> MemoryCounts:
        return MemoryCounts(self.in_memory + other.in_memory, self.dropped + other.dropped)


class StatusFile:
    """This process's counts, kept in a file it created and locked at start, rewritten in place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / FOLDER
        self.pid = os.getpid()
        self._fd: int | None = None
        self.path: Path | None = None

    def open(self) -> bool:
        """Create and lock the file (a no-op once done); False when the disk refuses it (tried again later)."""
        if self._fd is not None:
            return True
        name = f"{self.pid}-{secrets.token_hex(4)}"
        making = self.folder / f".{name}.new"  # not read until locked and renamed: never taken for a dead one
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.write(fd, LAYOUT.pack(self.pid, 0, 0)) != LAYOUT.size:
                raise OSError("short write")
            final = self.folder / f"{name}.counts"
            os.rename(making, final)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                making.unlink()
            return False
        self._fd, self.path = fd, final
        return True

    def write(self, counts: MemoryCounts) -> None:
        """Rewrite the counts in place (the same bytes of the same file: no new space is needed)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.pwrite(self._fd, LAYOUT.pack(self.pid, counts.in_memory, counts.dropped), 0)

    def close(self) -> None:
        """Remove the file and let go of it (a clean exit: the counts were written just before, and logged)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            if self.path is not None:
                self.path.unlink()
        os.close(fd)


def others(folder: Path, own: StatusFile | None = None) -> MemoryCounts:
    """Sum the counts of every live process but `own`; forget (after logging) those of processes that are gone."""
    total = MemoryCounts()
    try:
        paths = sorted((folder / FOLDER).glob("*.counts"))
    except OSError:
        return total
    for path in paths:
        if own is not None and path == own.path:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile
        try:
            data = os.pread(fd, LAYOUT.size, 0)
            if len(data) != LAYOUT.size:
                continue
            pid, in_memory, dropped = LAYOUT.unpack(data)
            if _owner_alive(fd):
                total += MemoryCounts(in_memory, dropped)
                continue
            if in_memory or dropped:
                log.error("Process %d ended holding %d call events in memory that were lost with it (%d had been "
                          "dropped before); its count is no longer shown.", pid, in_memory, dropped)
            with contextlib.suppress(OSError):
                path.unlink()
        finally:
            os.close(fd)
    return total


def _owner_alive(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False
