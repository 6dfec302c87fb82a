"""Keeps the current call flow: reloads the menus when staff change them, and never lets a broken edit stop callers.

Every valid version is also saved as the last good copy (ivr.last_good), so a new worker or a restarted
server on a broken folder serves that copy instead of failing to start.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.core.flow import CallFlow
from ivr.core.loader import FILES, check_hotline
from ivr.core.model import Hotline
from ivr.core.problems import MenuError, Problem
from ivr.last_good import LastGoodMenus, SavedMenus

log = logging.getLogger(__name__)
# How often, at most, the menu files are looked at for changes.
CHECK_EVERY_SECONDS = 2.0

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class MenusState:
    """What callers hear now: the menus folder itself, or the last good copy because the folder is broken."""

    units: int
    source: str
    saved_copy: bool
    rejected_edit: str | None


class MenuStore:
    """The live hotline: reloaded after a valid edit, unchanged after a broken one."""

    def __init__(self, menus_dir: str | Path, instance_dir: Path) -> None:
        self.menus_dir = Path(menus_dir)
        self.last_good = LastGoodMenus(instance_dir)
        self.last_error: str | None = None
        self._saved: SavedMenus | None = None
        self._lock = threading.Lock()
        self._fingerprint = self._files_fingerprint()
        self._checked_at = time.monotonic()
        hotline, problems = check_hotline(self.menus_dir)
        if hotline is not None:
            self._flow = self._take(hotline)
            return
        saved = self.last_good.load()
        if saved is None:
            raise MenuError(problems)  # no good version has ever existed: nothing to serve
        self._flow = self._fall_back(saved, problems)

    @property
    def flow(self) -> CallFlow:
        """Return the call flow of the newest valid menus."""
        if time.monotonic() - self._checked_at >= CHECK_EVERY_SECONDS:
            self.refresh()
        return self._flow

    def state(self) -> MenusState:
        """Describe the menus callers hear, for /health and the console."""
        units = len(self._flow.hotline.units)
        if self._saved is not None:
            source = (f"the last good copy of {self._saved.source}, saved {self._saved.saved_at:%Y-%m-%d %H:%M:%S} "
                      f"UTC, because {self.menus_dir} does not load")
            return MenusState(units, source, True, self.last_error)
        return MenusState(units, str(self.menus_dir), False, self.last_error)

    def refresh(self) -> bool:
        """Reload the menus if their files changed; return True when new menus were taken."""
        if not self._lock.acquire(blocking=False):
            return False  # another request is checking them right now: answer with the current menus
        try:
            self._checked_at = time.monotonic()
            fingerprint = self._files_fingerprint()
            if fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint
            hotline, problems = check_hotline(self.menus_dir)
            if hotline is None:
                self._reject(problems)
                return False
            self._flow = self._take(hotline)
            log.info("Loaded the edited menus from %s.", self.menus_dir)
            return True
        finally:
            self._lock.release()

    def _take(self, hotline: Hotline) -> CallFlow:
        for warning in hotline.warnings:
            log.warning("Menus: %s", warning)
        self.last_good.save(hotline, self.menus_dir)
        self.last_error = None
        self._saved = None
        return CallFlow(hotline)

    def _reject(self, problems: list[Problem]) -> None:
        self.last_error = _errors(problems)
        log.error("The edited menus in %s are not valid; callers keep hearing the last good menus. "
                  "Fix these and save again:\n%s", self.menus_dir, self.last_error)

    def _fall_back(self, saved: SavedMenus, problems: list[Problem]) -> CallFlow:
        self._saved = saved
        self.last_error = _errors(problems)
        log.critical("The menus in %s do not load, so callers hear the last good copy of them, saved %s UTC in %s. "
                     "Fix these and save again:\n%s", self.menus_dir, f"{saved.saved_at:%Y-%m-%d %H:%M:%S}",
                     self.last_good.root, self.last_error)
        return CallFlow(saved.hotline)

    def _files_fingerprint(self) -> Fingerprint:
        found = []
        for name in FILES:
            try:
                stat = (self.menus_dir / name).stat()
                found.append((name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                found.append((name, -1, -1))
        return tuple(found)


def _errors(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems if p.severity == "error")
