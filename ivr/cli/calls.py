"""Trying the hotline as a caller: `ivr call` places a call in-process, `ivr find` says where a sentence leads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr.cli.common import MENUS_OPTION, MOMENT, load_or_exit, menus_dir_of, moment_or_now, outbox_of, settings
from ivr.cli.errors import CliError
from ivr.core.decision import DIAL_STATUSES
from ivr.core.model import LANGS, Hotline, Lang, Unit
from ivr.simulator import DEFAULT_CALLER, CallOutcome, Ending, KeySource, Line, Said

if TYPE_CHECKING:
    from flask import Flask

    from ivr.core.router import Routing


@click.command()
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
@MENUS_OPTION
def call(at: datetime | None, lang: Lang | None, keys: str | None, sentence: str | None, confidence: float,
         dial_status: str, caller: str, as_json: bool, record: bool, menus_dir: str | None) -> None:
    """Call the hotline in-process as the provider would, and print what the caller hears and what happens."""
    import tempfile

    from ivr.web import create_app

    load_or_exit(menus_dir)
    moment = moment_or_now(at)
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as scratch:
        real = settings()
        preview = real.for_preview(moment, Path(menus_dir_of(menus_dir)), Path(scratch))
        if record:  # kept in the real records only when asked: staff trying menus skew no report
            preview = preview.but(database_url=real.database_url, outbox_dir=outbox_of(real))
        app = create_app(preview)
        said = None
        if sentence is not None:
            said = Said(sentence, confidence or None)
            lang = lang or _language_of(sentence)
        _place_call(app, moment, lang, keys, dial_status, caller, as_json, said)
        if record:  # this process ends now: write the call before its background writer would
            app.extensions["ivr.recorder"].flush()


def _language_of(sentence: str) -> Lang:
    """Return the language a sentence is written in, told by its script: Hangul is Korean, the rest Chinese."""
    return "ko" if any("가" <= ch <= "힣" for ch in sentence) else "zh"


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


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the names shown (the sentence's own language is told by its script).")
@click.option("--confidence", type=click.FloatRange(0, 1),
              help="The recogniser's confidence (0-1), as a call gives it; below 0.5 never forwards.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking and the verdict as JSON.")
@MENUS_OPTION
def find(words: tuple[str, ...], lang: Lang, confidence: float | None, as_json: bool, menus_dir: str | None) -> None:
    """Find which office handles something, a word or what a caller says (失业金, 我想办离婚, 로임을 못 받았습니다):
    the offices ranked with their scores, the keys that reach them, and what the hotline does (the verdict)."""
    # Imported here: pypinyin's and zhconv's tables take a few hundred ms that other commands need not wait for.
    from ivr.core.router import Router

    hotline = load_or_exit(menus_dir)
    sentence = " ".join(words)
    spoken = _language_of(sentence)
    routing = Router.from_hotline(hotline).route(sentence, spoken, confidence)
    # Staff also look for words no caller would say alone (财务, an id): the plain search still answers them.
    mentioned = [] if routing.ranking else hotline.find_units(sentence)
    if as_json:
        answer = json.dumps(_routing_json(hotline, sentence, spoken, routing, mentioned), ensure_ascii=False, indent=2)
    elif not routing.ranking and not mentioned:
        answer = (f"No unit mentions '{sentence}'; a caller saying it is not put through (verdict: none). "
                  "Try a shorter word, or `ivr tree` for all of them.")
    else:
        answer = "\n".join([*(f"{_found_line(hotline, hotline.units[unit_id], lang)}  score {score:.2f}"
                              for unit_id, score in routing.ranking),
                            *(_found_line(hotline, unit, lang) for unit in mentioned),
                            _verdict_line(hotline, routing, lang, bool(mentioned))])
    if not routing.ranking and not mentioned:  # like grep: nothing found is a failure a script can test
        raise CliError(answer=answer)
    click.echo(answer)


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


COMMANDS: tuple[click.Command, ...] = (call, find)
