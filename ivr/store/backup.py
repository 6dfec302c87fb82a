"""Backups of the embedded SQLite records, made while the service writes, and restoring one with the service stopped.

A backup is SQLite's online backup API (the standard library's `Connection.backup`) run in steps from one read
snapshot: in WAL mode a reader blocks no writer, so the service goes on writing while the pages are copied, and
because the snapshot is held from the first step to the last the copy never starts over (SQLite restarts a
stepped backup whenever another connection writes between two steps, which under load could be forever). Before
the snapshot is taken, the call events waiting in the outbox at that moment are given a few seconds to reach the
database, so that a backup holds every call answered before it began.

PostgreSQL is backed up with its own tools (pg_dump, pg_restore); this module only says the exact commands.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import make_url

from ivr.store.database import MIGRATIONS, make_engine, upgrade_schema
from ivr.store.outbox import Outbox, OutboxUnavailable

# Pages copied in one step of the backup (4 MiB of 4 KiB pages), and the pause between steps.
STEP_PAGES = 1024
STEP_PAUSE_SECONDS = 0.002
# How long a backup waits for the events already in the outbox to reach the database.
SETTLE_SECONDS = 10.0
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore cannot be made as asked; the message says why and what to do."""


@dataclass(frozen=True)
class BackupMade:
    """What a backup holds and how it went."""

    path: Path
    revision: str
    calls: int
    voicemails: int
    pages: int
    seconds: float
    still_waiting: int  # events that were in the outbox when the backup began and had not reached the database


@dataclass(frozen=True)
class Restored:
    """What a restore put in place, and where the database it replaced was kept."""

    database: Path
    kept_aside: Path | None
    revision_found: str
    revision_now: str
    calls: int
    voicemails: int


