"""The report's figures for a chosen period, with server-drawn SVG charts and a CSV download, in names."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from ivr.clock import TIMEZONE
from ivr.core.model import Lang
from ivr.store.report import OFFICE_FIGURES, build_report, name_report, staff_csv
from ivr.web.admin import bp, hotline, lang, me, moment, records
from ivr.web.admin.edits import edit_base
from ivr.web.admin.errors import FIRST_DAY, day_arg
from ivr.web.admin.heavy import heavy
from ivr.web.admin.i18n import translate
from ivr.web.admin.keywords import MAX_KEYWORD, SENTENCE_SHOWN, missed, unit_choices

# The periods staff choose by name, in the order the page offers them; "custom" is the since-until form.
PERIODS = ("today", "this_week", "last_week", "this_month", "last_month", "custom")
DEFAULT_PERIOD = "this_month"
# The chart's geometry in SVG units: every bar has a row of its own, so no label can overlap another. A chart
# with a label wider than the room left of the bars writes each label whole on a line above its bar.
ROW = 22
LABEL_WIDTH = 120
BAR_WIDTH = 540
# Widths of a character at the charts' 13px font, in SVG units: Chinese and Korean ones are square, others narrow.
WIDE_CHARACTER, NARROW_CHARACTER, WIDE_FROM = 13.5, 8.0, 0x2E80
_WEEKDAYS = {"zh": "一二三四五六日", "ko": "월화수목금토일"}


@dataclass(frozen=True)
class Period:
    """The days a figure covers, both included, and the name staff chose them by."""

    name: str
    since: date
    until: date


def period_days(name: str, today: date) -> tuple[date, date]:
    """Return the first and last day of a named period around `today` (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    previous_month_end = first - timedelta(days=1)
    days = {
        "today": (today, today),
        "this_week": (monday, monday + timedelta(days=6)),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (first, first.replace(day=calendar.monthrange(first.year, first.month)[1])),
        "last_month": (previous_month_end.replace(day=1), previous_month_end),
    }
    return days[name]


def chosen_period() -> Period:
    """Return the period asked for: a named one (by default this month), or the since-until days given."""
    today = moment().astimezone(TIMEZONE).date()  # a frozen "now" may be written in any offset
    name = request.args.get("period")
    since_given, until_given = request.args.get("since"), request.args.get("until")
    if name not in PERIODS:
        name = "custom" if since_given or until_given else DEFAULT_PERIOD
    if name != "custom":
        return Period(name, *period_days(name, today))
    until = day_arg("until", until_given) or today
    since = day_arg("since", since_given) or max(until - timedelta(days=30), FIRST_DAY)
    return Period(name, *((since, until) if since <= until else (until, since)))


def day_words(day: date, language: Lang) -> str:
    """Write a day as staff read it: "2026年11月23日（星期一）", "2026년 11월 23일 (월)"."""
    weekday = _WEEKDAYS[language][day.weekday()]
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日（星期{weekday}）"
    return f"{day.year}년 {day.month}월 {day.day}일 ({weekday})"


@bp.get("/figures")
@heavy("busy_figures")
def figures() -> ResponseReturnValue:
    """Calls per day and hour, per office, menu choices by name, out-of-hours share, hang-ups, and the sentences
    callers said that reached no office (editors can add a word of one to an office's keywords)."""
    period = chosen_period()
    since, until = period.since, period.until
    named = name_report(build_report(records(), since, until), hotline(), lang())
    editor = me().may("editor")
    shown = translate("period_shown", lang(), name=translate(f"period_{period.name}", lang()),
                      since=day_words(since, lang()), until=day_words(until, lang()), days=(until - since).days + 1)
    return render_template("admin/figures.html", report=named, since=since, until=until, period=period,
                           periods=PERIODS, period_shown=shown, office_figures=OFFICE_FIGURES,
                           charts=_charts(named), row=ROW, label_width=LABEL_WIDTH, bar_width=BAR_WIDTH,
                           missed=missed(since, until), editor=editor, units=unit_choices() if editor else [],
                           base=edit_base() if editor else None, sentence_shown=SENTENCE_SHOWN,
                           max_keyword=MAX_KEYWORD)


@bp.get("/figures.csv")
@heavy("busy_figures")
def figures_csv() -> ResponseReturnValue:
    """The same figures as CSV rows in the console's language (section, id, name, detail, value), for Excel."""
    period = chosen_period()
    report = build_report(records(), period.since, period.until)
    body = staff_csv(report, hotline(), lang(), partial(translate, lang=lang()))
    return Response(body.encode("utf-8"), mimetype="text/csv", content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=hotline-{period.since}-{period.until}.csv"})


def _charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each chart as a title key and rows of (label, value, second value) for the SVG macro.

    The hours are those that had calls: a day's chart is not 24 rows mostly zero.
    """
    hours = [(f"{hour}:00", n, 0) for hour, n in report["calls_per_hour"].items()]
    choices = [(f"{menu} · {choice}", n, 0) for menu, counts in report["menu_choices"].items()
               for choice, n in counts.items()]
    forwarding = [(unit, f["answered"], f["attempts"] - f["answered"]) for unit, f in report["forwarding"].items()]
    share = report["out_of_hours"]
    charts: list[dict[str, Any]] = [
        {"title": "calls_per_day", "rows": [(day, n, 0) for day, n in report["calls_per_day"].items()]},
        {"title": "calls_per_hour", "rows": hours},
        {"title": "menu_choices", "rows": choices},
        {"title": "out_of_hours", "rows": [("%", round(share["share"] * 100), 100 - round(share["share"] * 100))]
         if report["calls"] else [], "stacked": True, "keys": ("out_of_hours", "in_hours")},
        {"title": "hang_ups", "rows": [(node, n, 0) for node, n in report["hang_ups"].items()]},
        {"title": "forwarding", "rows": forwarding, "stacked": True, "keys": ("answered", "not_answered")},
    ]
    for chart in charts:
        chart["above"] = any(label_width(str(label)) > LABEL_WIDTH - 8 for label, _, _ in chart["rows"])
    return charts


def label_width(label: str) -> float:
    """Return the width a label takes in a chart, in SVG units (at most: every font draws it narrower)."""
    return sum(WIDE_CHARACTER if ord(c) >= WIDE_FROM else NARROW_CHARACTER for c in label)
