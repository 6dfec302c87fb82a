"""Keeps the current call flow, reloading the menus when staff change them and keeping the last good ones."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ivr.core.flow import CallFlow
from ivr.core.loader import FILES, check_hotline, load_hotline

log = logging.getLogger(__name__)
# How often, at most, the menu files are looked at for changes.
CHECK_EVERY_SECONDS = 2.0


class MenuStore:
    """The live hotline: reloaded after a valid edit, unchanged after a broken one."""

    def __init__(self, menus_dir: str | Path) -> None:
        self.menus_dir = str(menus_dir)
        self._flow = CallFlow(load_hotline(self.menus_dir))
        _log_warnings(self._flow)
        self._fingerprint = self._files_fingerprint()
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def flow(self) -> CallFlow:
        """Return the call flow of the newest valid menus."""
        if time.monotonic() - self._checked_at >= CHECK_EVERY_SECONDS:
            self.refresh()
        return self._flow

    def refresh(self) -> bool:
        """Reload the menus if their files changed; return True when new menus were taken."""
        with self._lock:
            self._checked_at = time.monotonic()
            fingerprint = self._files_fingerprint()
            if fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint
            hotline, problems = check_hotline(self.menus_dir)
            if hotline is None:
                self.last_error = "\n".join(str(p) for p in problems if p.severity == "error")
                log.error("The edited menus in %s are not valid; callers keep hearing the last good menus. "
                          "Fix these and save again:\n%s", self.menus_dir, self.last_error)
                return False
            self._flow = CallFlow(hotline)
            _log_warnings(self._flow)
            self.last_error = None
            log.info("Loaded the edited menus from %s.", self.menus_dir)
            return True

    def _files_fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        found = []
        folder = Path(self.menus_dir)
        for name in FILES:
            try:
                stat = (folder / name).stat()
                found.append((name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                found.append((name, -1, -1))
        return tuple(found)


def _log_warnings(flow: CallFlow) -> None:
    for warning in flow.hotline.warnings:
        log.warning("Menus: %s", warning)
