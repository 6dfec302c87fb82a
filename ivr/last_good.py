"""The last good menus, saved in the instance folder so that they outlive every process.

Each menus version that validates is copied, with the recordings it uses, into a folder named by a digest
of its content; a pointer file names the newest. A worker, a restarted server, or a server started on a
broken folder loads that copy. Writers never clash: a version is written under a temporary name and renamed
into place, and the pointer is replaced atomically.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ivr.core.loader import FILES, check_hotline
from ivr.core.model import Hotline

log = logging.getLogger(__name__)
POINTER = "CURRENT"
KEEP_VERSIONS = 5


@dataclass(frozen=True)
class SavedMenus:
    """A last good version read back: the hotline, where it was copied from, and when."""

    hotline: Hotline
    source: str
    saved_at: datetime
    digest: str


class LastGoodMenus:
    """Saves every valid menus version and loads the newest one back."""

    def __init__(self, instance_dir: Path) -> None:
        self.root = instance_dir / "last-good-menus"

    def save(self, hotline: Hotline, menus_dir: Path) -> str | None:
        """Keep a validated hotline's files and recordings; return the version's digest, None when the disk refused."""
        try:
            files = {name: (menus_dir / name).read_bytes() for name in FILES}
            audio_dir = Path(hotline.audio_dir)
            recordings = sorted({file for prompt in hotline.prompts.values() for file in prompt.audio.values()})
            sounds = {name: (audio_dir / name).read_bytes() for name in recordings}
            digest = _digest(files, sounds)
            if self._current_digest() == digest:
                return digest
            self._write_version(digest, files, sounds, str(menus_dir))
            # What was read may differ from what was checked (a save in between): point only to a copy that loads.
            if self._load_version(digest) is None:
                return None
            self._point_to(digest)
            self._prune(keep=digest)
            return digest
        except OSError as exc:  # a full or read-only disk: callers still hear these menus from memory
            log.error("Could not save the last good menus in %s (%s); they stay in memory only until the disk "
                      "can be written.", self.root, exc.strerror or exc)
            return None

    def load(self) -> SavedMenus | None:
        """Return the newest saved version, or None when none was ever saved (or it can no longer be read)."""
        digest = self._current_digest()
        if digest is None:
            return None
        return self._load_version(digest)

    def _load_version(self, digest: str) -> SavedMenus | None:
        folder = self.root / digest
        hotline, problems = check_hotline(folder / "menus", audio_dir=folder / "audio")
        if hotline is None:
            log.error("The saved menus in %s do not load: %s", folder, "; ".join(str(p) for p in problems[:3]))
            return None
        try:
            source = (folder / "SOURCE").read_text(encoding="utf-8").strip()
            saved_at = datetime.fromtimestamp((folder / "SOURCE").stat().st_mtime, UTC)
        except OSError:
            source, saved_at = str(folder), datetime.fromtimestamp(0, UTC)
        return SavedMenus(hotline, source, saved_at, digest)

    def _current_digest(self) -> str | None:
        try:
            digest = (self.root / POINTER).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return digest if digest and (self.root / digest).is_dir() else None

    def _write_version(self, digest: str, files: dict[str, bytes], sounds: dict[str, bytes], source: str) -> None:
        target = self.root / digest
        if target.is_dir():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".saving-", dir=self.root))
        try:
            for name, content in files.items():
                _write(scratch / "menus" / name, content)
            for name, content in sounds.items():
                _write(scratch / "audio" / name, content)
            _write(scratch / "SOURCE", source.encode("utf-8"))
            try:
                scratch.rename(target)
            except OSError:
                if not target.is_dir():  # not another worker saving the same version: a real failure
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _point_to(self, digest: str) -> None:
        handle, temporary = tempfile.mkstemp(prefix=".pointer-", dir=self.root)
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(digest + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.root / POINTER)

    def _prune(self, keep: str) -> None:
        versions = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        for old in versions[KEEP_VERSIONS:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


def _digest(files: dict[str, bytes], sounds: dict[str, bytes]) -> str:
    hasher = hashlib.sha256()
    for group in (files, sounds):
        for name in sorted(group):
            hasher.update(name.encode() + b"\0" + hashlib.sha256(group[name]).digest())
    return hasher.hexdigest()[:16]
