"""The `ivr` command: validate and explore the menus, check office hours, run and call the hotline."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from ivr import logs
from ivr.clock import ClockError, now, parse_moment
from ivr.core.calendar import coverage_warnings
from ivr.core.decision import DIAL_STATUSES
from ivr.core.loader import check_hotline, load_hotline
from ivr.core.model import LANGS, Hotline, Lang, Menu, Unit, UnknownUnit
from ivr.core.problems import MenuError
from ivr.core.schedule import OfficeHours, Status
from ivr.core.speech import say_hours, say_moment
from ivr.core.wording import Lang as StaffLang
from ivr.core.wording import sentence
from ivr.publishing import PublishResult, UnknownVersion, folder_version, publish, read_menus, restore
from ivr.redact import mask_number
from ivr.server import THREADS
from ivr.settings import STAFF_LANGS, ConfigError, Settings
from ivr.simulator import DEFAULT_CALLER, CallOutcome, Ending, KeySource, Line, Said
from ivr.store.database import Store, StoreUnavailable, Voicemail, prepare_embedded_sqlite, upgrade_schema
from ivr.store.recorder import outbox_folder
from ivr.store.staff import ROLES
from ivr.store.urls import safe_url
from ivr.store.versions import NewerVersion, PublishedVersions, VersionInfo, menus_digest

if TYPE_CHECKING:
    from flask import Flask

    from ivr.core.router import Routing

MENUS_OPTION_HELP = "The menus folder (default: IVR_MENUS_DIR, else the bundled menus/)."


def settings() -> Settings:
    """Return the settings from the environment, read once per command; a bad value is one sentence."""
    context = click.get_current_context()
    cached = context.find_root().meta.get("ivr.settings")
    if cached is None:
        try:
            cached = Settings.from_env()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        context.find_root().meta["ivr.settings"] = cached
    return cached


def _menus_dir(value: str | None) -> str:
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
        return load_hotline(_menus_dir(None))
    except MenuError:
        return None


def _resolve_unit(hotline: Hotline, given: str, param_hint: str) -> Unit:
    """Return the unit a command was given by id or name, or stop with a usage error saying what was meant."""
    try:
        return hotline.resolve_unit(given)
    except UnknownUnit as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from exc


def load_or_exit(menus_dir: str | None) -> Hotline:
    """Load the menus for a command, or print every error and exit 1."""
    try:
        return load_hotline(_menus_dir(menus_dir))
    except MenuError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tumen-ivr", prog_name="ivr")
def main() -> None:
    """Tumen hotline IVR: menus, office hours, the webhook service and a call simulator."""
    # Commands print their own results; the service's per-step call log (INFO) is for `ivr serve` only.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


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


def _moment_or_now(at: datetime | None) -> datetime:
    return at or now(settings().frozen_time)


# Staff read the menus checks in Chinese or Korean; English is for operators who ask for it.
LANG_OPTION = click.option("--lang", "staff_lang", type=click.Choice(STAFF_LANGS),
                           help="The language of the problems: zh, ko or en (default IVR_STAFF_LANG, else zh).")


def _staff_lang(given: str | None) -> StaffLang:
    """Return the language a command speaks to staff in: --lang, else IVR_STAFF_LANG."""
    return next((lang for lang in STAFF_LANGS if lang == given), settings().staff_lang)


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Check calendar coverage as of this day.")
@LANG_OPTION
def validate(folder: str | None, menus_dir: str | None, today: datetime | None, staff_lang: str | None) -> None:
    """Check every menu file; print each problem with file:line, or a one-line summary.

    The folder may be given with --menus, like every other command, or as an argument.
    """
    if folder and menus_dir and folder != menus_dir:
        raise click.BadParameter(f"two folders are given ({folder} and --menus {menus_dir}); give one",
                                 param_hint="--menus")
    shown = _menus_dir(menus_dir or folder)
    hotline, problems = check_hotline(shown)
    if hotline is not None:
        day: date = today.date() if today else _moment_or_now(None).date()
        problems = problems + coverage_warnings(hotline, day)
    lang = _staff_lang(staff_lang)
    for problem in problems:
        click.echo(problem.render(lang), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if hotline is None:
        click.echo(sentence("summary.not_loaded", lang, {
            "folder": shown, "errors": errors, "errors_en": _count(errors, "error"), "warnings": warnings,
            "warnings_en": _count(warnings, "warning")}))
        raise SystemExit(1)
    click.echo(sentence("summary.ok", lang, {
        "folder": shown, "units": len(hotline.units), "units_en": _count(len(hotline.units), "unit"),
        "menus": len(hotline.menus), "menus_en": _count(len(hotline.menus), "menu"),
        "prompts": len(hotline.prompts), "prompts_en": _count(len(hotline.prompts), "prompt"),
        "languages": len(hotline.languages), "warnings": warnings, "warnings_en": _count(warnings, "warning")}))


@main.command()
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True, help="Language of the names.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def tree(lang: Lang, menus_dir: str | None) -> None:
    """Print the menu tree with keys, unit names and E.164 numbers."""
    hotline = load_or_exit(menus_dir)
    click.echo(f"{hotline.name(lang)} [{hotline.voice(lang).name}]")
    operator = hotline.operator
    click.echo(f"0  {operator.name(lang)}  {operator.phone}")
    _print_menu(hotline, hotline.menus[hotline.main_menu], lang, depth=0)


@main.command()
@click.argument("unit", required=False)
@click.option("--at", type=MOMENT, help="The moment to check (default: now, or IVR_FROZEN_TIME).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per unit.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def hours(unit: str | None, at: datetime | None, as_json: bool, menus_dir: str | None) -> None:
    """Tell whether every unit (or one: its id or its name, 婚姻登记处) is open at a moment, and when it opens next."""
    hotline = load_or_exit(menus_dir)
    moment = _moment_or_now(at)
    office_hours = OfficeHours(hotline)
    chosen = [_resolve_unit(hotline, unit, "UNIT")] if unit else list(hotline.units.values())
    statuses = [office_hours.status(unit, moment) for unit in chosen]
    if as_json:
        click.echo(json.dumps([_status_json(office_hours, s) for s in statuses], ensure_ascii=False, indent=2))
        return
    click.echo(f"At {moment.isoformat()}:")
    for status in statuses:
        click.echo(_status_line(hotline, status))
    if unit:  # one unit: its hours too, as callers hear them
        today, spoken = _hours_of(office_hours, statuses[0])
        click.echo(f"  today: {', '.join(today) or 'closed'}")
        click.echo(f"  hours: {spoken['zh']}")


@main.command()
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def prompts(menus_dir: str | None) -> None:
    """List, per language, which prompts have recordings and which are spoken by the synthesized voice."""
    hotline = load_or_exit(menus_dir)
    for voice in hotline.languages:
        recorded = [p for p in hotline.prompts.values() if voice.lang in p.audio]
        click.echo(f"{voice.lang}: {len(recorded)} of {len(hotline.prompts)} prompts recorded")
        for prompt in hotline.prompts.values():
            file = prompt.audio.get(voice.lang)
            state = "recorded" if file else "spoken"
            click.echo(f"  {state:<9} {prompt.id:<17} {file or ''}".rstrip())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (about one per core).")
@click.option("--threads", default=THREADS, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker, each serving one whole request at a time (slow clients hold none).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (one process; for a "
              "laptop). Not the same as development mode, which is about signatures and keys (IVR_DEVELOPMENT).")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def serve(host: str, port: int, workers: int, threads: int, dev: bool, menus_dir: str | None) -> None:
    """Run the webhook service: gunicorn with the project's settings, or --dev for the development server."""
    from ivr.server import ProductionServer, metrics_folder, start_records_writer
    from ivr.web import create_app

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
    try:
        # Once here, before any worker: the menus are checked (or their last good copy taken) and SQLite migrated.
        app = create_app(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except MenuError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"The menus in {config.menus_dir} are not valid and no good version of them has "
                                   "ever been saved, so there is nothing to serve; fix the errors above "
                                   "(`ivr validate` shows them) and start again.") from exc
    public = (config.public_url or f"http://{host}:{port}").rstrip("/")
    click.echo("Give the provider these URLs (POST):")
    click.echo(f"  Voice URL:           {public}/voice")
    click.echo(f"  Fallback URL:        {public}/voice/fallback (or a TwiML bin holding `ivr fallback-twiml`)")
    click.echo(f"  Status callback URL: {public}/voice/status")
    # The staff console, and how to make its first login with this very command (often .venv/bin/ivr).
    command = sys.argv[0] if Path(sys.argv[0]).name == "ivr" else "ivr"
    click.echo(f"Staff console: {public}/admin/ (the first login: {command} staff add NAME --role admin)")
    if dev:
        app.run(host=host, port=port, threaded=True)
        return
    start_records_writer()  # the workers answer callers; that process writes their records
    ProductionServer(functools.partial(create_app, config), f"{host}:{port}", workers, threads,
                     after_fork=functools.partial(logs.configure, config.log_level),
                     metrics_dir=config.metrics_dir).run()


