"""Publishing menus: check the files exactly as `ivr validate` does, keep them as the newest version in the
database, and write them into the live menus folder, where every server's MenuStore picks them up.

An edge, not the core: it touches the disk and the database. The files are checked in a scratch folder beside
the live one, so that `audio_dir: ../audio` names the same recordings and nothing half-checked is ever live.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ivr.core.loader import FILES, check_hotline
from ivr.core.model import Hotline
from ivr.core.problems import Problem
from ivr.store.versions import PublishedVersions, VersionHead, VersionInfo

log = logging.getLogger(__name__)


class UnknownVersion(LookupError):
    """There is no published version with that number."""


@dataclass(frozen=True)
class PublishResult:
    """A publish's outcome: the version (None when refused), every problem found, and whether it is new."""

    version: VersionInfo | None
    problems: tuple[Problem, ...]
    created: bool

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Return the problems that refused the publish (warnings do not)."""
        return tuple(p for p in self.problems if p.severity == "error")


def publish(versions: PublishedVersions, menus_dir: str | Path, files: Mapping[str, str], author: str,
            note: str = "", *, base: int | None) -> PublishResult:
    """Check menu files (those not given are the live folder's), then store them and write them into the folder.

    base is the version the change was made from. Nothing is stored or written when a file has an error; raise
    NewerVersion when another version was published since base, StoreUnavailable when the database is away.
    """
    folder = Path(menus_dir)
    unknown = sorted(set(files) - set(FILES))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} is not a menus file; the files are {', '.join(FILES)}.")
    if not author.strip():
        raise ValueError("A published version needs its author's name.")
    with folder_lock(folder):
        texts = {**read_menus(folder, complete=False), **files}
        hotline, problems = check_texts(menus_dir, texts)
        if hotline is None:
            return PublishResult(None, tuple(problems), created=False)
        return store_and_write(versions, folder, texts, author, note, problems, base)


def store_and_write(versions: PublishedVersions | None, folder: Path, texts: Mapping[str, str], author: str,
                    note: str, problems: list[Problem], base: int | None) -> PublishResult:
    """Store checked texts as the newest version made from `base` (when versions are kept), write them into the
    folder and mark the folder with the version's number.

    The caller holds the folder's lock and has checked the texts; raise NewerVersion when base is not the newest.
    """
    if versions is None:  # a server that keeps no versions: the folder is all there is
        write_menus(folder, texts)
        return PublishResult(None, tuple(problems), created=True)
    published = versions.publish(texts, author, note, datetime.now(UTC), base)
    try:
        write_menus(folder, texts)
        mark_folder(folder, VersionHead(published.version.id, published.version.digest))
    except OSError as exc:  # published all the same: the servers of this folder write it when they next look
        log.error("Version %d is published, but could not be written into %s (%s); the servers serving that "
                  "folder write it when they next look.", published.version.id, folder, exc.strerror or exc)
    return PublishResult(published.version, tuple(problems), published.created)


def restore(versions: PublishedVersions, menus_dir: str | Path, number: int, author: str,
            base: int | None) -> PublishResult:
    """Publish version `number`'s texts again as the newest version, checked like any publish.

    base is the newest version the person restoring saw; NewerVersion when another was published since.
    """
    version = versions.get(number)
    if version is None:
        raise UnknownVersion(f"There is no menus version {number}; `ivr menus history` lists them.")
    return publish(versions, menus_dir, version.files, author, f"restore of version {number}", base=base)


def folder_version(menus_dir: Path) -> VersionHead | None:
    """Return the published version last written into (or published from) a menus folder, or None when unknown.

    The folder's files may have been edited by hand since; the version is what such an edit was made from.
    """
    try:
        found = json.loads(_marker(menus_dir).read_text(encoding="utf-8"))
        return VersionHead(int(found["version"]), str(found["digest"]))
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or not ours: the version is unknown
        return None


def mark_folder(menus_dir: Path, version: VersionHead) -> None:
    """Note beside a menus folder which published version its files are now (atomically; OSError when it cannot)."""
    marker = _marker(menus_dir)
    if folder_version(menus_dir) == version:
        return
    handle, temporary = tempfile.mkstemp(prefix=f"{marker.name}.", dir=marker.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({"version": version.id, "digest": version.digest}, file)
        os.chmod(temporary, 0o644)
        os.replace(temporary, marker)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _marker(menus_dir: Path) -> Path:
    # Beside the folder, like its lock, so that the folder holds only the menus files.
    folder = menus_dir.resolve()
    return folder.parent / f".{folder.name}.published-version"


def check_texts(menus_dir: str | Path, files: Mapping[str, str]) -> tuple[Hotline | None, list[Problem]]:
    """Check menu texts as if they were in menus_dir: the problems name menus_dir's files, never the scratch copy."""
    folder = Path(menus_dir)
    shown = str(menus_dir).rstrip("/") or "."
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.resolve().name}.checking-", dir=folder.resolve().parent))
    try:
        for name, text in files.items():
            (scratch / name).write_bytes(text.encode("utf-8"))
        hotline, problems = check_hotline(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return hotline, [_moved(p, str(scratch), shown) for p in problems]


def read_menus(menus_dir: Path, complete: bool = True) -> dict[str, str]:
    """Return the texts of the menu files in a folder; with complete=False, of those that can be read.

    Raise OSError (or UnicodeDecodeError) when complete and a file cannot be read.
    """
    texts = {}
    for name in FILES:
        try:
            texts[name] = (menus_dir / name).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            if complete:
                raise
    return texts


def write_menus(menus_dir: Path, files: Mapping[str, str]) -> list[str]:
    """Write the files whose text differs into the folder, each atomically (a temporary file renamed over it).

    Return the names written. A server reading the folder meanwhile sees each file whole, old or new.
    """
    written = []
    for name in FILES:
        if name not in files:
            continue
        target = menus_dir / name
        content = files[name].encode("utf-8")
        try:
            if target.read_bytes() == content:
                continue  # an unchanged file keeps its time, so no watcher takes it for an edit
            mode = target.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=menus_dir)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, mode)  # mkstemp's 0600 would hide the file from other users (a web server's)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(name)
    return written


@contextmanager
def folder_lock(menus_dir: Path, exclusive: bool = True, wait: bool = True) -> Iterator[bool]:
    """Hold the lock that keeps writers of a menus folder apart (a shared one for readers); yield whether held.

    The lock file sits beside the folder, so every process serving or publishing that folder takes the same one.
    """
    folder = menus_dir.resolve()
    try:
        lock = open(folder.parent / f".{folder.name}.lock", "a")  # noqa: SIM115 (held across the yield)
    except OSError as exc:  # a read-only place: nothing else can write the folder from here either
        log.debug("No lock beside %s (%s); going on without it.", folder, exc)
        yield True
        return
    with lock:
        flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(lock, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _moved(problem: Problem, scratch: str, shown: str) -> Problem:
    params = tuple((name, value.replace(scratch, shown) if isinstance(value, str) else value)
                   for name, value in problem.params)
    return replace(problem, file=problem.file.replace(scratch, shown), params=params)
