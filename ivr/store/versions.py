"""Published menus versions in the database: every version's six YAML texts, who published it, when and why.

The database is what several app servers share, so it says which menus are the newest; each server writes
them into its own menus folder (ivr.web.menus). Recordings are not kept here: they stay in each server's
audio folder.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ivr.core.loader import FILES
from ivr.store.database import Store, local, translate_errors
from ivr.store.tables import menu_versions

# The column holding each file's text: hotline.yaml in hotline_yaml.
COLUMNS = {name: name.replace(".", "_") for name in FILES}
AUTHOR_LENGTH = 128
NOTE_LENGTH = 300
_INFO = (menu_versions.c.id, menu_versions.c.published_at, menu_versions.c.author, menu_versions.c.note,
         menu_versions.c.digest)


@dataclass(frozen=True)
class VersionHead:
    """The newest version's number and digest: all a server needs to tell whether it is behind."""

    id: int
    digest: str


@dataclass(frozen=True)
class VersionInfo:
    """One published version as history lists it."""

    id: int
    published_at: datetime
    author: str
    note: str
    digest: str


@dataclass(frozen=True)
class MenusVersion:
    """One published version with the texts of its six files."""

    info: VersionInfo
    files: Mapping[str, str]


class NewerVersion(Exception):
    """A publish made from an older version than the newest: refused, so that it never undoes the newer one."""

    def __init__(self, newest: VersionInfo, base: int | None) -> None:
        super().__init__(f"Version {newest.id} ({newest.author}, {newest.published_at:%Y-%m-%d %H:%M}) was "
                         f"published after version {base}, which this change was made from; nothing was published.")
        self.newest = newest
        self.base = base


@dataclass(frozen=True)
class Published:
    """What a publish stored: the version, and whether it is new (False: the newest already had these texts)."""

    version: VersionInfo
    created: bool


def menus_digest(files: Mapping[str, str]) -> str:
    """Return the digest of the six files' texts, the same wherever and whenever they are read."""
    hasher = hashlib.sha256()
    for name in FILES:
        hasher.update(name.encode() + b"\0" + hashlib.sha256(files[name].encode("utf-8")).digest())
    return hasher.hexdigest()


def unified_diff(older: Mapping[str, str] | None, newer: Mapping[str, str], older_label: str,
                 newer_label: str) -> str:
    """Return the unified diff of every file that changed between two versions (all of newer when older is None)."""
    lines: list[str] = []
    for name in FILES:
        before = older[name] if older is not None else ""
        changed = difflib.unified_diff(before.splitlines(keepends=True), newer[name].splitlines(keepends=True),
                                       f"{older_label}/{name}", f"{newer_label}/{name}")
        # A last line without its newline would run into the next file's header.
        lines.extend(line if line.endswith("\n") else line + "\n" for line in changed)
    return "".join(lines)