def sqlite_file(database_url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for another database (PostgreSQL) or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def _libpq_url(database_url: str) -> str:
    """Return the URL as PostgreSQL's own tools read it: no SQLAlchemy driver name, no password."""
    url = make_url(database_url)._replace(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def pg_dump_command(database_url: str, file: str) -> str:
    """Return the pg_dump command that backs up this PostgreSQL database into file (custom format)."""
    return shlex.join(["pg_dump", "-Fc", "-f", file, "-d", _libpq_url(database_url)])


def pg_restore_command(database_url: str, file: str) -> str:
    """Return the pg_restore command that puts a pg_dump -Fc file back into this PostgreSQL database."""
    return shlex.join(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", _libpq_url(database_url), file])


# Backup --------------------------------------------------------------------------------------------------------


def settle_outbox(folder: Path, seconds: float = SETTLE_SECONDS,
                  monotonic: Callable[[], float] = time.monotonic) -> int:
    """Wait (at most `seconds`) until the outbox files present now hold no waiting event; return how many still wait.

    Workers hand their files over every second and the writer drains them, so a running service settles within
    two or three seconds; a database that is away does not, and the backup then says how many are missing.
    """
    present = sorted(folder.glob("*.sqlite3")) if folder.is_dir() else []
    deadline = monotonic() + seconds
    while True:
        waiting = sum(_waiting_in(path) for path in present)
        if waiting == 0 or monotonic() >= deadline:
            return waiting
        time.sleep(0.1)


def _waiting_in(path: Path) -> int:
    outbox = Outbox(path)  # never opened for writing here: counts() only reads another process's file
    try:
        return outbox.counts()[0]
    except OutboxUnavailable:
        return 1 if path.exists() else 0
    finally:
        outbox.close()


def backup_sqlite(database: Path, target: Path, force: bool = False, step_pages: int = STEP_PAGES,
                  pause: float = STEP_PAUSE_SECONDS, outbox: Path | None = None,
                  settle_seconds: float = SETTLE_SECONDS) -> BackupMade:
    """Copy a live SQLite database into target consistently, step by step, and atomically (temp file, then rename).

    An existing target is refused unless force. The outbox's waiting events are first given settle_seconds.
    """
    target = target.absolute()
    if not database.is_file():
        raise BackupError(f"There is no SQLite database at {database} to back up; check IVR_DATABASE_URL and "
                          "IVR_INSTANCE_DIR (the service creates it at its first start).")
    if target.exists() and not force:
        raise BackupError(f"{target} exists already; give another file name, or add --force to replace it.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the name of the backup file to write, e.g. {target}/ivr.sqlite3")
    if target.exists() and target.resolve() == database:
        raise BackupError(f"{target} is the database itself; write the backup to another file.")
    started = time.monotonic()
    still_waiting = settle_outbox(outbox, settle_seconds) if outbox is not None else 0
    try:
        revision, counted_calls, counted_messages, pages = _write_backup(database, target, force, step_pages, pause)
    except OSError as exc:  # a full disk, a folder taken away: nothing half-written is left under the name
        raise BackupError(f"The backup could not be written to {target} ({exc.strerror or exc}); nothing was "
                          "written there. Check the disk and try again.") from exc
    return BackupMade(target, revision, counted_calls, counted_messages, pages, time.monotonic() - started,
                      still_waiting)


def _write_backup(database: Path, target: Path, force: bool, step_pages: int,
                  pause: float) -> tuple[str, int, int, int]:
    """Copy, check, then put the copy in place under target's name; return its revision, counts and pages."""
    with _temporary_beside(target) as temporary:
        pages = _copy_snapshot(database, temporary, step_pages, pause)
        revision, counted_calls, counted_messages = _check_copy(temporary, str(database))
        os.chmod(temporary, 0o600)  # caller numbers: the backup is its maker's to read, no one else's
        _fsync(temporary)
        if force:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)  # fails rather than replace a file made meanwhile
            except FileExistsError as exc:
                raise BackupError(f"{target} was created by someone else during the backup; nothing was "
                                  "replaced. Give another file name, or add --force.") from exc
        _fsync(target.parent)
    return revision, counted_calls, counted_messages, pages


def _copy_snapshot(database: Path, copy: Path, step_pages: int, pause: float) -> int:
    """Copy the database as it is at one moment into copy, in steps; return the number of pages copied."""
    total = 0

    def progress(_status: int, remaining: int, pages: int) -> None:
        nonlocal total
        total = pages

    try:
        with contextlib.closing(sqlite3.connect(database, timeout=5, isolation_level=None)) as source, \
                contextlib.closing(sqlite3.connect(copy, isolation_level=None)) as destination:
            # One read transaction for every step: the copy is this snapshot, and never restarts for a write.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            source.backup(destination, pages=step_pages, progress=progress, sleep=pause)
            source.execute("COMMIT")
            # The copy is one file on its own, whatever journal mode the service uses.
            destination.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"The database {database} could not be copied ({type(exc).__name__}: {exc}); nothing "
                          "was written. Check the disk and try again.") from exc
    return total


def _check_copy(path: Path, shown: str) -> tuple[str, int, int]:
    """Return a copy's schema revision and its numbers of calls and voice messages; refuse one damaged or foreign."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{shown} is damaged (SQLite's quick_check: {check}); nothing was restored or "
                                  "written. Use an older backup.")
            names = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "calls", "steps", "voicemails"} <= names:
                raise BackupError(f"{shown} is an SQLite database, but not of this hotline's records (its tables: "
                                  f"{', '.join(sorted(names)) or 'none'}); give a file made by `ivr db backup`.")
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            counted_calls = copy.execute("SELECT count(*) FROM calls").fetchone()[0]
            counted_messages = copy.execute("SELECT count(*) FROM voicemails").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{shown} is not an SQLite database this hotline can read ({exc}); give a file made by "
                          "`ivr db backup`.") from exc
    if revision is None:
        raise BackupError(f"{shown} names no schema revision (its alembic_version table is empty); give a file made "
                          "by `ivr db backup`.")
    return str(revision[0]), int(counted_calls), int(counted_messages)


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary file name in target's folder (so that a rename is atomic); remove it afterwards."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise BackupError(f"Cannot write in {target.parent} ({exc.strerror or exc}); choose a folder you may write "
                          "to.") from exc
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()  # SQLite makes the file itself; the name is ours
    try:
        yield temporary
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            temporary.with_name(temporary.name + suffix).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Restore -------------------------------------------------------------------------------------------------------


def holders(database: Path, outbox: Path | None) -> list[str]:
    """Say who holds the database now: each process that has it open, and each outbox lock a live process holds."""
    found = []
    files = {str(database.with_name(database.name + suffix)) for suffix in ("", "-wal", "-shm")}
    for process in psutil.process_iter(["pid", "cmdline"]):
        if process.pid == os.getpid():
            continue
        try:
            if any(item.path in files for item in process.open_files()):
                command = " ".join(process.info.get("cmdline") or [])[:120]
                found.append(f"process {process.pid} ({command})")
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # another user's process: its locks below still show
    locks = [database.with_name(database.name + ".migrating")]
    if outbox is not None and outbox.is_dir():
        locks += sorted(outbox.glob("*.owner"))
    for lock in locks:
        if _is_held(lock):
            what = "the records writer of `ivr serve`" if lock.name == "writer.owner" else "a worker of the service"
            found.append(f"{what} (it holds the lock {lock})")
    return found


def _is_held(lock: Path) -> bool:
    try:
        with open(lock, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
    except OSError:
        return False
    return False


def known_revisions() -> tuple[ScriptDirectory, str]:
    """Return this program's migrations and the newest revision among them."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_current_head()
    assert head is not None
    return scripts, head


def restore_sqlite(database: Path, backup: Path, at: datetime, outbox: Path | None = None) -> Restored:
    """Put a backup in place of the SQLite database with the service stopped: check it, bring its schema up to
    date, keep the current database aside as NAME.before-restore-TIME, then move the backup in."""
    backup = backup.absolute()
    if not backup.is_file():
        raise BackupError(f"There is no backup file {backup}; give the file `ivr db backup` wrote.")
    try:
        with open(backup, "rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Cannot read {backup} ({exc.strerror or exc}).") from exc
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{backup} is not an SQLite database (it does not start as one); give the file "
                          "`ivr db backup` wrote. Nothing was changed.")
    busy = holders(database, outbox)
    if busy:
        raise BackupError(f"The database {database} is in use by: {'; '.join(busy)}. Stop the service first "
                          "(`systemctl stop` its unit, or end `ivr serve`), then run `ivr db restore` again. "
                          "Nothing was changed.")
    try:
        return _restore_into(database, backup, at)
    except OSError as exc:
        raise BackupError(f"{backup} could not be restored into {database} ({exc.strerror or exc}); the database is "
                          "as it was. Check the disk and try again.") from exc


