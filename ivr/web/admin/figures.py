"""The report's figures for a chosen period, with server-drawn SVG charts and a CSV download, in names."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from ivr.store.report import build_report, name_report, report_csv
from ivr.web.admin import bp, hotline, lang, me, moment, records
from ivr.web.admin.edits import edit_base
from ivr.web.admin.errors import FIRST_DAY, day_arg
from ivr.web.admin.heavy import heavy
from ivr.web.admin.keywords import MAX_KEYWORD, SENTENCE_SHOWN, missed, unit_choices

DEFAULT_DAYS = 30
# The chart's geometry in SVG units: every bar has a row of its own, so no label can overlap another.
ROW = 22
LABEL_WIDTH = 300
BAR_WIDTH = 360


@bp.get("/figures")
@heavy("busy_figures")
def figures() -> ResponseReturnValue:
    """Calls per day and hour, menu choices by name, out-of-hours share, hang-ups and forwarding per unit, and
    the sentences callers said that reached no office (editors can add a word of one to an office's keywords)."""
    since, until = _period()
    named = _named_report(since, until)
    editor = me().may("editor")
    return render_template("admin/figures.html", report=named, since=since, until=until, charts=_charts(named),
                           row=ROW, label_width=LABEL_WIDTH, bar_width=BAR_WIDTH, missed=missed(since, until),
                           editor=editor, units=unit_choices() if editor else [], base=edit_base() if editor else None,
                           sentence_shown=SENTENCE_SHOWN, max_keyword=MAX_KEYWORD)


@bp.get("/figures.csv")
@heavy("busy_figures")
def figures_csv() -> ResponseReturnValue:
    """The same figures as CSV rows: section, key, detail, value."""
    since, until = _period()
    return Response(report_csv(_named_report(since, until)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=hotline-{since}-{until}.csv"})


def _named_report(since: date, until: date) -> dict[str, Any]:
    return name_report(build_report(records(), since, until), hotline(), lang())


def _period() -> tuple[date, date]:
    """Return the chosen period, by default the 30 days up to today."""
    today = moment().date()
    until = day_arg("until", request.args.get("until")) or today
    since = day_arg("since", request.args.get("since")) or max(until - timedelta(days=DEFAULT_DAYS), FIRST_DAY)
    return (since, until) if since <= until else (until, since)


def _charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each chart as a title key and rows of (label, value, second value) for the SVG macro."""
    hours = [(f"{h:02d}:00", report["calls_per_hour"].get(f"{h:02d}", 0), 0) for h in range(24)]
    choices = [(f"{menu} · {choice}", n, 0) for menu, counts in report["menu_choices"].items()
               for choice, n in counts.items()]
    forwarding = [(unit, f["answered"], f["attempts"] - f["answered"]) for unit, f in report["forwarding"].items()]
    share = report["out_of_hours"]
    return [
        {"title": "calls_per_day", "rows": [(day, n, 0) for day, n in report["calls_per_day"].items()]},
        {"title": "calls_per_hour", "rows": hours if report["calls"] else []},
        {"title": "menu_choices", "rows": choices},
        {"title": "out_of_hours", "rows": [("%", round(share["share"] * 100), 100 - round(share["share"] * 100))]
         if report["calls"] else [], "stacked": True, "keys": ("out_of_hours", "in_hours")},
        {"title": "hang_ups", "rows": [(node, n, 0) for node, n in report["hang_ups"].items()]},
        {"title": "forwarding", "rows": forwarding, "stacked": True, "keys": ("answered", "not_answered")},
    ]
