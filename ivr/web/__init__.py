"""The Flask service the telephony provider calls: an app factory and its settings."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import logs
from ivr.clock import now
from ivr.settings import NAMES, ConfigError, Settings
from ivr.store.database import Store, prepare_embedded_sqlite
from ivr.store.folder import outbox_folder
from ivr.store.recorder import Recorder
from ivr.store.retention import Retention
from ivr.store.versions import PublishedVersions
from ivr.web.menus import MenuStore

__all__ = ["ConfigError", "create_app", "settings"]
log = logging.getLogger(__name__)
# Settings a test's mapping may give that are not Flask's own.
PROVIDER_NAMES = ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID")
# Staff are logged out of the console after this long without a request.
IDLE_TIMEOUT = timedelta(minutes=30)


def create_app(test_config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Create the hotline's Flask app from settings, a test's mapping, else the environment."""
    if isinstance(test_config, Settings):
        config = test_config
    else:
        config = Settings.from_env() if test_config is None else Settings.from_mapping(test_config)
    if not logging.getLogger().handlers:  # under a WSGI server that set up no logging: make the call log visible
        logs.configure(config.log_level)
    _check_token(config)
    app = Flask(__name__, instance_path=str(config.instance_dir))
    _session_settings(app, config)
    if isinstance(test_config, Mapping):  # Flask's own keys a test sets (TESTING, ...)
        app.config.update({k: v for k, v in test_config.items() if k not in NAMES and k not in PROVIDER_NAMES})
    app.extensions["ivr.settings"] = config
    if config.trust_proxy:
        # Behind one reverse proxy: trust its X-Forwarded-Proto and X-Forwarded-Host for the signed URL, and its
        # X-Forwarded-For for the address that logins are counted and locked by (else every one is the proxy's).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    store = _store(config)
    versions = PublishedVersions(store) if config.menus_versions else None
    app.extensions["ivr.menus"] = MenuStore(config.menus_dir, config.instance_dir, versions)
    app.extensions["ivr.recorder"] = Recorder(store, config.outbox_dir or outbox_folder(config.instance_dir,
                                                                                         config.database_url))
    _keep_records_for_their_days(app.extensions["ivr.recorder"], config)

    from ivr.web import admin, audio, health, metrics, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(health.bp)
    metrics.init_app(app, config)
    admin.init_app(app)
    return app


def settings() -> Settings:
    """Return the settings of the app handling the current request."""
    config: Settings = current_app.extensions["ivr.settings"]
    return config


def _store(config: Settings) -> Store:
    """Open the store of call records and menus versions; the embedded SQLite default is created and migrated."""
    store = Store.from_url(config.database_url)
    try:
        prepare_embedded_sqlite(store)
    except Exception:  # the service still answers calls; events wait in the outbox, menus come from the folder
        log.exception("Could not prepare the SQLite database at %s; call events will wait in the outbox.",
                      config.database_url)
    return store


def _keep_records_for_their_days(recorder: Recorder, config: Settings) -> None:
    """Let the workers' own writer threads purge old records when no `ivr db writer` process does (another WSGI
    server). Only on the real clock: an app with a frozen moment is a preview, a demo or a test, and a moment in
    the future would remove records that are not old at all."""
    if config.frozen_time is None:
        recorder.chore = Retention(recorder.store, config.keep_days, functools.partial(now, None), recorder.folder,
                                   recordings=config.instance_dir / "recordings").tick


def _check_token(config: Settings) -> None:
    if config.auth_token:
        return
    if not config.development:
        raise ConfigError(
            "TWILIO_AUTH_TOKEN is not set, so the service cannot check that requests come from the provider. "
            "Set it to the account's auth token, or set IVR_DEVELOPMENT=1 on a development machine."
        )
    log.warning("DEVELOPMENT MODE without TWILIO_AUTH_TOKEN: webhook signatures are NOT checked. "
                "Never expose this service to the internet like this.")


def _session_settings(app: Flask, config: Settings) -> None:
    """Sign the staff console's session cookies with SECRET_KEY and keep them off scripts and plain HTTP."""
    if not config.secret_key and not config.development:
        raise ConfigError(
            "IVR_SECRET_KEY is not set, so the staff console cannot sign its login cookies. Set it to a long "
            "random string (python3 -c 'import secrets; print(secrets.token_hex(32))'), the same on every "
            "server, or set IVR_DEVELOPMENT=1 on a development machine.")
    # In development without a key, a random one: logins last until the restart.
    app.config.update(SECRET_KEY=config.secret_key or secrets.token_hex(32), PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=not config.development, SESSION_REFRESH_EACH_REQUEST=True)
    app.session_interface = _ConsoleSessions()


class _ConsoleSessions(SecureCookieSessionInterface):
    """Sessions for the staff console only: the provider's webhooks carry none, so they skip the cookie work."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Open the session of a console request; other requests get Flask's null session."""
        if not request.path.startswith("/admin"):
            return None
        return super().open_session(app, request)
