"""What the command groups share: the settings, the menus folder and its options, moments, the records' store."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click

from ivr.cli.errors import CliError
from ivr.clock import ClockError, now, parse_moment
from ivr.core.loader import load_hotline
from ivr.core.model import Hotline, Unit, UnknownUnit
from ivr.core.problems import MenuError
from ivr.core.wording import Lang as StaffLang
from ivr.settings import STAFF_LANGS, ConfigError, Settings
from ivr.store.database import Store, StoreUnavailable, prepare_embedded_sqlite
from ivr.store.folder import outbox_folder
from ivr.store.urls import safe_url

MENUS_OPTION_HELP = "The menus folder (default: IVR_MENUS_DIR, else the bundled menus/)."
MENUS_OPTION = click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)

# Staff read the menus checks in Chinese or Korean; English is for operators who ask for it.
LANG_OPTION = click.option("--lang", "staff_lang", type=click.Choice(STAFF_LANGS),
                           help="The language of the problems: zh, ko or en (default IVR_STAFF_LANG, else zh).")


def settings() -> Settings:
    """Return the settings from the environment, read once per command; a bad value is one sentence."""
    context = click.get_current_context()
    cached = context.find_root().meta.get("ivr.settings")
    if cached is None:
        try:
            cached = Settings.from_env()
        except ConfigError as exc:
            raise CliError(str(exc)) from exc
        context.find_root().meta["ivr.settings"] = cached
    return cached


def menus_dir_of(value: str | None) -> str:
    """Return the menus folder a command was given, else the configured one (relative to here when inside it)."""
    if value:
        return value
    configured = settings().menus_dir
    try:
        return str(configured.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(configured)


def load_hotline_quietly() -> Hotline | None:
    """Return the bundled (or IVR_MENUS_DIR) hotline when it loads, else None: for hints only."""
    try:
        return load_hotline(menus_dir_of(None))
    except MenuError:
        return None


def load_or_exit(menus_dir: str | None) -> Hotline:
    """Load the menus for a command, or fail with every problem of them."""
    try:
        return load_hotline(menus_dir_of(menus_dir))
    except MenuError as exc:
        raise CliError(problems=[str(problem) for problem in exc.problems]) from exc


def resolve_unit(hotline: Hotline, given: str, param_hint: str) -> Unit:
    """Return the unit a command was given by id or name, or stop with a usage error saying what was meant."""
    try:
        return hotline.resolve_unit(given)
    except UnknownUnit as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from exc


class MomentType(click.ParamType):  # type: ignore[type-arg]
    """A click parameter for ISO-8601 moments, read as Asia/Shanghai time when no offset is given."""

    name = "ISO-8601"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_moment(str(value))
        except ClockError as exc:
            self.fail(str(exc), param, ctx)


MOMENT = MomentType()


def moment_or_now(at: datetime | None) -> datetime:
    """Return the moment a command was given, else now (IVR_FROZEN_TIME when set)."""
    return at or now(settings().frozen_time)


def staff_language(given: str | None) -> StaffLang:
    """Return the language a command speaks to staff in: --lang, else IVR_STAFF_LANG."""
    return next((lang for lang in STAFF_LANGS if lang == given), settings().staff_lang)


def count(n: int, noun: str) -> str:
    """Return "1 unit", "2 units": a number with its English noun."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


# Call records ----------------------------------------------------------------------------------------------


def open_store() -> Store:
    """Open the store the running service writes to (IVR_DATABASE_URL, else the instance folder's SQLite)."""
    store = Store.from_url(settings().database_url)
    prepare_embedded_sqlite(store)
    return store


def outbox_of(config: Settings) -> Path:
    """Return the folder where the service's call events wait for the database (IVR_OUTBOX_DIR, else the
    instance folder's one for IVR_DATABASE_URL)."""
    return config.outbox_dir or outbox_folder(config.instance_dir, config.database_url)


Command = TypeVar("Command", bound=Callable[..., None])


def explain_database_failure(sentence: str) -> Callable[[Command], Command]:
    """Return a decorator that turns a database failure in a command into `sentence` ({url} and {reason} filled)."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: object, **kwargs: object) -> None:
            try:
                command(*args, **kwargs)
            except StoreUnavailable as exc:
                raise CliError(sentence.format(url=safe_url(settings().database_url), reason=exc)) from exc

        return run  # type: ignore[return-value]

    return decorate


# A database failure in a records command, said in one sentence that says what to check.
database_errors = explain_database_failure(
    "The call records database {url} cannot be used ({reason}). Check IVR_DATABASE_URL and that the database server "
    "runs; `ivr db upgrade` creates the tables.")