@main.command("fallback-twiml")
def fallback_twiml_command() -> None:
    """Print the fallback TwiML (apology in both languages, then the main line) for a provider-hosted TwiML bin."""
    from ivr.web.voice import fallback_twiml

    click.echo(fallback_twiml(settings().fallback_number))


@main.command()
@click.option("--at", type=MOMENT, help="The moment of the call (default: now, or IVR_FROZEN_TIME).")
@click.option("--lang", type=click.Choice(LANGS), help="Choose this language first (presses its key).")
@click.option("--press", "keys", help="Keys to press in order; '.' waits without pressing. Interactive without it.")
@click.option("--say", "sentence", help="Say this at the first menu after the language choice (then --press's keys); "
              "without --lang, the language of the sentence is chosen.")
@click.option("--confidence", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="The recogniser's confidence sent with --say (0: the provider gave none).")
@click.option("--dial-status", type=click.Choice(DIAL_STATUSES), default="completed", show_default=True,
              help="What happens when the call is forwarded.")
@click.option("--caller", default=DEFAULT_CALLER, show_default=True, help="The caller's number.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript and the outcome as JSON.")
@click.option("--record", is_flag=True, help="Keep the call in the call records (IVR_DATABASE_URL).")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def call(at: datetime | None, lang: Lang | None, keys: str | None, sentence: str | None, confidence: float,
         dial_status: str, caller: str, as_json: bool, record: bool, menus_dir: str | None) -> None:
    """Call the hotline in-process as the provider would, and print what the caller hears and what happens."""
    import tempfile

    from ivr.web import create_app

    load_or_exit(menus_dir)
    moment = _moment_or_now(at)
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as scratch:
        real = settings()
        preview = real.for_preview(moment, Path(_menus_dir(menus_dir)), Path(scratch))
        if record:  # kept in the real records only when asked: staff trying menus skew no report
            preview = preview.but(database_url=real.database_url,
                                  outbox_dir=real.outbox_dir or outbox_folder(real.instance_dir, real.database_url))
        app = create_app(preview)
        said = None
        if sentence is not None:
            said = Said(sentence, confidence or None)
            lang = lang or ("ko" if any("가" <= ch <= "힣" for ch in sentence) else "zh")
        _place_call(app, moment, lang, keys, dial_status, caller, as_json, said)
        if record:  # this process ends now: write the call before its background writer would
            app.extensions["ivr.recorder"].flush()


