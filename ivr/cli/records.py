"""What the call records hold: `ivr voicemail …` (messages waiting for a call back), `ivr report`, `ivr purge`."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr.cli.common import database_errors, load_hotline_quietly, moment_or_now, open_store, settings
from ivr.cli.errors import CliError
from ivr.core.model import LANGS, Lang, UnknownUnit
from ivr.redact import mask_number

if TYPE_CHECKING:
    from ivr.store.database import Voicemail


@click.group()
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
    unit_id, unknown = _unit_id(unit)
    messages = open_store().voicemails(unit=unit_id, status=status)
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


def _unit_id(unit: str | None) -> tuple[str | None, UnknownUnit | None]:
    """Return the unit id a --unit names (its id or its name), and why it names none in today's menus, if so."""
    known = load_hotline_quietly() if unit else None
    if unit and known is not None:
        try:
            return known.resolve_unit(unit).id, None
        except UnknownUnit as exc:
            return unit, exc  # messages of a unit since removed from the menus are still listed by its id
    return unit, None


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
    if not open_store().mark_called_back(voicemail_id, moment_or_now(None)):
        raise CliError(f"There is no voice message {voicemail_id}; `ivr voicemail list` shows them.")
    click.echo(f"Voice message {voicemail_id} is marked as called back.")


@voicemail.command("fetch")
@click.argument("voicemail_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The file to write (default: RECORDING_SID.wav).")
@database_errors
def voicemail_fetch(voicemail_id: int, output: str | None) -> None:
    """Save a voice message's recording, fetched from the provider's API with the account's credentials."""
    from ivr.recordings import RecordingError, fetch_recording

    found = open_store().voicemails(voicemail_id=voicemail_id)
    if not found or not found[0].recording_url:
        raise CliError(f"There is no recording of voice message {voicemail_id}; "
                       "`ivr voicemail list` shows the messages.")
    message = found[0]
    config = settings()
    try:
        data = fetch_recording(message.recording_url or "", config.provider_api_url, config.account_sid,
                               config.auth_token)
    except RecordingError as exc:
        raise CliError(str(exc)) from exc
    target = Path(output or f"{message.recording_sid}.wav")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise CliError(f"Could not write {target}: {exc.strerror or exc}.") from exc
    click.echo(f"Voice message {voicemail_id} ({message.duration or 0} s) saved to {target}.")


@click.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, help="Age in days.")
@click.option("--include-new", is_flag=True, help="Also remove voice messages not yet called back.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed, and remove nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
@database_errors
def purge(days: int, include_new: bool, dry_run: bool, yes: bool) -> None:
    """Remove call records and voice messages older than DAYS days, and say how many.

    Voice messages not yet called back are kept unless --include-new.
    """
    store = open_store()
    before = moment_or_now(None) - timedelta(days=days)
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


@click.command()
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

    last = until.date() if until else moment_or_now(None).date()
    first = since.date() if since else last - timedelta(days=30)
    if first > last:
        raise click.BadParameter(f"--since {first} is after --until {last}", param_hint="--since")
    store = open_store()
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
            raise CliError(f"Could not write the chart to {chart}: {exc.strerror or exc}.") from exc
        click.echo(f"Chart written to {chart}.", err=True)


COMMANDS: tuple[click.Command, ...] = (voicemail, purge, report)
