"""Menu drafts in the database: a checked edit's candidate texts, kept for its author until published or discarded.

A draft lives in the database rather than in a signed form field, so that "try a call" and Back never lose it,
a restart keeps it, and any server sharing the database can show and publish it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import delete, select

from ivr.core.loader import FILES
from ivr.store.database import Store, local, translate_errors
from ivr.store.tables import menu_drafts

SUMMARY_LENGTH = 300


@dataclass(frozen=True)
class StoredDraft:
    """One kept draft: whose, when, its summary in words, the changed files' texts, the digests of the texts
    they were made from, and the published version they were made from (None: unknown)."""

    id: int
    author: str
    created_at: datetime
    summary: str
    texts: Mapping[str, str]
    based_on: Mapping[str, str]
    base: int | None


class Drafts:
    """Keeps drafts and reads them back; every method raises only StoreUnavailable."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    @translate_errors
    def keep(self, author: str, at: datetime, summary: str, texts: Mapping[str, str],
             based_on: Mapping[str, str], base: int | None) -> int:
        """Keep a draft for `author`; return its number."""
        unknown = sorted(set(texts) - set(FILES))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a menus file")
        body = json.dumps({"texts": dict(texts), "based_on": dict(based_on), "base": base}, ensure_ascii=False)
        with self.engine.begin() as connection:
            result = connection.execute(menu_drafts.insert().values(
                author=author, created_at=local(at), summary=" ".join(summary.split())[:SUMMARY_LENGTH], body=body))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    @translate_errors
    def get(self, number: int) -> StoredDraft | None:
        """Return draft `number`, or None when it was published, discarded or never made."""
        with self.engine.connect() as connection:
            row = connection.execute(select(menu_drafts).where(menu_drafts.c.id == number)).first()
        if row is None:
            return None
        body = json.loads(row.body)
        base = body.get("base")
        return StoredDraft(int(row.id), row.author, local(row.created_at), row.summary,
                           MappingProxyType(dict(body["texts"])), MappingProxyType(dict(body["based_on"])),
                           base if isinstance(base, int) else None)

    @translate_errors
    def of(self, author: str) -> list[StoredDraft]:
        """Return an author's drafts, newest first."""
        with self.engine.connect() as connection:
            numbers = [int(row.id) for row in connection.execute(
                select(menu_drafts.c.id).where(menu_drafts.c.author == author).order_by(menu_drafts.c.id.desc()))]
        return [draft for draft in (self.get(n) for n in numbers) if draft is not None]

    @translate_errors
    def drop(self, number: int) -> bool:
        """Forget a draft (published or discarded); return False when it was already gone."""
        with self.engine.begin() as connection:
            return bool(connection.execute(delete(menu_drafts).where(menu_drafts.c.id == number)).rowcount)
