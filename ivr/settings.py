"""The service's settings: built once from the environment (or a test's mapping), checked, then frozen.

Nothing else in the project reads os.environ: the app, the CLI and `ivr serve` all take a Settings.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers

from ivr.clock import ClockError, parse_moment
from ivr.core.wording import LANGUAGES, Lang
from ivr.paths import bundled_menus_dir, default_instance_dir
from ivr.store.urls import SUPPORTED_DATABASES, NotADatabaseUrl, backend_of, safe_url

# The bureau's main line, for the fallback step that must work without menus or database.
DEFAULT_FALLBACK_NUMBER = "+864333622075"
DEFAULT_PROVIDER_API_URL = "https://api.twilio.com"
# How long call records (with the caller's number, personal information) are kept: a year unless set.
DEFAULT_KEEP_DAYS = 365
MAX_KEEP_DAYS = 36_500  # a century: beyond it a date arithmetic overflow, not a policy
# Environment variables as the provider (or prometheus-client, for its multiprocess folder) names them; every
# other setting is IVR_<NAME>.
PROVIDER_VARIABLES = {"AUTH_TOKEN": "TWILIO_AUTH_TOKEN", "ACCOUNT_SID": "TWILIO_ACCOUNT_SID",
                      "METRICS_DIR": "PROMETHEUS_MULTIPROC_DIR"}
NAMES = ("AUTH_TOKEN", "ACCOUNT_SID", "MENUS_DIR", "INSTANCE_DIR", "DATABASE_URL", "PUBLIC_URL", "CALLER_ID",
         "FROZEN_TIME", "DEVELOPMENT", "TRUST_PROXY", "FALLBACK_NUMBER", "LOG_LEVEL", "OUTBOX_DIR",
         "PROVIDER_API_URL", "SECRET_KEY", "MENUS_VERSIONS", "KEEP_DAYS", "MASK_NUMBERS", "HEALTH_TOKEN", "STAFF_LANG",
         "METRICS_TOKEN", "METRICS_DIR")
# The languages staff read the menus checks in (ivr.core.wording); English is for operators who ask.
STAFF_LANGS = LANGUAGES


class ConfigError(RuntimeError):
    """The service cannot start with these settings; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    """Everything the service, the CLI and the server command are configured with."""

    auth_token: str | None
    account_sid: str | None
    menus_dir: Path
    instance_dir: Path
    database_url: str
    public_url: str | None
    caller_id: str | None
    frozen_time: datetime | None
    development: bool
    trust_proxy: bool
    fallback_number: str
    log_level: int
    outbox_dir: Path | None  # None: the instance folder's, one per database
    provider_api_url: str
    secret_key: str | None
    menus_versions: bool = True  # follow and publish the database's menus versions (off for a preview call)
    keep_days: int = DEFAULT_KEEP_DAYS  # calls, steps and messages called back are removed after this many days
    mask_numbers: bool = False  # exports (voice-message lists) show caller numbers masked by default
    health_token: str | None = None  # who may read /health/details; None: requests from this machine only
    staff_lang: Lang = "zh"  # the language of `ivr validate` and `ivr menus publish` unless --lang says
    metrics_token: str | None = None  # who may read /metrics; None: requests from this machine only
    # prometheus-client's multiprocess folder (PROMETHEUS_MULTIPROC_DIR, which `ivr serve` sets): every process
    # counts into its files and /metrics sums them; None: each process (each app) counts on its own.
    metrics_dir: Path | None = None
    metrics: bool = True  # count this app's calls for /metrics (off for a preview call, which is no real call)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID and the IVR_* variables."""
        source = os.environ if environ is None else environ
        values = {name: source[PROVIDER_VARIABLES.get(name, f"IVR_{name}")] for name in NAMES
                  if PROVIDER_VARIABLES.get(name, f"IVR_{name}") in source}
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Build settings from names without the IVR_ prefix (TWILIO_AUTH_TOKEN is also accepted as is)."""
        given = {name: values[name] for name in NAMES if values.get(name) not in (None, "")}
        for name, variable in PROVIDER_VARIABLES.items():
            if values.get(variable):
                given[name] = values[variable]
        instance = Path(given.get("INSTANCE_DIR") or default_instance_dir()).resolve()
        return cls(
            auth_token=_text(given.get("AUTH_TOKEN")),
            account_sid=_text(given.get("ACCOUNT_SID")),
            menus_dir=Path(given.get("MENUS_DIR") or bundled_menus_dir()),
            instance_dir=instance,
            database_url=_database_url(given.get("DATABASE_URL") or f"sqlite:///{instance / 'ivr.sqlite3'}"),
            public_url=_text(given.get("PUBLIC_URL")),
            caller_id=_e164(given["CALLER_ID"], "CALLER_ID") if "CALLER_ID" in given else None,
            frozen_time=_moment(given.get("FROZEN_TIME")),
            development=flag(given.get("DEVELOPMENT")),
            trust_proxy=flag(given.get("TRUST_PROXY")),
            fallback_number=_e164(given.get("FALLBACK_NUMBER") or DEFAULT_FALLBACK_NUMBER, "FALLBACK_NUMBER"),
            log_level=_level(given.get("LOG_LEVEL")),
            outbox_dir=Path(given["OUTBOX_DIR"]) if "OUTBOX_DIR" in given else None,
            provider_api_url=str(given.get("PROVIDER_API_URL") or DEFAULT_PROVIDER_API_URL).rstrip("/"),
            secret_key=_text(given.get("SECRET_KEY")),
            menus_versions=flag(given.get("MENUS_VERSIONS", "1")),
            keep_days=_keep_days(given.get("KEEP_DAYS", DEFAULT_KEEP_DAYS)),
            mask_numbers=flag(given.get("MASK_NUMBERS")),
            health_token=_text(given.get("HEALTH_TOKEN")),
            staff_lang=_staff_lang(given.get("STAFF_LANG")),
            metrics_token=_text(given.get("METRICS_TOKEN")),
            metrics_dir=Path(given["METRICS_DIR"]) if "METRICS_DIR" in given else None,
        )

    def but(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed (a preview call's scratch database, say)."""
        return replace(self, **changes)

    def for_preview(self, at: datetime, menus_dir: Path, scratch: Path) -> Settings:
        """Return the settings of a preview call at a moment: its own keys, instance folder and database.

        A preview never becomes the records nor the last good menus, and it neither follows nor publishes
        menus versions: the menus previewed are the folder's as they are.
        """
        return self.but(auth_token=secrets.token_hex(16), secret_key=secrets.token_hex(16), frozen_time=at,
                        menus_dir=menus_dir, instance_dir=scratch,
                        database_url=f"sqlite:///{scratch / 'preview.sqlite3'}", outbox_dir=None,
                        development=False, public_url=None, trust_proxy=False, menus_versions=False,
                        metrics=False)