def _restore_into(database: Path, backup: Path, at: datetime) -> Restored:
    """Copy the backup beside the database, check and upgrade it, then swap it in, keeping the old one aside."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(database) as temporary:
        _copy_snapshot(backup, temporary, -1, 0)
        found, _, _ = _check_copy(temporary, str(backup))
        scripts, head = known_revisions()
        try:
            scripts.get_revision(found)
        except CommandError as exc:
            raise BackupError(f"{backup} is at schema revision {found}, which this version of ivr does not know (its "
                              f"newest is {head}): it was made by a newer ivr. Restore it with that version. "
                              "Nothing was changed.") from exc
        if found != head:
            engine = make_engine(f"sqlite:///{temporary}")
            try:
                upgrade_schema(engine)
            finally:
                engine.dispose()
            with contextlib.closing(sqlite3.connect(temporary, isolation_level=None)) as copy:
                copy.execute("PRAGMA journal_mode = DELETE")
        revision, counted_calls, counted_messages = _check_copy(temporary, str(backup))
        _like_the_database(temporary, database)
        _fsync(temporary)
        aside = _keep_aside(database, at)
        try:
            os.replace(temporary, database)
            _fsync(database.parent)
        except OSError as exc:
            if aside is not None:
                aside.unlink(missing_ok=True)  # a second name of the database, which is still in place
            raise BackupError(f"The backup could not be moved into place as {database} ({exc.strerror or exc}); "
                              "the database is as it was. Check the disk and try again.") from exc
    return Restored(database, aside, found, revision, counted_calls, counted_messages)


def _like_the_database(copy: Path, database: Path) -> None:
    """Give the restored file the current database's mode and owner, so that the service's user can still write it
    when root restores (a new temporary file is its maker's, readable by it alone)."""
    if not database.exists():
        return
    found = database.stat()
    os.chmod(copy, found.st_mode & 0o777)
    with contextlib.suppress(PermissionError):  # not root: the file is already the restorer's, as the database was
        os.chown(copy, found.st_uid, found.st_gid)


def _keep_aside(database: Path, at: datetime) -> Path | None:
    """Fold the current database's WAL into it and keep it as NAME.before-restore-TIME; None when there is none."""
    if not database.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=1, isolation_level=None)) as current:
            current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # Leaving WAL needs the only connection: a process we could not see still holding it is caught here.
            mode = current.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"The database {database} cannot be set aside ({exc}); a process still uses it. Stop the "
                          "service, then run `ivr db restore` again. Nothing was changed.") from exc
    if str(mode).lower() != "delete":
        raise BackupError(f"The database {database} is still used by another process (it stays in {mode} mode); "
                          "stop the service, then run `ivr db restore` again. Nothing was changed.")
    aside = database.with_name(f"{database.name}.before-restore-{at:%Y%m%dT%H%M%S}")
    number = 1
    while aside.exists():
        number += 1
        aside = database.with_name(f"{database.name}.before-restore-{at:%Y%m%dT%H%M%S}-{number}")
    # A second name for the same file, then the backup renamed over the first: at no moment is there no database
    # under its name (a restore killed halfway leaves the old one in place, never an empty folder the service
    # would start a new database in).
    os.link(database, aside)
    return aside