def _place_call(app: Flask, moment: datetime, lang: Lang | None, keys: str | None, dial_status: str, caller: str,
                as_json: bool, said: Said | None = None) -> None:
    from ivr.simulator import CallSimulator, pressed_keys

    hotline = app.extensions["ivr.menus"].flow.hotline
    prefix = hotline.voice(lang).key if lang else ""
    interactive = keys is None and not as_json
    if said is not None:
        source = pressed_keys(prefix, said, keys or "")
        if interactive:
            source = _interactive_keys("", first=source)
    else:
        source = _interactive_keys(prefix) if interactive else pressed_keys(prefix + (keys or ""))
    if not as_json:
        click.echo(f"Call at {moment.isoformat()} from {caller}:")
    simulator = CallSimulator(app, caller=caller, listener=None if as_json else _print_line(interactive))
    result = simulator.call(source, dial_status=dial_status)
    if as_json:
        click.echo(json.dumps({"at": moment.isoformat(), **result.as_json()}, ensure_ascii=False, indent=2))
        return
    click.echo(f"Outcome: {_outcome_text(result.outcome)}")


def _print_line(interactive: bool) -> Callable[[Line], None]:
    def show(line: Line) -> None:
        if not (interactive and line.kind == "pressed"):  # the person already sees the key they typed
            click.echo(_transcript_line(line))

    return show


def _interactive_keys(prefix: str, first: KeySource | None = None) -> KeySource:
    """Read keys from the person at the terminal, printing what the hotline says as it goes (after the keys and
    sentence of `first`, when given)."""
    from ivr.simulator import CallerHangsUp

    queued = list(prefix)
    given = [first]

    def next_key() -> str | Said | None:
        if given[0] is not None:
            try:
                return given[0]()
            except CallerHangsUp:
                given[0] = None
        if queued:
            return queued.pop(0)
        try:
            answer = click.prompt("key or sentence (Enter: nothing, q: hang up)", default="", show_default=False)
        except click.Abort as exc:
            raise CallerHangsUp from exc
        if answer.strip().lower() == "q":
            raise CallerHangsUp
        if len(answer.strip()) > 1:  # more than a key: the caller says it
            return Said(answer.strip())
        return answer.strip()[:1] or None

    return next_key


def _transcript_line(line: Line) -> str:
    if line.kind == "heard":
        return f"  hotline [{line.lang or '?'}]: {line.text}"
    if line.kind == "pressed":
        return f"  caller presses {line.text}"
    if line.kind == "said":
        return f"  caller says “{line.text}”" + ("" if line.detail.get("heard") else " (this prompt takes keys only)")
    return f"  ({line.text})"


def _outcome_text(outcome: CallOutcome | None) -> str:
    if outcome is None:
        return "none"
    if outcome.kind == Ending.FORWARDED:
        return f"forwarded to {outcome.number} ({outcome.unit}), {outcome.dial_status}"
    if outcome.kind == Ending.VOICEMAIL:
        return f"voice message left for {outcome.unit}"
    if outcome.kind == Ending.CALLER_HUNG_UP:
        return f"the caller hung up at {outcome.node}"
    if outcome.kind == Ending.CONFIRMING:
        return "the caller hung up while asked to confirm: " + ", ".join(
            f"{key} {unit}" for key, unit in enumerate(outcome.offered, start=1))
    return str(outcome.kind)


def _hours_of(office_hours: OfficeHours, status: Status) -> tuple[list[str], dict[Lang, str]]:
    """Return a unit's opening periods on the status's day, and its hours as the information says them."""
    unit = office_hours.hotline.units[status.unit_id]
    _, periods = office_hours.periods_on(unit, status.at.date())
    outlook = office_hours.outlook(unit, status.at.date())
    return [str(p) for p in periods], {lang: say_hours(outlook, lang) for lang in LANGS}


def _status_json(office_hours: OfficeHours, status: Status) -> dict[str, object]:
    unit = office_hours.hotline.units[status.unit_id]
    today, spoken = _hours_of(office_hours, status)
    return {
        "unit": unit.id,
        "name": {"zh": unit.name.zh, "ko": unit.name.ko},
        "phone": unit.phone,
        "open": status.open,
        "reason": status.reason,
        "reason_name": {"zh": status.reason_name.zh, "ko": status.reason_name.ko} if status.reason_name else None,
        "closes_at": status.closes_at.isoformat() if status.closes_at else None,
        "next_open": status.next_open.isoformat() if status.next_open else None,
        "next_open_spoken": {lang: say_moment(status.next_open, status.at, lang) for lang in LANGS}
        if status.next_open else None,
        "today": today,
        "hours": spoken,
    }