def flag(value: object) -> bool:
    """Read a yes/no setting: 1, true, yes and on are yes."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _database_url(url: str) -> str:
    try:
        backend = backend_of(url)
    except NotADatabaseUrl as exc:
        raise ConfigError(f"DATABASE_URL: {safe_url(url)} is not a database URL this service can open "
                          f"({exc}); write it as sqlite:////path/ivr.sqlite3 or "
                          "postgresql+psycopg://user:password@host/ivr.") from exc
    if backend not in SUPPORTED_DATABASES:
        raise ConfigError(f"DATABASE_URL: {safe_url(url)} names a '{backend}' database; the call records are kept "
                          "in SQLite or PostgreSQL only: write sqlite:////path/ivr.sqlite3 or "
                          "postgresql+psycopg://user:password@host/ivr.")
    return url


def _keep_days(value: object) -> int:
    """Read IVR_KEEP_DAYS: a whole number of days, 1 or more (0 would remove every call as it is written)."""
    try:
        days = int(str(value).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_KEEP_DAYS:
        raise ConfigError(f"KEEP_DAYS: '{value}' is not a number of days to keep the call records; write a whole "
                          f"number of days from 1 to {MAX_KEEP_DAYS} (e.g. IVR_KEEP_DAYS=365, the default), or "
                          "leave it unset.")
    return days


def _e164(value: object, name: str) -> str:
    try:
        number = phonenumbers.parse(str(value), "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ConfigError(f"{name}: '{value}' is not a valid phone number; write it as +864333622075.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _moment(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return parse_moment(str(value))
    except ClockError as exc:
        raise ConfigError(f"FROZEN_TIME: {exc}.") from exc


def _staff_lang(value: object) -> Lang:
    text = str(value or "zh").strip().lower()
    for lang in STAFF_LANGS:
        if text == lang:
            return lang
    raise ConfigError(f"STAFF_LANG: '{value}' is not a language the checks are written in; write zh, ko or en.")


def _level(value: object) -> int:
    """Return the named log level, or INFO when it is unset or not a level's name."""
    level = logging.getLevelName(str(value or "INFO").upper())
    return level if isinstance(level, int) else logging.INFO


def export_metrics_folder(folder: Path) -> None:
    """Name prometheus-client's multiprocess folder in the environment, where that library reads it (in this
    process and in every process started from it); the one place the service writes the environment."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
