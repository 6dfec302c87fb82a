"""The read-only pages: who is open now, the month calendar, the menu tree, the service's health, the audit log."""

from __future__ import annotations

import calendar as monthly
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from ivr.core.calendar import Day
from ivr.core.decision import Ask, Event, Node, NodeKind, Say, Step
from ivr.core.flow import CallFlow
from ivr.core.model import LANGS, Hotline, Lang, Menu, Unit
from ivr.core.schedule import OfficeHours, Status
from ivr.core.speech import menu_seconds, say_moment
from ivr.web.admin import bp, hotline, lang, moment, requires, staff_store
from ivr.web.admin.errors import BadParameter, month_arg
from ivr.web.admin.i18n import translate
from ivr.web.admin.said import prompt_title
from ivr.web.health import health_status
from ivr.web.menus import MenuStore


@bp.get("/")
def now() -> ResponseReturnValue:
    """Every unit open or closed this minute, why, and when it opens next; today's holiday in a banner."""
    current, chosen = hotline(), lang()
    at = OfficeHours(current).local(moment())
    hours = OfficeHours(current)
    rows = [_status_row(current, hours.status(unit, at), chosen) for unit in current.units.values()]
    return render_template("admin/now.html", at=at, rows=rows, banner=_banner(hours, at.date(), chosen))


def _status_row(current: Hotline, status: Status, chosen: Lang) -> dict[str, Any]:
    unit = current.units[status.unit_id]
    reason = translate(f"reason_{status.reason}", chosen) if not status.open else ""
    if status.reason_name:
        reason += f"：{status.reason_name(chosen)}" if chosen == "zh" else f": {status.reason_name(chosen)}"
    return {"unit": unit, "name": unit.name(chosen), "phone": unit.phone, "open": status.open,
            "closes_at": status.closes_at, "reason": reason,
            "next_open": say_moment(status.next_open, status.at, chosen) if status.next_open else None,
            "next_open_at": status.next_open}


def _banner(hours: OfficeHours, today: date, chosen: Lang) -> str | None:
    """Say when today is a holiday, a make-up working day or a closure of the whole bureau."""
    kind, verdict = _day_kind(hours, hours.hotline.operator, today)
    if kind == "holiday" and verdict.name:
        return translate("today_holiday", chosen, name=verdict.name(chosen))
    if kind == "closure" and verdict.name:
        return translate("today_closure", chosen, name=verdict.name(chosen))
    if kind == "makeup":
        name = verdict.name(chosen) if verdict.name else translate("day_makeup", chosen)
        return translate("today_makeup", chosen, name=name)
    return None


def _day_kind(hours: OfficeHours, unit: Unit, day: date) -> tuple[str, Day]:
    """Say what kind of day it is for a unit: open, weekend, holiday, closure, or a make-up working day."""
    verdict, _ = hours.periods_on(unit, day)
    if verdict.working and day.weekday() not in hours.week(unit, day).weekdays:
        return "makeup", verdict
    return verdict.reason, verdict


@dataclass(frozen=True)
class CalendarDay:
    """One square of the month calendar."""

    day: date | None
    kind: str  # open, weekend, holiday, makeup, closure, blank
    name: str
    today: bool


@bp.get("/calendar")
def calendar() -> ResponseReturnValue:
    """A month per unit: working days, weekends, holidays, make-up working days and closures at a glance."""
    current, chosen = hotline(), lang()
    today = OfficeHours(current).local(moment()).date()
    unit = current.units.get(request.args.get("unit") or current.operator_id)
    if unit is None:
        raise BadParameter("unit", request.args.get("unit"), "expect_unit")
    month = month_arg("month", request.args.get("month")) or today.replace(day=1)
    hours = OfficeHours(current)
    weeks = []
    for week in monthly.Calendar().monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(CalendarDay(None, "blank", "", False))
                continue
            kind, verdict = _day_kind(hours, unit, day)
            row.append(CalendarDay(day, kind, verdict.name(chosen) if verdict.name else "", day == today))
        weeks.append(row)
    return render_template("admin/calendar.html", unit=unit, units=list(current.units.values()), month=month,
                           weeks=weeks, weekdays=translate("weekdays", chosen).split())


@bp.get("/menu")
def menu() -> ResponseReturnValue:
    """The whole key tree in both languages, with units, numbers, recordings and speaking times."""
    current = hotline()
    flow = CallFlow(current)
    at = moment()
    tree = [_menu_view(current, flow, current.menus[current.main_menu], at, depth=0, path="")]
    prompts = [{"id": prompt.id, "title": prompt_title(prompt, lang()),
                "text": {code: prompt.text(code) for code in LANGS},
                "audio": {code: prompt.audio.get(code) for code in LANGS}} for prompt in current.prompts.values()]
    return render_template("admin/menu.html", tree=_flatten(tree), prompts=prompts, langs=LANGS,
                           operator=current.operator)


def _menu_view(current: Hotline, flow: CallFlow, menu: Menu, at: Any, depth: int, path: str) -> dict[str, Any]:
    """Describe a menu and, below it, its submenus, as the tree page shows them."""
    options = []
    for option in menu.options:
        unit = current.units.get(option.unit) if option.unit else None
        child = (_menu_view(current, flow, current.menus[option.menu], at, depth + 1, path + option.key)
                 if option.menu else None)
        options.append({"key": option.key, "path": path + option.key, "label": option.label, "unit": unit,
                        "line": current.line_of(unit) if unit else None, "child": child})
    spoken = {}
    for code in LANGS:
        prompts = _menu_prompts(flow, menu, code, at)
        spoken[code] = {"text": " ".join(p.text for p in prompts), "seconds": menu_seconds(menu, current.prompts, code)}
    return {"menu": menu, "depth": depth, "path": path, "options": options, "spoken": spoken}


def _menu_prompts(flow: CallFlow, menu: Menu, code: Lang, at: Any) -> tuple[Say, ...]:
    """Return what a caller hears on arriving at a menu, as the call flow decides it."""
    decision = flow.decide(Step(Node(NodeKind.MENU, menu.id), code), Event(), at)
    ask = decision.actions[0]
    return ask.prompts if isinstance(ask, Ask) else ()


def _flatten(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """List the menus depth first, each followed by its submenus."""
    flat: list[dict[str, Any]] = []
    for node in tree:
        flat.append(node)
        flat.extend(_flatten([o["child"] for o in node["options"] if o["child"]]))
    return flat


@bp.get("/health")
def health() -> ResponseReturnValue:
    """The menus in use and any rejected edit, the database, and the call events waiting."""
    current = hotline()
    status = health_status()  # first: it looks at the folder again
    menus: MenuStore = current_app.extensions["ivr.menus"]
    return render_template("admin/health.html", health=status, hotline=current,
                           rejected=menus.state().rejected_problems)


@bp.get("/audit")
@requires("admin")
def audit_log() -> ResponseReturnValue:
    """The newest logins, failed logins and changes, with who, when and from where (admins only)."""
    return render_template("admin/audit.html", entries=staff_store().audit_entries())
