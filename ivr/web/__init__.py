"""The Flask service the telephony provider calls: an app factory and its settings."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from flask import Config, Flask
from sqlalchemy.exc import ArgumentError
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.clock import ClockError, parse_moment
from ivr.paths import default_instance_dir, default_menus_dir
from ivr.recordings import DEFAULT_API_URL
from ivr.store.database import Store, prepare_embedded_sqlite
from ivr.store.recorder import Recorder, spool_file
from ivr.web.menus import MenuStore

log = logging.getLogger(__name__)

# Settings read from the environment: TWILIO_AUTH_TOKEN as the provider names it, the rest with IVR_.
SETTINGS = ("MENUS_DIR", "PUBLIC_URL", "CALLER_ID", "FROZEN_TIME", "DATABASE_URL", "DEVELOPMENT", "TRUST_PROXY",
            "FALLBACK_NUMBER", "PROVIDER_API_URL", "SECRET_KEY")
# Staff are logged out after this long without a request.
IDLE_TIMEOUT = timedelta(minutes=30)
# The bureau's main line, for the fallback step that must work without menus or database.
DEFAULT_FALLBACK_NUMBER = "+864333622075"


class ConfigError(RuntimeError):
    """The service cannot start with these settings; the message says what to set."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the hotline's Flask app from test_config, else from the environment."""
    if not logging.getLogger().handlers:  # under gunicorn or uwsgi: make the call log visible
        logging.basicConfig(level=log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, instance_path=str(default_instance_dir().resolve()), instance_relative_config=True)
    app.config.from_mapping(
        TWILIO_AUTH_TOKEN=os.environ.get("TWILIO_AUTH_TOKEN"),
        TWILIO_ACCOUNT_SID=os.environ.get("TWILIO_ACCOUNT_SID"),
        PROVIDER_API_URL=DEFAULT_API_URL,  # the only place recordings are fetched from
        SECRET_KEY=None,
        PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT,
        MENUS_DIR=str(default_menus_dir()),
        PUBLIC_URL=None,
        CALLER_ID=None,
        FROZEN_TIME=None,
        DATABASE_URL=None,
        DEVELOPMENT=False,
        TRUST_PROXY=False,
        FALLBACK_NUMBER=DEFAULT_FALLBACK_NUMBER,
    )
    if test_config is None:
        for key in SETTINGS:
            if f"IVR_{key}" in os.environ:
                app.config[key] = os.environ[f"IVR_{key}"]
    else:
        app.config.update(test_config)
    _check_settings(app)
    if _flag(app.config["TRUST_PROXY"]):
        # Behind one reverse proxy: trust its X-Forwarded-Proto and X-Forwarded-Host for the signed URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["ivr.menus"] = MenuStore(app.config["MENUS_DIR"])
    app.extensions["ivr.recorder"] = _recorder(app)

    from ivr.web import admin, audio, health, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(health.bp)
    admin.init_app(app)
    return app


def _recorder(app: Flask) -> Recorder:
    """Open the call records store; the embedded SQLite default is created and migrated on the spot."""
    url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'ivr.sqlite3'}"
    app.config["DATABASE_URL"] = url
    try:
        store = Store.from_url(url)
    except ArgumentError as exc:
        shown = "…@" + url.split("@")[-1] if "@" in url else url  # never the password, even of a broken URL
        raise ConfigError(f"DATABASE_URL: '{shown}' is not a database URL this service can open "
                          f"({type(exc).__name__}); write it as sqlite:////path/ivr.sqlite3 or "
                          "postgresql+psycopg://user:password@host/ivr.") from exc
    try:
        prepare_embedded_sqlite(store)
    except Exception:  # the service still answers calls; events wait in the spool
        log.exception("Could not prepare the SQLite database at %s; call events will wait in the spool.", url)
    spool = Path(app.config.get("SPOOL_PATH") or spool_file(Path(app.instance_path), url))
    return Recorder(store, spool)


def log_level() -> int:
    """Return the level named in IVR_LOG_LEVEL, or INFO when it is unset or not a level's name."""
    name = os.environ.get("IVR_LOG_LEVEL", "INFO").upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def _check_settings(app: Flask) -> None:
    config = app.config
    config["DEVELOPMENT"] = _flag(config["DEVELOPMENT"])
    if not config["TWILIO_AUTH_TOKEN"]:
        if not config["DEVELOPMENT"]:
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is not set, so the service cannot check that requests come from the provider. "
                "Set it to the account's auth token, or set IVR_DEVELOPMENT=1 on a development machine."
            )
        log.warning("DEVELOPMENT MODE without TWILIO_AUTH_TOKEN: webhook signatures are NOT checked. "
                    "Never expose this service to the internet like this.")
    _check_session_settings(config)
    if config["CALLER_ID"]:
        config["CALLER_ID"] = _e164(config["CALLER_ID"], "CALLER_ID")
    config["FALLBACK_NUMBER"] = _e164(config["FALLBACK_NUMBER"], "FALLBACK_NUMBER")
    if config["FROZEN_TIME"]:
        try:
            parse_moment(str(config["FROZEN_TIME"]))
        except ClockError as exc:
            raise ConfigError(f"FROZEN_TIME: {exc}.") from exc


def _check_session_settings(config: Config) -> None:
    """Sign the staff console's session cookies with SECRET_KEY and keep them off scripts and plain HTTP."""
    if not config["SECRET_KEY"]:
        if not config["DEVELOPMENT"]:
            raise ConfigError(
                "IVR_SECRET_KEY is not set, so the staff console cannot sign its login cookies. Set it to a long "
                "random string (python3 -c 'import secrets; print(secrets.token_hex(32))'), the same on every "
                "server, or set IVR_DEVELOPMENT=1 on a development machine.")
        config["SECRET_KEY"] = secrets.token_hex(32)  # development: logins last until the restart
    config["PROVIDER_API_URL"] = str(config["PROVIDER_API_URL"]).rstrip("/")
    config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                  SESSION_COOKIE_SECURE=not config["DEVELOPMENT"], SESSION_REFRESH_EACH_REQUEST=True)


def _e164(value: str, name: str) -> str:
    try:
        number = phonenumbers.parse(str(value), "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ConfigError(f"{name}: '{value}' is not a valid phone number; write it as +864333622075.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")
