"""Keeps the current call flow: reloads the menus when staff change them, and never lets a broken edit stop callers.

Every valid version is also saved as the last good copy (ivr.last_good), so a new worker or a restarted
server on a broken folder serves that copy instead of failing to start.

With the database's published versions (ivr.store.versions), every server follows the newest: a background
sync, started at most every CHECK_EVERY_SECONDS, writes a newer version into this server's folder, or
publishes a valid hand edit of the folder so that the other servers follow it (ivr.web.following decides
which). Callers never wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.core.flow import CallFlow
from ivr.core.loader import FILES, check_hotline
from ivr.core.model import Hotline
from ivr.core.problems import MenuError, Problem
from ivr.core.router import Router
from ivr.last_good import LastGoodMenus, SavedMenus
from ivr.publishing import check_texts, folder_lock, read_menus, write_menus
from ivr.store.versions import MenusVersion, PublishedVersions, VersionHead
from ivr.web import following
from ivr.web.following import NotTaken, VersionFollower

log = logging.getLogger(__name__)
# How often, at most, the menu files are looked at for changes.
CHECK_EVERY_SECONDS = 2.0
# A folder whose files change while it is checked is checked again, this many times at most.
CHECKS_WHILE_SAVED = 3

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class MenusState:
    """What callers hear now: the menus folder itself, or the last good copy because the folder is broken."""

    units: int
    source: str
    saved_copy: bool
    rejected_edit: str | None
    version: int | None = None  # the published version served, when known
    newest: int | None = None  # the newest published version seen in the database
    newest_not_served: NotTaken | None = None  # the newest and why it cannot be served here, when it cannot
    rejected_problems: tuple[Problem, ...] = ()  # the rejected edit's errors, for the console to say in its language


class MenuStore:
    """The live hotline: reloaded after a valid edit, unchanged after a broken one."""

    def __init__(self, menus_dir: str | Path, instance_dir: Path, versions: PublishedVersions | None = None) -> None:
        self.menus_dir = Path(menus_dir)
        self.last_good = LastGoodMenus(instance_dir)
        self.follower = VersionFollower(versions, self.menus_dir, instance_dir) if versions is not None else None
        self.last_error: str | None = None
        self.last_problems: tuple[Problem, ...] = ()  # the same errors, each to be said in a staff language
        self._saved: SavedMenus | None = None
        self._lock = threading.Lock()
        self._syncing = threading.Lock()
        self._texts: Mapping[str, str] | None = None  # the texts callers hear now (the folder's or the saved copy's)
        self._flow: CallFlow | None = None
        self._fingerprint = self._files_fingerprint()
        self._checked_at = time.monotonic()
        self._rechecked_at = self._checked_at
        hotline, problems, texts = self._check_folder()
        if hotline is not None:
            self._flow = self._take(hotline, texts)
        elif (saved := self.last_good.load()) is not None:
            self._flow = self._fall_back(saved, problems)
        # A folder behind the database takes the newest version; an edit made while stopped is published.
        self.sync()
        if self._flow is None:
            raise MenuError(problems)  # no good version has ever existed, here or in the database: nothing to serve

    @property
    def flow(self) -> CallFlow:
        """Return the call flow of the newest valid menus."""
        if time.monotonic() - self._checked_at >= CHECK_EVERY_SECONDS:
            self.refresh()
        return self._current()

    def state(self) -> MenusState:
        """Describe the menus callers hear, for /health and the console."""
        units = len(self._current().hotline.units)
        served = newest = not_served = None
        if self.follower is not None:
            served = self.follower.served_version(self._texts)
            newest = self.follower.seen.id if self.follower.seen is not None else None
            if (waiting := self.follower.not_taken) is not None and waiting.version.id == newest:
                not_served = waiting
        if self._saved is not None:
            source = (f"the last good copy of {self._saved.source}, saved {self._saved.saved_at:%Y-%m-%d %H:%M:%S} "
                      f"UTC, because {self.menus_dir} does not load")
            return MenusState(units, source, True, self.last_error, served, newest, not_served, self.last_problems)
        return MenusState(units, str(self.menus_dir), False, self.last_error, served, newest, not_served,
                          self.last_problems)

    def refresh(self, wait: bool = False) -> bool:
        """Reload the menus if their files changed, and start a sync with the published versions in the background.

        Return True when new menus were taken from the folder. A caller's request never waits for another check
        under way; wait=True (for /health) does.
        """
        if not self._lock.acquire(blocking=wait):
            return False  # another request (or the sync) is checking them right now: answer with the current menus
        try:
            self._checked_at = time.monotonic()
            with folder_lock(self.menus_dir, exclusive=False, wait=wait) as readable:
                # Not readable: a version is being written into the folder; look again next time.
                taken = readable and self._reload_if_edited()
        finally:
            self._lock.release()
        self._sync_in_background()
        return taken

    def sync(self) -> None:
        """Publish a valid hand edit of the folder, or write the newest published version into it; never raise.

        Without a database the server goes on with its folder, and logs that once.
        """
        if self.follower is None:
            return
        try:
            # The query runs before the lock is taken: callers' checks never wait for the database.
            self.follower.look(self._act_on)
        except Exception:  # a background thread: say what went wrong, and keep serving
            log.exception("Could not bring %s in line with the published menus versions.", self.menus_dir)

    def _current(self) -> CallFlow:
        if self._flow is None:  # __init__ raises rather than leave it so
            raise RuntimeError("No menus were loaded.")
        return self._flow

    def _sync_in_background(self) -> None:
        if self.follower is None or not self._syncing.acquire(blocking=False):
            return  # a sync already runs: it will see what this one would

        def run() -> None:
            try:
                self.sync()
            finally:
                self._syncing.release()

        threading.Thread(target=run, name="menus-versions", daemon=True).start()

    def _act_on(self, head: VersionHead | None) -> None:
        follower = self.follower
        assert follower is not None
        with self._lock, folder_lock(self.menus_dir):
            if self.last_error and time.monotonic() - self._rechecked_at >= following.RETRY_SECONDS:
                # A folder that did not load may load now without a file of it changing (a recording added).
                self._rechecked_at = time.monotonic()
                self._fingerprint = ()
            self._reload_if_edited()  # an edit is published before a version could replace it
            if self._flow is not None and self._texts is None:
                return  # the menus served were read while being saved: their texts are unknown, wait for a calm folder
            version = follower.next_version(head, self._texts, from_folder=self._saved is None)
            if version is None or self._write(version):
                return
            # The newest does not load here: the newest one between it and the menus served that does.
            for info in follower.older_versions(version.info.id):
                older = follower.versions.get(info.id)
                if older is not None and self._write(older):
                    return

    def _write(self, version: MenusVersion) -> bool:
        """Check a published version here; when it loads, write it into the folder and take it. Return whether taken."""
        assert self.follower is not None
        hotline, problems = check_texts(self.menus_dir, version.files)
        if hotline is None:
            self.follower.refused(version, _errors(problems))
            return False
        if self.last_error:
            log.warning("Version %d replaces the rejected edit in %s.", version.info.id, self.menus_dir)
        write_menus(self.menus_dir, version.files)
        self._fingerprint = self._files_fingerprint()
        hotline, problems, texts = self._check_folder()
        if hotline is None:  # loaded in the scratch folder a moment ago: a recording removed meanwhile
            self._reject(problems)
            self.follower.refused(version, self.last_error or "")
            return False
        self._flow = self._take(hotline, texts)
        self.follower.taken(version)
        info = version.info
        log.info("Serving menus version %d, published %s by %s (%s).", info.id,
                 f"{info.published_at:%Y-%m-%d %H:%M:%S}", info.author, info.note)
        return True

    def _reload_if_edited(self) -> bool:
        fingerprint = self._files_fingerprint()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        hotline, problems, texts = self._check_folder()
        if hotline is None:
            self._reject(problems)
            return False
        self._flow = self._take(hotline, texts)
        log.info("Loaded the edited menus from %s.", self.menus_dir)
        return True

    def _check_folder(self) -> tuple[Hotline | None, list[Problem], Mapping[str, str] | None]:
        """Check the folder; its texts come back only when no file changed while it was checked."""
        for _ in range(CHECKS_WHILE_SAVED):  # a file saved during a check: check what was saved
            before = _texts_in(self.menus_dir)
            hotline, problems = check_hotline(self.menus_dir)
            if before is None or _texts_in(self.menus_dir) == before:
                return hotline, problems, before
        return hotline, problems, None


    def _take(self, hotline: Hotline, texts: Mapping[str, str] | None) -> CallFlow:
        for warning in hotline.warnings:
            log.warning("Menus: %s", warning)
        self.last_good.save(hotline, self.menus_dir)
        self.last_error = None
        self.last_problems = ()
        self._saved = None
        self._texts = texts
        return _flow_of(hotline)

    def _reject(self, problems: list[Problem]) -> None:
        errors = _errors(problems)
        if errors == self.last_error:
            return  # the same folder checked again (every RETRY_SECONDS): said already
        self.last_error = errors
        self.last_problems = tuple(p for p in problems if p.severity == "error")
        log.error("The edited menus in %s are not valid; callers keep hearing the last good menus. "
                  "Fix these and save again:\n%s", self.menus_dir, self.last_error)

    def _fall_back(self, saved: SavedMenus, problems: list[Problem]) -> CallFlow:
        self._saved = saved
        self._texts = _texts_in(Path(saved.hotline.source_dir))
        self.last_error = _errors(problems)
        self.last_problems = tuple(p for p in problems if p.severity == "error")
        log.critical("The menus in %s do not load, so callers hear the last good copy of them, saved %s UTC in %s. "
                     "Fix these and save again:\n%s", self.menus_dir, f"{saved.saved_at:%Y-%m-%d %H:%M:%S}",
                     self.last_good.root, self.last_error)
        return _flow_of(saved.hotline)

    def _files_fingerprint(self) -> Fingerprint:
        found = []
        for name in FILES:
            try:
                stat = (self.menus_dir / name).stat()
                found.append((name, stat.st_mtime_ns, stat.st_size))
            except OSError:
                found.append((name, -1, -1))
        return tuple(found)


def _flow_of(hotline: Hotline) -> CallFlow:
    """The call flow of a menus version, with its speech router built once here rather than at a caller's step."""
    return CallFlow(hotline, Router.from_hotline(hotline) if hotline.speech is not None else None)


def _errors(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems if p.severity == "error")


def _texts_in(folder: Path) -> Mapping[str, str] | None:
    try:
        return read_menus(folder)
    except (OSError, UnicodeDecodeError):  # a file missing or not UTF-8: the check says which
        return None
