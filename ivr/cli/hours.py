"""`ivr hours`: whether the offices are open at a moment, when they open next, and their hours as callers hear them."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ivr.cli.common import MENUS_OPTION, MOMENT, load_or_exit, moment_or_now, resolve_unit
from ivr.core.model import LANGS, Hotline, Lang
from ivr.core.schedule import OfficeHours, Status
from ivr.core.speech import say_hours, say_moment


@click.command()
@click.argument("unit", required=False)
@click.option("--at", type=MOMENT, help="The moment to check (default: now, or IVR_FROZEN_TIME).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per unit.")
@MENUS_OPTION
def hours(unit: str | None, at: datetime | None, as_json: bool, menus_dir: str | None) -> None:
    """Tell whether every unit (or one: its id or its name, 婚姻登记处) is open at a moment, and when it opens next."""
    hotline = load_or_exit(menus_dir)
    moment = moment_or_now(at)
    office_hours = OfficeHours(hotline)
    chosen = [resolve_unit(hotline, unit, "UNIT")] if unit else list(hotline.units.values())
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


COMMANDS: tuple[click.Command, ...] = (hours,)