class PublishedVersions:
    """Stores published menus versions and reads them back; every method raises only StoreUnavailable (and a
    publish NewerVersion)."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    @translate_errors
    def head(self) -> VersionHead | None:
        """Return the newest version's number and digest (one indexed query), or None before the first."""
        with self.engine.connect() as connection:
            row = _newest(connection)
        return VersionHead(row.id, row.digest) if row is not None else None

    @translate_errors
    def publish(self, files: Mapping[str, str], author: str, note: str, at: datetime, base: int | None) -> Published:
        """Store texts of all six files as the newest version, unless the newest already has exactly these.

        base is the version the texts were made from (None: from no version). Raise NewerVersion when the newest
        is another one: the check and the insert are one transaction under the publishing lock, so of two
        publishes from the same base, on one server or many, exactly one is stored.
        """
        digest = menus_digest(files)
        with self.engine.begin() as connection:
            _hold_the_publishing_lock(connection)
            newest = _newest(connection)
            if newest is not None and newest.digest == digest:
                return Published(_info(connection.execute(select(*_INFO).where(
                    menu_versions.c.id == newest.id)).one()), created=False)
            if newest is not None and newest.id != base:  # with no version at all, nothing can be undone
                raise NewerVersion(_info(connection.execute(select(*_INFO).where(
                    menu_versions.c.id == newest.id)).one()), base)
            values: dict[str, Any] = {"published_at": local(at), "author": _one_line(author, AUTHOR_LENGTH),
                      "note": _one_line(note, NOTE_LENGTH), "digest": digest,
                      **{COLUMNS[name]: files[name] for name in FILES}}
            result = connection.execute(menu_versions.insert().values(values))
            number = result.inserted_primary_key[0]  # type: ignore[index]
            return Published(VersionInfo(int(number), local(at), values["author"], values["note"], digest), True)

    @translate_errors
    def check_base(self, base: int | None) -> None:
        """Raise NewerVersion when the newest version is not `base` (read without the lock: publish() checks again)."""
        with self.engine.connect() as connection:
            newest = _newest(connection)
            if newest is not None and newest.id != base:
                raise NewerVersion(_info(connection.execute(select(*_INFO).where(
                    menu_versions.c.id == newest.id)).one()), base)

    @translate_errors
    def get(self, number: int) -> MenusVersion | None:
        """Return version `number` with its texts, or None when there is no such version."""
        with self.engine.connect() as connection:
            row = connection.execute(select(menu_versions).where(menu_versions.c.id == number)).first()
        return _version(row) if row is not None else None

    @translate_errors
    def newest(self) -> MenusVersion | None:
        """Return the newest version with its texts, or None before the first."""
        with self.engine.connect() as connection:
            row = connection.execute(select(menu_versions).order_by(menu_versions.c.id.desc()).limit(1)).first()
        return _version(row) if row is not None else None

    @translate_errors
    def history(self) -> list[VersionInfo]:
        """Return the published versions, newest first, without their texts."""
        with self.engine.connect() as connection:
            return [_info(row) for row in connection.execute(select(*_INFO).order_by(menu_versions.c.id.desc()))]

    @translate_errors
    def knows(self, digest: str) -> bool:
        """Tell whether any version ever published had exactly these texts (a folder merely behind, not edited)."""
        with self.engine.connect() as connection:
            found = connection.execute(select(menu_versions.c.id).where(menu_versions.c.digest == digest).limit(1))
            return found.first() is not None

    @translate_errors
    def number_of(self, digest: str) -> int | None:
        """Return the newest version that has exactly these texts, or None."""
        with self.engine.connect() as connection:
            found = connection.execute(select(menu_versions.c.id).where(menu_versions.c.digest == digest)
                                       .order_by(menu_versions.c.id.desc()).limit(1)).first()
        return int(found.id) if found is not None else None

    @translate_errors
    def newer_than(self, number: int, limit: int) -> list[VersionInfo]:
        """Return the versions after `number`, newest first, at most `limit` of them, without their texts."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(*_INFO).where(menu_versions.c.id > number)
                                      .order_by(menu_versions.c.id.desc()).limit(limit))
            return [_info(row) for row in rows]

    @translate_errors
    def diff_between(self, older: int, newer: int) -> str | None:
        """Return the unified diff from version `older` to version `newer`; None when either does not exist."""
        before, after = self.get(older), self.get(newer)
        if before is None or after is None:
            return None
        return unified_diff(before.files, after.files, f"version {older}", f"version {newer}")

    @translate_errors
    def diff(self, number: int) -> str | None:
        """Return the unified diff of version `number` against the one before it; None when there is no such version."""
        with self.engine.connect() as connection:
            row = connection.execute(select(menu_versions).where(menu_versions.c.id == number)).first()
            if row is None:
                return None
            before = connection.execute(select(menu_versions).where(menu_versions.c.id < number)
                                        .order_by(menu_versions.c.id.desc()).limit(1)).first()
        older = _version(before) if before is not None else None
        return unified_diff(older.files if older else None, _version(row).files,
                            f"version {older.info.id}" if older else "nothing", f"version {number}")


def _one_line(text: str, length: int) -> str:
    """Return text on one line (line breaks and control characters made spaces), cut to length."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:length]


def _hold_the_publishing_lock(connection: Connection) -> None:
    """Keep other publishers out until this transaction ends, so that two never both find the same newest."""
    if connection.dialect.name == "sqlite":
        # pysqlite begins a transaction only at the first write, after the newest was read; take the write lock now.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:  # PostgreSQL: readers of the versions go on, other publishers wait
        connection.exec_driver_sql("LOCK TABLE menu_versions IN EXCLUSIVE MODE")


def _newest(connection: Connection) -> Any:
    query = select(menu_versions.c.id, menu_versions.c.digest).order_by(menu_versions.c.id.desc()).limit(1)
    return connection.execute(query).first()


def _info(row: Any) -> VersionInfo:
    return VersionInfo(row.id, local(row.published_at), row.author, row.note, row.digest)


def _version(row: Any) -> MenusVersion:
    files = MappingProxyType({name: getattr(row, COLUMNS[name]) for name in FILES})
    return MenusVersion(_info(row), files)
