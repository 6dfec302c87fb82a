"""`ivr serve` runs the webhook service; `ivr fallback-twiml` prints what the provider plays when it cannot."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr import logs
from ivr.cli.common import MENUS_OPTION, settings
from ivr.cli.errors import CliError
from ivr.core.problems import MenuError
from ivr.server import THREADS
from ivr.settings import ConfigError, Settings

if TYPE_CHECKING:
    from flask import Flask


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (about one per core).")
@click.option("--threads", default=THREADS, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker, each serving one whole request at a time (slow clients hold none).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (one process; for a "
              "laptop). Not the same as development mode, which is about signatures and keys (IVR_DEVELOPMENT).")
@MENUS_OPTION
def serve(host: str, port: int, workers: int, threads: int, dev: bool, menus_dir: str | None) -> None:
    """Run the webhook service: gunicorn with the project's settings, or --dev for the development server."""
    from ivr.server import ProductionServer, start_records_writer
    from ivr.web import create_app

    config = _serving_settings(menus_dir, dev)
    # Once here, before any worker: the menus are checked (or their last good copy taken) and SQLite migrated.
    app = _app_or_fail(config)
    _say_urls(config, host, port)
    if dev:
        app.run(host=host, port=port, threaded=True)
        return
    start_records_writer()  # the workers answer callers; that process writes their records
    ProductionServer(functools.partial(create_app, config), f"{host}:{port}", workers, threads,
                     after_fork=functools.partial(logs.configure, config.log_level),
                     metrics_dir=config.metrics_dir).run()


def _serving_settings(menus_dir: str | None, dev: bool) -> Settings:
    """Return the settings the service runs with, warning when it runs without signature checks."""
    from ivr.server import metrics_folder

    config = settings()
    logs.configure(config.log_level)
    if menus_dir:
        config = config.but(menus_dir=Path(menus_dir))
    if not config.auth_token:
        config = config.but(development=True)
        click.secho("WARNING: TWILIO_AUTH_TOKEN is not set; running in DEVELOPMENT MODE (IVR_DEVELOPMENT: no "
                    "signature checks, a console key made at start) on the production server. Do not expose this "
                    "service to the internet.", fg="red", bold=True, err=True)
    if config.development and not config.secret_key:
        import secrets

        config = config.but(secret_key=secrets.token_hex(32))  # one key for every worker: a login holds across them
    if not dev:  # every worker counts into one folder, and /metrics sums it, whichever worker answers
        config = config.but(metrics_dir=metrics_folder(config.instance_dir, config.metrics_dir))
    return config


def _app_or_fail(config: Settings) -> Flask:
    """Return the service's app, or fail saying why there is nothing to serve."""
    from ivr.web import create_app

    try:
        return create_app(config)
    except ConfigError as exc:
        raise CliError(str(exc)) from exc
    except MenuError as exc:
        raise CliError(f"The menus in {config.menus_dir} are not valid and no good version of them has ever been "
                       "saved, so there is nothing to serve; fix the errors above (`ivr validate` shows them) and "
                       "start again.", problems=[str(problem) for problem in exc.problems]) from exc


def _say_urls(config: Settings, host: str, port: int) -> None:
    """Print the URLs to give the provider, and where the staff console is."""
    public = (config.public_url or f"http://{host}:{port}").rstrip("/")
    click.echo("Give the provider these URLs (POST):")
    click.echo(f"  Voice URL:           {public}/voice")
    click.echo(f"  Fallback URL:        {public}/voice/fallback (or a TwiML bin holding `ivr fallback-twiml`)")
    click.echo(f"  Status callback URL: {public}/voice/status")
    # The staff console, and how to make its first login with this very command (often .venv/bin/ivr).
    command = sys.argv[0] if Path(sys.argv[0]).name == "ivr" else "ivr"
    click.echo(f"Staff console: {public}/admin/ (the first login: {command} staff add NAME --role admin)")


@click.command("fallback-twiml")
def fallback_twiml_command() -> None:
    """Print the fallback TwiML (apology in both languages, then the main line) for a provider-hosted TwiML bin."""
    from ivr.web.voice import fallback_twiml

    click.echo(fallback_twiml(settings().fallback_number))


COMMANDS: tuple[click.Command, ...] = (serve, fallback_twiml_command)
