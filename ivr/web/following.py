"""Keeps one server's menus folder in step with the menus versions published in the database.

Every server has a menus folder of its own; the database says which version is the newest. Each look at it
(one indexed query) finds nothing new, or a newer version for the folder to take, or a valid hand edit of the
folder to publish so that the other servers follow it. A version written into the folder is never published
again: the folder's digest then is the version's.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ivr.store.database import StoreUnavailable
from ivr.store.versions import MenusVersion, PublishedVersions, VersionHead, menus_digest

log = logging.getLogger(__name__)


class VersionFollower:
    """Decides, for one menus folder, whether to take the newest published version or publish the folder."""

    def __init__(self, versions: PublishedVersions, menus_dir: Path) -> None:
        self.versions = versions
        self.menus_dir = menus_dir
        self.author = f"file edit on {socket.gethostname()}"
        self.seen: VersionHead | None = None  # the newest version seen; None until the database first answers
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
        """Publish the texts served when they are a valid edit of the folder; return a version the folder must take.

        texts are what callers hear now: the folder's (from_folder) or the last good copy's. Only the folder's
        are ever published: a rejected edit or the last good copy never is.
        """
        served = menus_digest(texts) if texts is not None else None
        folder = texts if from_folder else None
        if head is None:
            if folder is not None:
                self._publish(folder, f"the first version, from {self.menus_dir}")
            return None
        if self.seen is None:  # the first answer since start: is this folder behind, or edited meanwhile?
            if served == head.digest:
                self.seen = head  # nothing newer to take; a broken folder stays a rejected edit
                return None
            if folder is not None and served is not None and not self.versions.knows(served):
                self._publish(folder, f"edited in {self.menus_dir} while the database was not followed")
                return None
            return self._newest(head, served)
        if head.id != self.seen.id:
            return self._newest(head, served)
        if folder is not None and served != head.digest:
            self._publish(folder, f"edited in {self.menus_dir}")
        return None

    def served_version(self, texts: Mapping[str, str] | None) -> int | None:
        """Return the number of the published version these texts are, when they are the newest seen."""
        seen = self.seen
        return seen.id if seen is not None and texts is not None and menus_digest(texts) == seen.digest else None

    def _newest(self, head: VersionHead, served: str | None) -> MenusVersion | None:
        if served == head.digest:  # another worker of this server wrote it already, or it was published from here
            self.seen = head
            return None
        # The newest now, not the one that started this look: a folder is never written back to an older version.
        version = self.versions.newest()
        if version is None:
            return None
        self.seen = VersionHead(version.info.id, version.info.digest)  # taken or refused here, it is not tried again
        return version if version.info.digest != served else None

    def _publish(self, texts: Mapping[str, str], note: str) -> None:
        published = self.versions.publish(texts, self.author, note, datetime.now(UTC))
        self.seen = VersionHead(published.version.id, published.version.digest)
        if published.created:
            log.info("Published the menus in %s as version %d, so that every server serves them.", self.menus_dir,
                     published.version.id)
