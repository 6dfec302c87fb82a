"""Keeps one server's menus folder in step with the menus versions published in the database.

Every server has a menus folder of its own; the database says which version is the newest. Each look at it
(one indexed query) finds nothing new, or a newer version for the folder to take, or a valid hand edit of the
folder to publish so that the other servers follow it. A hand edit is published as made from the version the
folder was at (noted beside it, ivr.publishing.mark_folder): when a newer one was published meanwhile, the
edit is refused rather than undo it, and its files are set aside in the instance folder. A version that does
not load here (a recording this server lacks) is not written into the folder: the server serves the newest
one it can, says why in /health, and tries the newest again every RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ivr.core.loader import FILES
from ivr.publishing import folder_version, mark_folder
from ivr.store.database import StoreUnavailable
from ivr.store.versions import (
    MenusVersion,
    NewerVersion,
    PublishedVersions,
    VersionHead,
    VersionInfo,
    menus_digest,
)

log = logging.getLogger(__name__)
# How often a newest version this server could not take is checked again (a recording may have been added).
RETRY_SECONDS = 10.0
# When the newest cannot be taken, how many versions between it and the one served are tried, newest first.
OLDER_TRIED = 5
SET_ASIDE = "menus-edits-set-aside"


@dataclass(frozen=True)
class NotTaken:
    """The newest version, which this server could not serve, why (its errors checked here), and when tried."""

    version: VersionInfo
    reason: str
    tried_at: float  # time.monotonic()


class VersionFollower:
    """Decides, for one menus folder, whether to take a published version or publish the folder."""

    def __init__(self, versions: PublishedVersions, menus_dir: Path, instance_dir: Path) -> None:
        self.versions = versions
        self.menus_dir = menus_dir
        self.set_aside_dir = instance_dir / SET_ASIDE
        self.author = f"file edit on {socket.gethostname()}"
        self.seen: VersionHead | None = None  # the newest version seen; None until the database first answers
        self.at: VersionHead | None = None  # the version the folder is at (hand edits are made from it)
        self.not_taken: NotTaken | None = None  # the newest, when this server cannot serve it
        self._set_aside_digest: str | None = None  # the hand edit last set aside, not to be tried again
        self._database_down = False

    def look(self, act: Callable[[VersionHead | None], None]) -> None:
        """Ask the database for the newest version and act on it; say once that the database cannot be reached."""
        try:
            act(self.versions.head())
        except StoreUnavailable as exc:
            if not self._database_down:
                log.error("The database of published menus versions cannot be reached (%s); this server keeps "
                          "serving its current menus and follows the published versions when it answers again.", exc)
            self._database_down = True
            return
        if self._database_down:
            log.info("The database of published menus versions answers again.")
        self._database_down = False

    def next_version(self, head: VersionHead | None, texts: Mapping[str, str] | None,
                     from_folder: bool) -> MenusVersion | None:
        """Publish the texts served when they are a valid edit of the folder; return a version the folder should
        take (the caller checks it here first, then calls taken() or refused()).

        texts are what callers hear now: the folder's (from_folder) or the last good copy's. Only the folder's
        are ever published: a rejected edit or the last good copy never is.
        """
        served = menus_digest(texts) if texts is not None else None
        folder = texts if from_folder else None
        if head is None:
            if folder is not None:
                self._publish(folder, f"the first version, from {self.menus_dir}", None)
            return None
        first_look = self.seen is None
        self.seen = head
        if served is not None and served != (self.at.digest if self.at else None):
            self._find_at(served, first_look)
        if served == head.digest and folder is not None:
            self._now_at(head)
            return None
        if folder is not None and served not in ((self.at.digest if self.at else None), self._set_aside_digest):
            note = f"edited in {self.menus_dir}" + (" while the database was not followed" if first_look else "")
            if self._publish_edit(folder, note):
                return None
        elif self.at is not None and self.at.id == head.id:
            return None  # a broken hand edit of the newest stays a rejected edit until a newer version comes
        waiting = self.not_taken
        if waiting is not None and waiting.version.id == head.id and \
                time.monotonic() - waiting.tried_at < RETRY_SECONDS:
            return None
        # The newest now, not the one that started this look: a folder is never written back to an older version.
        return self.versions.newest()

    def older_versions(self, than: int) -> list[VersionInfo]:
        """Return the versions newer than the folder's and older than `than`, newest first, to try in its stead."""
        after = self.at.id if self.at is not None else 0
        return [v for v in self.versions.newer_than(after, OLDER_TRIED + 1) if v.id < than][:OLDER_TRIED]

    def taken(self, version: MenusVersion) -> None:
        """Note that the folder now holds `version` and callers hear it."""
        self._now_at(VersionHead(version.info.id, version.info.digest))

    def refused(self, version: MenusVersion, reason: str) -> None:
        """Note that `version` does not load here; said in /health when it is the newest."""
        if self.seen is not None and version.info.id != self.seen.id:
            return
        if self.not_taken is None or self.not_taken.version.id != version.info.id:
            log.error("Menus version %d cannot be served from %s, so callers hear the newest version that loads "
                      "here (/health names it); it is tried again every %g s. Fix this here (a recording this server "
                      "lacks, say) or publish a version that loads here:\n%s", version.info.id, self.menus_dir,
                      RETRY_SECONDS, reason)
        self.not_taken = NotTaken(version.info, reason, time.monotonic())

    def served_version(self, texts: Mapping[str, str] | None) -> int | None:
        """Return the number of the published version these texts are, when known."""
        at = self.at
        return at.id if at is not None and texts is not None and menus_digest(texts) == at.digest else None

    def _find_at(self, served: str, first_look: bool) -> None:
        """Learn which version the texts served are: the one noted beside the folder (written by a publish here,
        or by another worker), or, at the first look without a note, the newest version with these texts."""
        noted = folder_version(self.menus_dir)
        if noted is not None and (noted.digest == served or self.at is None):
            self.at = noted
        elif self.at is None and first_look and (number := self.versions.number_of(served)) is not None:
            self.at = VersionHead(number, served)

    def _now_at(self, version: VersionHead) -> None:
        self.at = version
        if self.not_taken is not None and self.seen is not None and version.id >= self.seen.id:
            self.not_taken = None
        try:
            mark_folder(self.menus_dir, version)
        except OSError as exc:  # a read-only place: a hand edit there is then published as made from the newest
            log.debug("Could not note the version of %s (%s).", self.menus_dir, exc)

    def _publish_edit(self, texts: Mapping[str, str], note: str) -> bool:
        """Publish a hand edit as made from the folder's version; when a newer one exists, set the edit aside."""
        base = self.at.id if self.at is not None else None
        try:
            self._publish(texts, note, base)
            return True
        except NewerVersion as refused:
            kept = self._set_aside(texts, base)
            self._set_aside_digest = menus_digest(texts)
            log.error("The hand edit of %s was made on version %s, but %s published version %d at %s; it was not "
                      "published, so that it does not undo that version. Its files are kept in %s: compare them "
                      "with `ivr menus show %d --diff` and make the edit again.", self.menus_dir,
                      base if base is not None else "(unknown)", refused.newest.author, refused.newest.id,
                      f"{refused.newest.published_at:%Y-%m-%d %H:%M:%S}", kept, refused.newest.id)
            return False

    def _set_aside(self, texts: Mapping[str, str], base: int | None) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        folder = self.set_aside_dir / f"{stamp}-edited-on-version-{base if base is not None else 'unknown'}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if name in texts:
                (folder / name).write_text(texts[name], encoding="utf-8")
        return folder

    def _publish(self, texts: Mapping[str, str], note: str, base: int | None) -> None:
        published = self.versions.publish(texts, self.author, note, datetime.now(UTC), base)
        self.seen = VersionHead(published.version.id, published.version.digest)
        self._now_at(self.seen)
        if published.created:
            log.info("Published the menus in %s as version %d, so that every server serves them.", self.menus_dir,
                     published.version.id)