def _status_line(hotline: Hotline, status: Status) -> str:
    unit = hotline.units[status.unit_id]
    head = f"{unit.id:<28} {unit.phone or '(main line)':<15}"
    if status.open and status.closes_at:
        return f"{head} open    until {status.closes_at:%H:%M}"
    reason = status.reason.replace("_", " ")
    if status.reason_name:
        reason += f" ({status.reason_name.zh})"
    if status.next_open is None:
        return f"{head} closed  {reason}; no opening within a year"
    spoken = say_moment(status.next_open, status.at, "zh")
    return f"{head} closed  {reason}; opens {status.next_open:%Y-%m-%d %H:%M} ({spoken})"


@main.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the names shown (the sentence's own language is told by its script).")
@click.option("--confidence", type=click.FloatRange(0, 1),
              help="The recogniser's confidence (0-1), as a call gives it; below 0.5 never forwards.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking and the verdict as JSON.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def find(words: tuple[str, ...], lang: Lang, confidence: float | None, as_json: bool, menus_dir: str | None) -> None:
    """Find which office handles something, a word or what a caller says (失业金, 我想办离婚, 로임을 못 받았습니다):
    the offices ranked with their scores, the keys that reach them, and what the hotline does (the verdict)."""
    # Imported here: pypinyin's and zhconv's tables take a few hundred ms that other commands need not wait for.
    from ivr.core.router import Router

    hotline = load_or_exit(menus_dir)
    sentence = " ".join(words)
    spoken: Lang = "ko" if any("가" <= ch <= "힣" for ch in sentence) else "zh"
    routing = Router.from_hotline(hotline).route(sentence, spoken, confidence)
    # Staff also look for words no caller would say alone (财务, an id): the plain search still answers them.
    mentioned = [] if routing.ranking else hotline.find_units(sentence)
    if as_json:
        click.echo(json.dumps(_routing_json(hotline, sentence, spoken, routing, mentioned), ensure_ascii=False,
                              indent=2))
    elif not routing.ranking and not mentioned:
        click.echo(f"No unit mentions '{sentence}'; a caller saying it is not put through (verdict: none). "
                   "Try a shorter word, or `ivr tree` for all of them.")
    else:
        for unit_id, score in routing.ranking:
            click.echo(f"{_found_line(hotline, hotline.units[unit_id], lang)}  score {score:.2f}")
        for unit in mentioned:
            click.echo(_found_line(hotline, unit, lang))
        click.echo(_verdict_line(hotline, routing, lang, bool(mentioned)))
    if not routing.ranking and not mentioned:
        raise SystemExit(1)


def _found_line(hotline: Hotline, unit: Unit, lang: Lang) -> str:
    keys = hotline.key_path(unit.id)
    reach = f"keys {' '.join(keys)}" if keys else "no menu reaches it"
    return f"{unit.name(lang)}  {hotline.line_of(unit)}  ({reach} after the language choice)"


def _verdict_line(hotline: Hotline, routing: Routing, lang: Lang, mentioned: bool) -> str:
    from ivr.core.router import Verdict

    names = "; ".join(hotline.units[u].name(lang) for u in routing.offered)
    if routing.verdict is Verdict.FORWARD:
        return f"verdict: forward (one office is clearly meant; a caller saying it is put through to {names})"
    if routing.verdict is Verdict.CONFIRM:
        return f"verdict: confirm (a caller saying it is asked to confirm {names})"
    if routing.verdict is Verdict.CHOOSE:
        return f"verdict: choose (a caller saying it is offered keys 1-{len(routing.offered)}: {names})"
    where = "; the words appear in these units' names, keywords or summaries" if mentioned else ""
    return f"verdict: none (a caller saying it names no office and is not put through{where})"


def _routing_json(hotline: Hotline, sentence: str, spoken: Lang, routing: Routing,
                  mentioned: list[Unit]) -> dict[str, object]:
    def unit_json(unit: Unit) -> dict[str, object]:
        return {"unit": unit.id, "name": {"zh": unit.name.zh, "ko": unit.name.ko}, "line": hotline.line_of(unit),
                "keys": hotline.key_path(unit.id)}

    return {"sentence": sentence, "lang": spoken, "verdict": routing.verdict.value, "offered": list(routing.offered),
            "ranking": [{**unit_json(hotline.units[u]), "score": score} for u, score in routing.ranking],
            "mentioned": [unit_json(unit) for unit in mentioned]}


def _print_menu(hotline: Hotline, menu: Menu, lang: Lang, depth: int) -> None:
    indent = "   " * depth
    for option in menu.options:
        if option.menu:
            click.echo(f"{indent}{option.key}  {option.label(lang)}")
            _print_menu(hotline, hotline.menus[option.menu], lang, depth + 1)
        elif option.unit:
            unit = hotline.units[option.unit]
            line = unit.phone or f"{hotline.line_of(unit)} (main line)"
            click.echo(f"{indent}{option.key}  {option.label(lang)} → {unit.name(lang)}  {line}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# Call records ----------------------------------------------------------------------------------------------


Command = TypeVar("Command", bound=Callable[..., None])


def _explain_database_failure(sentence: str) -> Callable[[Command], Command]:
    """Return a decorator that turns a database failure in a command into `sentence` ({url} and {reason} filled)."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: object, **kwargs: object) -> None:
            try:
                command(*args, **kwargs)
            except StoreUnavailable as exc:
                raise click.ClickException(sentence.format(url=safe_url(settings().database_url),
                                                           reason=exc)) from exc

        return run  # type: ignore[return-value]

    return decorate


# A database failure in a records command, said in one sentence that says what to check.
database_errors = _explain_database_failure(
    "The call records database {url} cannot be used ({reason}). Check IVR_DATABASE_URL and that the database server "
    "runs; `ivr db upgrade` creates the tables.")


def _open_store() -> Store:
    """Open the store the running service writes to (IVR_DATABASE_URL, else the instance folder's SQLite)."""
    store = Store.from_url(settings().database_url)
    prepare_embedded_sqlite(store)
    return store


@main.group()
def db() -> None:
    """Manage the call records database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the tables of IVR_DATABASE_URL to the newest schema."""
    url = settings().database_url
    try:
        upgrade_schema(Store.from_url(url).engine)
    except StoreUnavailable as exc:
        raise click.ClickException(f"Could not migrate {safe_url(url)}: {exc}") from exc
    click.echo(f"{safe_url(url)}: the schema is up to date.")


@db.command("flush")
@click.option("--outbox", type=click.Path(file_okay=False),
              help="The outbox folder (default: the instance folder's, for IVR_DATABASE_URL).")
@database_errors
def db_flush(outbox: str | None) -> None:
    """Write the call events waiting in the outbox into the database now, and say what is left.

    The file a running worker is appending to is left alone: it hands it over within a second or two.
    """
    from ivr.store.recorder import Recorder

    config = settings()
    folder = Path(outbox) if outbox else outbox_folder(config.instance_dir, config.database_url)
    recorder = Recorder(_open_store(), folder, background=False)
    taken = recorder.flush()
    state = recorder.state()
    click.echo(f"Took {taken} call events from {folder} into the database; {state.waiting} still wait, "
               f"{state.set_aside} were set aside as refused by the database.")
    if state.in_memory or state.dropped:  # the disk refused them: only the workers holding them can write them
        click.echo(f"{state.in_memory} more are held in the memory of running workers, which write them back within "
                   f"a second of the outbox or the database taking them; {state.dropped} were dropped (see the log).")
    if state.waiting or state.in_memory:
        raise SystemExit(1)


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE when it exists.")
def db_backup(file: Path, force: bool) -> None:
    """Copy the embedded SQLite records into FILE while the service runs (PostgreSQL: says the pg_dump command)."""
    from ivr.store.backup import BackupError, backup_sqlite, pg_dump_command, pg_restore_command, sqlite_file

    config = settings()
    database = sqlite_file(config.database_url)
    if database is None:
        raise click.ClickException(
            f"{safe_url(config.database_url)} is not an SQLite file, so `ivr db backup` does not copy it. Back up "
            f"PostgreSQL with its own tool, which makes a consistent copy while the service writes:\n"
            f"  {pg_dump_command(config.database_url, str(file))}\n"
            f"and restore it (service stopped) with:\n  {pg_restore_command(config.database_url, str(file))}\n"
            "The password is not shown: give it in PGPASSWORD or ~/.pgpass.")
    folder = config.outbox_dir or outbox_folder(config.instance_dir, config.database_url)
    try:
        made = backup_sqlite(database, file, force=force, outbox=folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {database} to {made.path}: {made.calls} calls, {made.voicemails} voice messages, schema "
               f"{made.revision}, {made.pages} pages in {made.seconds:.1f} s.")
    if made.still_waiting:
        click.echo(f"Note: {made.still_waiting} call events were still waiting in {folder} for the database and are "
                   "not in this backup; they stay in the outbox and reach the database when it answers.", err=True)


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_restore(file: Path) -> None:
    """Put a backup made by `ivr db backup` in place of the SQLite records, with the service stopped."""
    from ivr.store.backup import BackupError, pg_restore_command, restore_sqlite, sqlite_file

    config = settings()
    database = sqlite_file(config.database_url)
    if database is None:
        raise click.ClickException(
            f"{safe_url(config.database_url)} is not an SQLite file, so `ivr db restore` does not replace it. "
            f"With the service stopped, restore a pg_dump -Fc file with:\n"
            f"  {pg_restore_command(config.database_url, str(file))}\n"
            "then run `ivr db upgrade`. The password is not shown: give it in PGPASSWORD or ~/.pgpass.")
    folder = config.outbox_dir or outbox_folder(config.instance_dir, config.database_url)
    try:
        done = restore_sqlite(database, file, _moment_or_now(None), outbox=folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    upgraded = (f", upgraded from schema {done.revision_found} to {done.revision_now}"
                if done.revision_found != done.revision_now else f", schema {done.revision_now}")
    click.echo(f"Restored {file} into {done.database}: {done.calls} calls, {done.voicemails} voice messages"
               f"{upgraded}.")
    if done.kept_aside is not None:
        click.echo(f"The database it replaced is kept as {done.kept_aside}.")
    click.echo("Start the service again; call events waiting in the outbox are written into the restored records.")


@db.command("writer")
@click.option("--parent", type=int, help="Stop when this process (the server that started it) is gone.")
def db_writer(parent: int | None) -> None:
    """Write every worker's call events into the database, continuously (`ivr serve` starts one)."""
    from ivr.store.recorder import run_writer_process
    from ivr.store.retention import Retention

    config = settings()
    folder = config.outbox_dir or outbox_folder(config.instance_dir, config.database_url)
    logs.configure(config.log_level)
    store = Store.from_url(config.database_url)
    # At its start, then once a day, the writer removes the records older than IVR_KEEP_DAYS.
    retention = Retention(store, config.keep_days, functools.partial(now, config.frozen_time), folder,
                          recordings=config.instance_dir / "recordings")
    run_writer_process(store, folder, parent or os.getppid(), chore=retention.tick)


# Published menus versions ------------------------------------------------------------------------------------

versions_database_errors = _explain_database_failure(
    "The database {url} cannot be reached ({reason}), so no menus version was read or published; check "
    "IVR_DATABASE_URL and that the database server runs (`ivr db upgrade` creates the tables).")


def _versions() -> PublishedVersions:
    return PublishedVersions(_open_store())


def _author(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("give the name of the person publishing, kept in the history", ctx, param)
    return value


AUTHOR_OPTION = click.option("--as", "author", required=True, callback=_author,
                             help="Your name, kept in the history.")


@main.group()
def menus() -> None:
    """Published menus versions: history, differences, restore, and publishing the menus folder."""


@menus.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, newest first.")
@versions_database_errors
def menus_history(as_json: bool) -> None:
    """List every published menus version, newest first: number, when, who and why."""
    found = _versions().history()
    if as_json:
        click.echo(json.dumps([{"id": v.id, "published_at": v.published_at.isoformat(), "author": v.author,
                                "note": v.note, "digest": v.digest} for v in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No menus version has been published yet; `ivr menus publish --as NAME` publishes the folder.")
    for version in found:
        click.echo(_version_line(version))


@menus.command("show")
@click.argument("number", type=int)
@click.option("--diff", "as_diff", is_flag=True, help="Print what changed since the version before it.")
@versions_database_errors
def menus_show(number: int, as_diff: bool) -> None:
    """Print version NUMBER's files as published, or with --diff what it changed."""
    versions = _versions()
    version = versions.get(number)
    if version is None:
        raise click.ClickException(f"There is no menus version {number}; `ivr menus history` lists them.")
    click.echo(_version_line(version.info))
    if as_diff:
        click.echo(versions.diff(number) or "(no file changed)", nl=False)
        return
    for name, text in version.files.items():
        click.echo(f"==> {name} <==")
        click.echo(text, nl=not text.endswith("\n"))


@menus.command("publish")
@AUTHOR_OPTION
@click.option("--note", default="", help="One line: what changed and why.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
@click.option("--base", type=click.IntRange(min=1), help="The version the folder's files were edited from "
              "(default: the version last written into the folder).")
@LANG_OPTION
@versions_database_errors
def menus_publish(author: str, note: str, menus_dir: str | None, base: int | None, staff_lang: str | None) -> None:
    """Check the menus folder as `ivr validate` does and publish it as the newest version for every server.

    Refused when a version newer than the one the folder was edited from has been published: it is never undone.
    """
    shown = _menus_dir(menus_dir)
    versions = _versions()
    if base is None:
        base = _folder_base(versions, Path(shown))
    try:
        result = publish(versions, shown, {}, author, note, base=base)
    except NewerVersion as exc:
        raise click.ClickException(_newer_said(exc, f"which {shown} was edited from; nothing was published and "
                                                    f"{shown} is as you left it: make your edit on version "
                                                    f"{exc.newest.id} (`ivr menus show {exc.newest.id}` prints its "
                                                    "files), then publish again")) from exc
    _said(result, shown, _staff_lang(staff_lang))


def _folder_base(versions: PublishedVersions, folder: Path) -> int | None:
    """Return the version a folder was last written at, or None before any version; ask for --base otherwise."""
    noted = folder_version(folder)
    if noted is not None:
        return noted.id
    head = versions.head()
    if head is None:
        return None
    try:
        known = versions.number_of(menus_digest(read_menus(folder)))
    except (OSError, UnicodeDecodeError):
        known = None
    if known is not None:
        return known
    raise click.ClickException(f"{folder} does not say which menus version it was edited from (no version was "
                               f"written into it here); give it as --base N (the newest is {head.id}; `ivr menus "
                               "history` lists them), so that a version published since is not undone.")


def _newer_said(refused: NewerVersion, made_from: str) -> str:
    newest = refused.newest
    made = f"version {refused.base}" if refused.base is not None else "no version"
    return (f"{newest.author} published version {newest.id} at {newest.published_at:%Y-%m-%d %H:%M}, after {made}, "
            f"{made_from}, so that version {newest.id} is not undone. `ivr menus show {newest.id} --diff` shows what "
            "it changed.")


@menus.command("restore")
@click.argument("number", type=int)
@AUTHOR_OPTION
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
@click.option("--base", type=click.IntRange(min=1), help="Restore only if this is still the newest version "
              "(default: whichever is the newest).")
@LANG_OPTION
@versions_database_errors
def menus_restore(number: int, author: str, menus_dir: str | None, base: int | None, staff_lang: str | None) -> None:
    """Publish version NUMBER's files again as the newest version (checked like any publish)."""
    shown = _menus_dir(menus_dir)
    versions = _versions()
    if base is None:
        head = versions.head()
        base = head.id if head is not None else None
    try:
        result = restore(versions, shown, number, author, base)
    except UnknownVersion as exc:
        raise click.ClickException(str(exc)) from exc
    except NewerVersion as exc:
        raise click.ClickException(_newer_said(exc, "the newest when this restore was asked for; nothing was "
                                                    "restored")) from exc
    _said(result, shown, _staff_lang(staff_lang))


def _version_line(version: VersionInfo) -> str:
    return f"{version.id:>5}  {version.published_at:%Y-%m-%d %H:%M:%S}  {version.author}  {version.note}".rstrip()


def _said(result: PublishResult, shown: str, lang: StaffLang = "en") -> None:
    """Print a publish's problems (in the staff's language) and outcome; exit 1 when it was refused."""
    for problem in result.problems:
        click.echo(problem.render(lang), err=True)
    if result.version is None:
        click.echo(sentence("summary.publish_refused", lang, {
            "folder": shown, "errors": len(result.errors), "errors_en": _count(len(result.errors), "error")}))
        raise SystemExit(1)
    if not result.created:
        click.echo(f"{shown} is already the newest version, {result.version.id}; nothing new was published.")
        return
    click.echo(f"Published {shown} as version {result.version.id}; every server sharing this database serves it "
               "within 5 seconds.")


@main.group()
def voicemail() -> None:
    """Voice messages waiting for a call back."""


@voicemail.command("list")
@click.option("--unit", help="Only messages for this unit: its id or its name in either language.")
@click.option("--status", type=click.Choice(["new", "called back"]), help="Only messages with this status.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--mask-numbers/--show-numbers", "mask", default=None,
              help="Show callers' numbers masked (+86138*****678), or whole (default: IVR_MASK_NUMBERS, else whole).")
@database_errors
def voicemail_list(unit: str | None, status: str | None, fmt: str, mask: bool | None) -> None:
    """List voice messages, newest first."""
    unit_id, unknown = unit, None
    known = load_hotline_quietly() if unit else None
    if unit and known is not None:
        try:
            unit_id = known.resolve_unit(unit).id
        except UnknownUnit as exc:
            unknown = exc  # messages of a unit since removed from the menus are still listed by its id
    messages = _open_store().voicemails(unit=unit_id, status=status)
    if unknown is not None and not messages:
        click.echo(f"Note: {unknown}", err=True)
    if settings().mask_numbers if mask is None else mask:
        messages = [replace(m, caller=mask_number(m.caller) if m.caller else None) for m in messages]
    if fmt in ("json", "csv"):
        rows = [_voicemail_row(m) for m in messages]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if fmt == "json" else _csv(rows, VOICEMAIL_FIELDS),
                   nl=fmt == "json")
        return
    if not messages:
        click.echo("No voice messages.")
        return
    click.echo(f"{'id':>5}  {'received':<16}  {'status':<11} {'unit':<28} {'caller':<16} {'lang':<4} "
               f"{'length':>6}  recording")
    for m in messages:
        click.echo(f"{m.id:>5}  {m.received_at:%Y-%m-%d %H:%M}  {m.status:<11} {m.unit or '?':<28} "
                   f"{m.caller or 'unknown':<16} {m.language or '?':<4} {m.duration or 0:>4} s  "
                   f"{m.recording_url or ''}")


VOICEMAIL_FIELDS = ("id", "caller", "unit", "language", "recording_url", "duration", "status", "received_at",
                    "call_sid", "recording_sid", "called_back_at", "called_back_by")


def _voicemail_row(m: Voicemail) -> dict[str, object]:
    """Return a voice message as the JSON and CSV exports write it."""
    return {"id": m.id, "caller": m.caller, "unit": m.unit, "language": m.language, "recording_url": m.recording_url,
            "duration": m.duration, "status": m.status, "received_at": m.received_at.isoformat(),
            "call_sid": m.call_sid, "recording_sid": m.recording_sid,
            "called_back_at": m.called_back_at.isoformat() if m.called_back_at else None,
            "called_back_by": m.called_back_by}


def _csv(rows: list[dict[str, object]], fields: tuple[str, ...]) -> str:
    """Return rows as CSV text with a header line (empty cells for None)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return out.getvalue()


@voicemail.command("done")
@click.argument("voicemail_id", type=int)
@database_errors
def voicemail_done(voicemail_id: int) -> None:
    """Mark a voice message as called back."""
    if not _open_store().mark_called_back(voicemail_id, _moment_or_now(None)):
        raise click.ClickException(f"There is no voice message {voicemail_id}; `ivr voicemail list` shows them.")
    click.echo(f"Voice message {voicemail_id} is marked as called back.")


@main.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, help="Age in days.")
@click.option("--include-new", is_flag=True, help="Also remove voice messages not yet called back.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed, and remove nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
@database_errors
def purge(days: int, include_new: bool, dry_run: bool, yes: bool) -> None:
    """Remove call records and voice messages older than DAYS days, and say how many.

    Voice messages not yet called back are kept unless --include-new.
    """
    store = _open_store()
    before = _moment_or_now(None) - timedelta(days=days)
    kept = "" if include_new else " (voice messages not yet called back are kept)"
    if dry_run or (sys.stdin.isatty() and not yes):
        would = store.purge(before, include_new, dry_run=True)
        click.echo(f"Would remove {_purged(would, days)}{kept}.")
        if dry_run or not click.confirm("Remove them?", default=False):
            return
    removed = store.purge(before, include_new)
    click.echo(f"Removed {_purged(removed, days)}{kept}.")


def _purged(counts: dict[str, int], days: int) -> str:
    return (f"{counts['calls']} calls, {counts['steps']} steps and {counts['voicemails']} voice messages "
            f"older than {days} days")


@main.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option("--chart", type=click.Path(dir_okay=False), help="Also draw the figures into this PNG file.")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the menu, key and unit names.")
@database_errors
def report(since: datetime | None, until: datetime | None, fmt: str, chart: str | None, lang: Lang) -> None:
    """Calls per day and hour, menu choices, out-of-hours share, hang-ups, forwarding success, messages waiting."""
    from ivr.store.report import (
        build_report,
        missed_sentences,
        name_report,
        report_chart,
        report_csv,
        report_text,
        sentences_text,
    )

    last = until.date() if until else _moment_or_now(None).date()
    first = since.date() if since else last - timedelta(days=30)
    if first > last:
        raise click.BadParameter(f"--since {first} is after --until {last}", param_hint="--since")
    store = _open_store()
    figures = build_report(store, first, last)
    # What callers said that reached no office or that they corrected: a list apart from the figures.
    figures["sentences_missed"] = missed_sentences(store, first, last)
    known = load_hotline_quietly()
    # People read names; the JSON keeps the ids, for programs.
    named = name_report(figures, known, lang) if known is not None else figures
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(report_csv(named), nl=False)
    else:
        click.echo(report_text(named))
        click.echo("\n" + sentences_text(figures["sentences_missed"], known, lang))
    if chart:
        try:
            report_chart(figures, chart, named)
        except OSError as exc:
            raise click.ClickException(f"Could not write the chart to {chart}: {exc.strerror or exc}.") from exc
        click.echo(f"Chart written to {chart}.", err=True)


# Voice-message recordings and staff accounts -------------------------------------------------------------


@voicemail.command("fetch")
@click.argument("voicemail_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The file to write (default: RECORDING_SID.wav).")
@database_errors
def voicemail_fetch(voicemail_id: int, output: str | None) -> None:
    """Save a voice message's recording, fetched from the provider's API with the account's credentials."""
    from ivr.recordings import RecordingError, fetch_recording

    found = _open_store().voicemails(voicemail_id=voicemail_id)
    if not found or not found[0].recording_url:
        raise click.ClickException(f"There is no recording of voice message {voicemail_id}; "
                                   "`ivr voicemail list` shows the messages.")
    message = found[0]
    config = settings()
    try:
        data = fetch_recording(message.recording_url or "", config.provider_api_url, config.account_sid,
                               config.auth_token)
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from exc
    target = Path(output or f"{message.recording_sid}.wav")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"Could not write {target}: {exc.strerror or exc}.") from exc
    click.echo(f"Voice message {voicemail_id} ({message.duration or 0} s) saved to {target}.")


@main.group()
def staff() -> None:
    """Staff accounts of the console at /admin."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer: see and listen (pages, messages, try a call); editor: also mark messages called "
              "back, edit and publish the menus, restore versions; admin: also staff accounts and the audit log.")
@database_errors
def staff_add(name: str, role: str) -> None:
    """Create a staff account; the password is read from standard input, or asked twice at a terminal."""
    import sys

    from ivr.store.staff import StaffError, StaffStore

    if sys.stdin.isatty():
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    accounts = StaffStore(_open_store())
    try:
        accounts.add(name, password, role, _moment_or_now(None))
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    accounts.audit(_operator(), "staff_add", _moment_or_now(None), f"{name} as {role}", "command line")
    click.echo(f"Staff account '{name}' ({role}) created; log in at /admin/login.")


@staff.command("list")
@database_errors
def staff_list() -> None:
    """List the staff accounts with their roles and whether they may log in."""
    from ivr.store.staff import StaffStore

    accounts = StaffStore(_open_store()).all()
    if not accounts:
        click.echo("No staff accounts; `ivr staff add NAME --role admin` creates the first.")
        return
    click.echo(f"{'name':<24} {'role':<7} {'state':<9} created")
    for account in accounts:
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username:<24} {account.role:<7} {state:<9} {account.created_at:%Y-%m-%d %H:%M}")


@staff.command("disable")
@click.argument("name")
@database_errors
def staff_disable(name: str) -> None:
    """Stop a staff account from logging in; its open sessions end at once."""
    from ivr.store.staff import StaffStore

    accounts = StaffStore(_open_store())
    if not accounts.disable(name):
        raise click.ClickException(f"There is no staff account '{name}'; `ivr staff list` shows them.")
    accounts.audit(_operator(), "staff_disable", _moment_or_now(None), name, "command line")
    click.echo(f"Staff account '{name}' is disabled.")


@staff.command("password")
@click.argument("name")
@database_errors
def staff_password(name: str) -> None:
    """Give a staff account a new password (read like `ivr staff add` reads one); its open sessions end."""
    from ivr.store.staff import StaffError, StaffStore

    password = _read_password()
    accounts = StaffStore(_open_store())
    try:
        accounts.set_password(name, password)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    accounts.audit(_operator(), "staff_password", _moment_or_now(None), name, "command line")
    click.echo(f"Staff account '{name}' has a new password; its open sessions have ended.")


@staff.command("unlock")
@click.argument("name")
@database_errors
def staff_unlock(name: str) -> None:
    """Let a staff account log in again from every address after failed logins locked it."""
    from ivr.store.logins import LoginAttempts
    from ivr.store.staff import StaffStore

    store = _open_store()
    accounts = StaffStore(store)
    if accounts.get(name) is None:
        raise click.ClickException(f"There is no staff account '{name}'; `ivr staff list` shows them.")
    at = _moment_or_now(None)
    locked = LoginAttempts(store).unlock(name, at)
    accounts.audit(_operator(), "staff_unlock", at, f"{name} ({locked} locked addresses)", "command line")
    click.echo(f"Staff account '{name}' is unlocked ({locked} locked addresses); it may log in from anywhere.")


def _read_password() -> str:
    """Read a password from standard input, or ask for it twice at a terminal."""
    import sys

    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _operator() -> str:
    """Name the person at the server's terminal for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
