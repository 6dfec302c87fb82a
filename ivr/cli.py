"""The `ivr` command: validate and explore the menus, check office hours, run and call the hotline."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import click

from ivr.clock import ClockError, now, parse_moment
from ivr.core.calendar import coverage_warnings
from ivr.core.loader import check_hotline, load_hotline
from ivr.core.model import LANGS, Hotline, Lang, Menu
from ivr.core.problems import MenuError
from ivr.core.schedule import OfficeHours, Status
from ivr.core.speech import say_moment
from ivr.paths import default_menus_dir

MENUS_OPTION_HELP = "The menus folder (default: IVR_MENUS_DIR, else the bundled menus/)."


def _menus_dir(value: str | None) -> str:
    if value:
        return value
    bundled = default_menus_dir()
    try:
        return str(bundled.relative_to(Path.cwd()))
    except ValueError:
        return str(bundled)


def load_or_exit(menus_dir: str | None) -> Hotline:
    """Load the menus for a command, or print every error and exit 1."""
    try:
        return load_hotline(_menus_dir(menus_dir))
    except MenuError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tumen hotline IVR: menus, office hours, the webhook service and a call simulator."""


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
    return at or now(os.environ.get("IVR_FROZEN_TIME"))


@main.command()
@click.argument("menus_dir", required=False, type=click.Path(file_okay=False))
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Check calendar coverage as of this day.")
def validate(menus_dir: str | None, today: datetime | None) -> None:
    """Check every menu file; print each problem with file:line, or a one-line summary."""
    shown = _menus_dir(menus_dir)
    hotline, problems = check_hotline(shown)
    if hotline is not None:
        day: date = today.date() if today else _moment_or_now(None).date()
        problems = problems + coverage_warnings(hotline, day)
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if hotline is None:
        click.echo(f"{shown}: {_count(errors, 'error')}, {_count(warnings, 'warning')}; "
                   "the menus were not loaded, fix the errors above.")
        raise SystemExit(1)
    click.echo(
        f"{shown}: OK, {_count(len(hotline.units), 'unit')}, {_count(len(hotline.menus), 'menu')}, "
        f"{_count(len(hotline.prompts), 'prompt')} in {len(hotline.languages)} languages; "
        f"{_count(warnings, 'warning')}."
    )


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
@click.argument("unit_id", required=False)
@click.option("--at", type=MOMENT, help="The moment to check (default: now, or IVR_FROZEN_TIME).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per unit.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
def hours(unit_id: str | None, at: datetime | None, as_json: bool, menus_dir: str | None) -> None:
    """Tell whether every unit (or one) is open at a moment, why not, and when it opens next."""
    hotline = load_or_exit(menus_dir)
    if unit_id is not None and unit_id not in hotline.units:
        raise click.BadParameter(f"'{unit_id}' is not a unit; `ivr tree` lists them", param_hint="UNIT_ID")
    moment = _moment_or_now(at)
    office_hours = OfficeHours(hotline)
    chosen = [hotline.units[unit_id]] if unit_id else list(hotline.units.values())
    statuses = [office_hours.status(unit, moment) for unit in chosen]
    if as_json:
        click.echo(json.dumps([_status_json(hotline, s) for s in statuses], ensure_ascii=False, indent=2))
        return
    click.echo(f"At {moment.isoformat()}:")
    for status in statuses:
        click.echo(_status_line(hotline, status))


def _status_json(hotline: Hotline, status: Status) -> dict[str, object]:
    unit = hotline.units[status.unit_id]
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
