"""Database URLs as operators write them: shown without passwords, checked for a supported kind, named stably."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DATABASES = ("sqlite", "postgresql")


class NotADatabaseUrl(ValueError):
    """The text cannot be read as a database URL."""


def backend_of(url: str) -> str:
    """Return the kind of database a URL names (sqlite, postgresql, mysql...); raise NotADatabaseUrl."""
    try:
        return make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise NotADatabaseUrl(type(exc).__name__) from exc


def safe_url(url: str) -> str:
    """Show a database URL without its password, even when it cannot be parsed."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = "…@" + url.split("@")[-1] if "@" in url else url
        return f"'{shown}' (not a database URL)"


def database_identity(database_url: str) -> str:
    """Name a database independently of its password and of how a SQLite path is written."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return database_url
    if url.get_backend_name() == "sqlite" and url.database:
        url = url.set(database=str(Path(url.database).resolve()))
    return url._replace(password=None).render_as_string(hide_password=False)
