"""The figures staff need: calls per day and hour, menu choices, out-of-hours share, hang-ups, forwarding, messages."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, func, literal, or_, select, text
from sqlalchemy.engine import Connection

from ivr.clock import TIMEZONE
from ivr.core.decision import Node, NodeKind
from ivr.core.model import OPERATOR_KEY, Hotline, Lang
from ivr.core.names import choice_name, node_name, unit_name
from ivr.store.database import Store, local, translate_errors
from ivr.store.tables import calls, steps, voicemails

# Outcomes after which a call that ends has been served, not abandoned.
SERVED = ("forwarded", "operator", "connected", "voicemail_saved")
# The hotline itself said goodbye: after too many tries with no valid key while the bureau was closed.
GAVE_UP = "goodbye"
ANSWERED = ("completed", "answered")


# The figures are counted by the database (GROUP BY), not kept as daily totals by the records writer: a call's
# figures change as its events arrive (late, out of order, twice: the hang-up place, the out-of-hours answer, the
# end), so totals kept on the write would have to take back what each upsert replaced, on the caller's path, and
# would drift from the rows after a purge. Counted where the rows are, the figures are always the rows' own; the
# database reads the period's rows once per query and hands back a row per hour, menu key, unit and status.
# Bounded by the time of the bare aggregates over the same rows (bench/datascale.py), with memory that grows
# with days and offices, not calls.
REPORT_STATEMENT_MS = 120_000  # a five-year report reads millions of rows: far more than a step's 800 ms


@translate_errors
def build_report(store: Store, since: date, until: date) -> dict[str, Any]:
    """Return every figure for the calls from `since` to `until`, both days included."""
    start = TIMEZONE.localize(datetime.combine(since, time()))
    end = TIMEZONE.localize(datetime.combine(until + timedelta(days=1), time()))
    with store.engine.connect() as connection:
        # One snapshot for every query, so that the figures add up while the records writer writes.
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL statement_timeout = {REPORT_STATEMENT_MS}"))
            else:  # the sqlite3 module begins a transaction only before a write: begin the read one here
                connection.exec_driver_sql("BEGIN")
            return _figures(connection, since, until, start, end)


def _figures(connection: Connection, since: date, until: date, start: datetime, end: datetime) -> dict[str, Any]:
    """Count the figures of the calls in the period with a few GROUP BY queries."""
    in_period = and_(calls.c.started_at >= start, calls.c.started_at < end)
    hour = _local_hour(connection.dialect.name)
    per_hour_rows = connection.execute(
        select(hour, func.count(), func.count().filter(calls.c.out_of_hours.is_(True)))
        .where(in_period).group_by(hour)).all()
    ended_rows = connection.execute(
        select(calls.c.last_node, calls.c.last_outcome, calls.c.ended_at.is_not(None), func.count())
        .where(in_period).group_by(calls.c.last_node, calls.c.last_outcome, calls.c.ended_at.is_not(None))).all()
    step_rows = connection.execute(
        select(steps.c.node, steps.c.digits, steps.c.dial_status, func.count())
        .join_from(steps, calls, steps.c.call_sid == calls.c.call_sid)
        .where(in_period, or_(steps.c.digits.is_not(None), steps.c.dial_status.is_not(None)))
        .group_by(steps.c.node, steps.c.digits, steps.c.dial_status)).all()
    waiting = connection.execute(select(voicemails.c.unit_id, func.count())
                                 .where(voicemails.c.status == "new").group_by(voicemails.c.unit_id)).all()
    reached_rows = connection.execute(_reached_query(in_period)).all()
    left_rows = connection.execute(
        select(voicemails.c.unit_id, func.count()).where(voicemails.c.received_at >= start,
                                                         voicemails.c.received_at < end)
        .group_by(voicemails.c.unit_id)).all()
    per_day: Counter[str] = Counter()
    per_hour: Counter[str] = Counter()
    for moment, n, _ in per_hour_rows:
        per_day[moment[:10]] += n
        per_hour[moment[11:13]] += n
    total = sum(per_day.values())
    out_of_hours = sum(n for _, _, n in per_hour_rows)
    waiting_per_unit: Counter[str] = Counter()
    for unit, n in waiting:
        waiting_per_unit[unit or "?"] += n
    return {
        "period": {"since": since.isoformat(), "until": until.isoformat()},
        "calls": total,
        "calls_per_day": dict(sorted(per_day.items())),
        "calls_per_hour": dict(sorted(per_hour.items())),
        "menu_choices": _menu_choices(step_rows),
        "out_of_hours": {"calls": out_of_hours, "share": round(out_of_hours / total, 4) if total else 0.0},
        "hang_ups": _hang_ups(ended_rows),
        "goodbyes_after_retries": sum(n for _, outcome, _, n in ended_rows if outcome == GAVE_UP),
        "forwarding": _forwarding(step_rows),
        "messages_waiting": {"total": sum(waiting_per_unit.values()), "per_unit": dict(sorted(
            waiting_per_unit.items()))},
        "offices": _offices(reached_rows, step_rows, left_rows),
    }


# Outcomes of a step at which the caller reached an office (a unit, or the operator): put through, or told it
# is closed. The office's own answer comes at a later step, the dialed one (its dial status).
_ASKED = ("forwarded", "operator", "closed")
_PUT_THROUGH = ("forwarded", "operator")
# What an office's line did with a forward, as staff count it; a forward the caller gave up on while it rang
# ("canceled") was not answered either.
DIAL_COLUMNS = {"busy": "busy", "no-answer": "no_answer", "canceled": "no_answer", "failed": "failed"}
OFFICE_FIGURES = ("asked", "by_key", "by_speech", "put_through", "answered", "busy", "no_answer", "failed",
                  "after_hours", "messages")


def _reached_query(in_period: Any) -> Any:
    """Per office: the calls that reached it (by key or by a sentence), the forwards, the calls told it is closed.

    A sentence reaches an office at the step that heard it, or at the confirmation step that follows it (the
    node "confirm:..."): both are "by speech"; every other step reaching an office was a key.
    """
    spoken = or_(steps.c.speech.is_not(None), steps.c.node.like("confirm:%"))
    sid = steps.c.call_sid

    def calls_where(condition: Any) -> Any:
        return func.count(func.distinct(case((condition, sid))))

    return (select(steps.c.unit_id, func.count(func.distinct(sid)), calls_where(~spoken), calls_where(spoken),
                   func.count().filter(steps.c.outcome.in_(_PUT_THROUGH)),
                   calls_where(steps.c.outcome == "closed"))
            .join_from(steps, calls, sid == calls.c.call_sid)
            .where(in_period, steps.c.outcome.in_(_ASKED), steps.c.unit_id.is_not(None))
            .group_by(steps.c.unit_id))


def _offices(reached_rows: Sequence[Any], step_rows: Sequence[Any],
             left_rows: Sequence[Any]) -> dict[str, dict[str, int]]:
    """Per office: asked, by key, by speech, put through, answered, busy, no answer, failed, after hours, messages.

    "asked" and "after_hours" count calls (one call reaching an office twice counts once); "put_through" and
    the line's answers count forwards; "messages" the voice messages left for the office in the period.
    """
    offices: dict[str, Counter[str]] = defaultdict(Counter)
    for unit, asked, by_key, by_speech, put_through, after_hours in reached_rows:
        offices[unit].update(asked=asked, by_key=by_key, by_speech=by_speech, put_through=put_through,
                             after_hours=after_hours)
    for node, _, dial_status, n in step_rows:
        place = Node.read(node) if dial_status else None
        if place is not None and place.kind == NodeKind.DIALED:
            column = "answered" if dial_status in ANSWERED else DIAL_COLUMNS.get(dial_status)
            if column is not None:
                offices[place.target][column] += n
    for unit, n in left_rows:
        if unit is not None:
            offices[unit]["messages"] += n
    return {unit: {name: counts[name] for name in OFFICE_FIGURES} for unit, counts in sorted(offices.items())}


def _local_hour(dialect: str) -> Any:
    """Return the hour a call started, in Shanghai, as text "2026-11-26 09" (the database computes it).

    SQLite holds each moment as the text of its Shanghai time (the store writes `local(...)`, and SQLAlchemy's
    DateTime on SQLite keeps no offset), so the hour is the text's first 13 characters. PostgreSQL holds an
    instant, read in the bureau's zone by name (China has kept +08:00 without daylight saving since 1991).
    """
    if dialect == "postgresql":
        return func.to_char(func.timezone(TIMEZONE.zone, calls.c.started_at), "YYYY-MM-DD HH24")
    return func.substr(calls.c.started_at, 1, 13)


# What a caller can press: a "." (no key, written by a simulated call) or any other character is no choice.
KEYPAD = re.compile(r"[0-9*#]+")


def _menu_choices(step_rows: Sequence[Any]) -> dict[str, dict[str, int]]:
    """Count the keys pressed in each menu: {"menu:main": {"2": 14, ...}}."""
    choices: dict[str, Counter[str]] = defaultdict(Counter)
    for node, digits, _, n in step_rows:
        if digits and KEYPAD.fullmatch(digits) and _kind(node) == NodeKind.MENU:
            choices[node][digits] += n
    return {node: dict(sorted(counts.items())) for node, counts in sorted(choices.items())}


def _kind(node: str) -> NodeKind | None:
    """Return the kind of a recorded node, or None for one no flow writes."""
    place = Node.read(node)
    return place.kind if place is not None else None


def _hang_ups(ended_rows: Sequence[Any]) -> dict[str, int]:
    """Count, per node, the calls that ended there without being put through or leaving a message.

    Most frequent first; nodes counted as often, by name (the order no longer depends on the rows' order).
    """
    nodes: Counter[str] = Counter()
    for node, outcome, ended, n in ended_rows:
        if ended and outcome not in (*SERVED, GAVE_UP):
            nodes[node or "start"] += n
    return dict(sorted(nodes.items(), key=lambda item: (-item[1], item[0])))


def _forwarding(step_rows: Sequence[Any]) -> dict[str, dict[str, int]]:
    """Per unit: forwards attempted, answered, and each way one failed."""
    units: dict[str, Counter[str]] = defaultdict(Counter)
    for node, _, dial_status, n in step_rows:
        place = Node.read(node) if dial_status else None
        if place is not None and place.kind == NodeKind.DIALED:
            unit = place.target
            units[unit]["attempts"] += n
            units[unit]["answered" if dial_status in ANSWERED else dial_status] += n
    return {unit: {"attempts": c["attempts"], "answered": c["answered"],
                   **{k: v for k, v in sorted(c.items()) if k not in ("attempts", "answered")}}
            for unit, c in sorted(units.items())}


def name_report(report: dict[str, Any], hotline: Hotline, lang: Lang) -> dict[str, Any]:
    """Return the report with menus, keys, units and call places named in words instead of internal ids."""
    waiting = report["messages_waiting"]
    return {
        **report,
        "menu_choices": {node_name(hotline, node, lang): {
            choice_name(hotline, node, key, lang): n for key, n in counts.items() if _is_choice(hotline, node, key)}
            for node, counts in report["menu_choices"].items()},
        "hang_ups": {node_name(hotline, node, lang): n for node, n in report["hang_ups"].items()},
        "forwarding": {unit_name(hotline, unit, lang): figures for unit, figures in report["forwarding"].items()},
        "messages_waiting": {"total": waiting["total"], "per_unit": {
            unit_name(hotline, unit, lang): n for unit, n in waiting["per_unit"].items()}},
        "offices": _named_offices(report.get("offices", {}), hotline, lang),
    }


def _is_choice(hotline: Hotline, node: str, key: str) -> bool:
    """Whether a key pressed at a menu chose one of its options (or the operator); a wrong key chose nothing."""
    place = Node.read(node)
    menu = hotline.menus.get(place.target) if place is not None else None
    if menu is None:  # a menu since removed: its keys are shown as pressed
        return True
    return menu.option(key) is not None or key == OPERATOR_KEY


def _named_offices(offices: dict[str, dict[str, int]], hotline: Hotline, lang: Lang) -> list[dict[str, Any]]:
    """Every office with a phone of its own (and the operator), in the menus' order, then any other office the
    records name; each row {"id", "name", and the figures}, zeros for an office nobody asked for."""
    ids = [hotline.operator.id] + [u.id for u in hotline.units.values() if u.phone and u.id != hotline.operator.id]
    ids += [unit for unit in offices if unit not in ids]
    zero = dict.fromkeys(OFFICE_FIGURES, 0)
    return [{"id": unit, "name": unit_name(hotline, unit, lang), **offices.get(unit, zero)} for unit in ids]


def report_text(report: dict[str, Any]) -> str:
    """Write the report for a person reading a terminal."""
    lines = [f"Calls {report['period']['since']} to {report['period']['until']}: {report['calls']}",
             f"Out of hours: {report['out_of_hours']['calls']} ({report['out_of_hours']['share']:.0%})",
             f"Messages waiting for a call back: {report['messages_waiting']['total']}", "", "Calls per day:"]
    lines += [f"  {day}  {count}" for day, count in report["calls_per_day"].items()]
    lines += ["", "Calls per hour:"] + [f"  {hour}:00  {count}" for hour, count in report["calls_per_hour"].items()]
    lines += ["", "Menu choices:"]
    for node, counts in report["menu_choices"].items():
        lines.append(f"  {node}: " + ", ".join(f"{choice} pressed {n}×" for choice, n in counts.items()))
    lines += ["", "Where callers hang up:"] + [f"  {node}  {n}" for node, n in report["hang_ups"].items()]
    lines += [f"Ended by the hotline after too many tries: {report['goodbyes_after_retries']}"]
    lines += ["", "Forwarding per unit (answered / attempts):"]
    for unit, figures in report["forwarding"].items():
        failures = ", ".join(f"{k} {v}" for k, v in figures.items() if k not in ("attempts", "answered"))
        lines.append(f"  {unit}  {figures['answered']}/{figures['attempts']}" + (f" ({failures})" if failures else ""))
    lines += ["", "Per office: " + ", ".join(OFFICE_FIGURES)]
    for office in _office_rows(report):
        lines.append(f"  {office['name']}  " + " ".join(str(office[name]) for name in OFFICE_FIGURES))
    return "\n".join(lines)


def report_csv(report: dict[str, Any]) -> str:
    """Write the report as CSV rows: section, key, detail, value (English section names, for scripts)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def write(row: list[Any]) -> None:
        writer.writerow([_cell(value) for value in row])

    write(["section", "key", "detail", "value"])
    write(["calls", "", "", report["calls"]])
    write(["out_of_hours", "", "share", report["out_of_hours"]["share"]])
    write(["out_of_hours", "", "calls", report["out_of_hours"]["calls"]])
    write(["messages_waiting", "", "total", report["messages_waiting"]["total"]])
    write(["goodbyes_after_retries", "", "", report["goodbyes_after_retries"]])
    for section in ("calls_per_day", "calls_per_hour", "hang_ups"):
        for key, value in report[section].items():
            write([section, key, "", value])
    for section in ("menu_choices", "forwarding"):
        for key, figures in report[section].items():
            for detail, value in figures.items():
                write([section, key, detail, value])
    for office in _office_rows(report):
        for figure in OFFICE_FIGURES:
            write(["offices", office["name"], figure, office[figure]])
    return out.getvalue()


def _office_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the report's offices as rows with a "name": the named report's list, or the ids of a raw one."""
    offices = report.get("offices", {})
    return offices if isinstance(offices, list) else [{"name": unit, **figures} for unit, figures in offices.items()]


# Excel reads a CSV file as the system's code page (GBK in China) unless it starts with this byte-order mark.
BOM = "\ufeff"


def staff_csv(report: dict[str, Any], hotline: Hotline, lang: Lang, say: Callable[[str], str]) -> str:
    """Write the report for a spreadsheet in the staff's language: a byte-order mark, then rows of section, id,
    name, detail, value, where `say` gives the words of the headers and sections (the console's catalogue)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)

    def write(*row: Any) -> None:
        writer.writerow([_cell(value) for value in row])

    write(say("csv_section"), say("csv_id"), say("csv_name"), say("csv_detail"), say("csv_value"))
    write(say("calls"), "", "", "", report["calls"])
    write(say("out_of_hours"), "", "", say("csv_calls"), report["out_of_hours"]["calls"])
    write(say("out_of_hours"), "", "", say("csv_share"), report["out_of_hours"]["share"])
    write(say("goodbyes_after_retries"), "", "", "", report["goodbyes_after_retries"])
    for day, n in report["calls_per_day"].items():
        write(say("calls_per_day"), "", day, "", n)
    for hour, n in report["calls_per_hour"].items():
        write(say("calls_per_hour"), "", f"{hour}:00", "", n)
    for office in _named_offices(report.get("offices", {}), hotline, lang):
        for figure in OFFICE_FIGURES:
            write(say("offices"), office["id"], office["name"], say(f"office_{figure}"), office[figure])
    for node, counts in report["menu_choices"].items():
        for key, n in counts.items():
            if _is_choice(hotline, node, key):
                write(say("menu_choices"), f"{node} {key}", node_name(hotline, node, lang),
                      choice_name(hotline, node, key, lang), n)
    for node, n in report["hang_ups"].items():
        write(say("hang_ups"), node, node_name(hotline, node, lang), "", n)
    write(say("messages_waiting"), "", "", "", report["messages_waiting"]["total"])
    for unit, n in report["messages_waiting"]["per_unit"].items():
        write(say("messages_waiting"), unit, unit_name(hotline, unit, lang), "", n)
    return out.getvalue()


# A spreadsheet opening the CSV runs a cell starting with one of these as a formula (CSV injection): names come
# from the menus and the records, so such a cell is written with a leading ' and shown as the text it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def report_chart(report: dict[str, Any], path: str, named: dict[str, Any] | None = None) -> None:
    """Draw the report (its `named` version's labels when given) as one PNG; the figures are in its metadata."""
    figure = report_figure(named or report, named=named is not None)
    figure.savefig(path, format="png", dpi=100, metadata={"Description": json.dumps(report, ensure_ascii=True)})
    import matplotlib.pyplot as plt

    plt.close(figure)


# Fonts tried in turn, so that Chinese and Korean names are drawn (Debian: fonts-wqy-microhei).
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK KR", "DejaVu Sans"]
LABEL_POINTS = 8
LONGEST_LABEL = 22


def report_figure(report: dict[str, Any], named: bool = True) -> Any:
    """Draw the report's charts on one 16 x 9 inch figure whose labels never overlap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Set for the whole process: fonts are looked up when the figure is drawn, after this function returns.
    matplotlib.rcParams["font.sans-serif"] = CJK_FONTS + [
        name for name in matplotlib.rcParams["font.sans-serif"] if name not in CJK_FONTS]
    figure, axes = plt.subplots(2, 3, figsize=(16, 9), layout="constrained")
    waiting = report["messages_waiting"]["total"]
    figure.suptitle(
        f"Tumen hotline, {report['period']['since']} to {report['period']['until']}: {report['calls']} calls, "
        f"{report['out_of_hours']['share']:.0%} out of hours, {waiting} message{'s' if waiting != 1 else ''} "
        "waiting", fontsize=14, fontweight="bold")
    hours = {str(h): report["calls_per_hour"].get(f"{h:02d}", 0) for h in range(24)}
    choices = {f"{choice}" if named else f"{menu} {choice}": n
               for menu, counts in report["menu_choices"].items() for choice, n in counts.items()}
    _bars(axes[0][0], _every_day(report), "Calls per day", "#2f6db5")
    _bars(axes[0][1], hours, "Calls per hour of day", "#4a9a5b")
    _bars(axes[0][2], choices, "Menu choices", "#8064a2", horizontal=True)
    _forwarding_chart(axes[1][0], report["forwarding"])
    _bars(axes[1][1], report["hang_ups"], "Where callers hang up", "#c0504d", horizontal=True)
    _summary(axes[1][2], report)
    figure.canvas.draw()  # lay out now, so the labels that would not fit can be thinned out
    for axis in (axes[0][0], axes[0][1]):
        _thin_labels(axis)
    return figure


def _thin_labels(axis: Any) -> None:
    """Hide every other category label (then every third...) until the shown ones leave room between them."""
    labels = axis.get_xticklabels()
    renderer = axis.figure.canvas.get_renderer()
    for step in range(1, len(labels) + 1):
        shown = [label for n, label in enumerate(labels) if n % step == 0]
        boxes = [label.get_window_extent(renderer) for label in shown]
        if all(left.x1 + 2 < right.x0 for left, right in itertools.pairwise(boxes)):
            for n, label in enumerate(labels):
                label.set_visible(n % step == 0)
            return


def _every_day(report: dict[str, Any]) -> dict[str, int]:
    """Calls per day with the quiet days shown as zero, for periods short enough to draw day by day."""
    first, last = date.fromisoformat(report["period"]["since"]), date.fromisoformat(report["period"]["until"])
    if (last - first).days > 62:
        return dict(report["calls_per_day"])
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return {f"{d:%m-%d}": report["calls_per_day"].get(d.isoformat(), 0) for d in days}


def _summary(axis: Any, report: dict[str, Any]) -> None:
    axis.axis("off")
    axis.set_title("Key figures")
    answered = sum(f["answered"] for f in report["forwarding"].values())
    attempts = sum(f["attempts"] for f in report["forwarding"].values())
    rows = [
        ("Calls", str(report["calls"])),
        ("Out of hours", f"{report['out_of_hours']['calls']} ({report['out_of_hours']['share']:.0%})"),
        ("Forwards answered", f"{answered} of {attempts}"),
        ("Hung up before being served", str(sum(report["hang_ups"].values()))),
        ("Goodbye after retries", str(report["goodbyes_after_retries"])),
        ("Messages waiting", str(report["messages_waiting"]["total"])),
    ]
    table = axis.table(cellText=rows, colWidths=(0.6, 0.4), loc="center", cellLoc="left")
    table.scale(1, 2.2)
    table.set_fontsize(12)


def _bars(axis: Any, values: dict[str, int], title: str, color: str, horizontal: bool = False) -> None:
    axis.set_title(title)
    if not values:
        axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
        return
    labels, counts = [_short(label) for label in values], list(values.values())
    if horizontal:  # the first entry on top, as it is read
        labels, counts = labels[::-1], counts[::-1]
    bars = axis.barh(labels, counts, color=color) if horizontal else axis.bar(labels, counts, color=color)
    _whole_numbers(axis.xaxis if horizontal else axis.yaxis)
    axis.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    axis.tick_params(labelsize=LABEL_POINTS)
    if not horizontal and max(len(label) for label in labels) > 2:
        axis.tick_params(axis="x", labelrotation=90)


def _forwarding_chart(axis: Any, forwarding: dict[str, dict[str, int]]) -> None:
    axis.set_title("Forwarded calls per unit: answered vs not")
    if not forwarding:
        axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
        return
    units = list(forwarding)
    answered = [forwarding[u]["answered"] for u in units]
    missed = [forwarding[u]["attempts"] - forwarding[u]["answered"] for u in units]
    labels = [_short(unit) for unit in units]
    axis.barh(labels, answered, color="#4a9a5b", label="answered")
    axis.barh(labels, missed, left=answered, color="#c0504d", label="busy / no answer / failed")
    _whole_numbers(axis.xaxis)
    axis.tick_params(labelsize=LABEL_POINTS)
    # Below the chart, never over a bar.
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)


def _short(label: str) -> str:
    return label if len(label) <= LONGEST_LABEL else label[:LONGEST_LABEL - 1] + "…"


def _whole_numbers(scale: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    scale.set_major_locator(MaxNLocator(integer=True))  # calls are counted, never fractional


# Spoken requests that went wrong ---------------------------------------------------------------------------

SENTENCES_SHOWN = 50
# Outcomes of a step that reach an office (or the operator): the office the caller ended up wanting.
_REACHED = ("forwarded", "closed", "operator")


@translate_errors
def missed_sentences(store: Store, since: date, until: date, limit: int = SENTENCES_SHOWN) -> list[dict[str, Any]]:
    """Return the sentences of the period's calls that reached no office or that the caller corrected (said no,
    pressed *, or ended up at another office than the ones forwarded to or offered), newest first.

    A sentence's follow-up is every later step of its call up to the next sentence routed.
    """
    start = TIMEZONE.localize(datetime.combine(since, time()))
    end = TIMEZONE.localize(datetime.combine(until + timedelta(days=1), time()))
    said, after, request = steps.alias("said"), steps.alias("after"), steps.alias("request")
    # Correlated by hand: the innermost query refers to the outermost one's sentence, two levels up.
    follow_up = and_(after.c.call_sid == said.c.call_sid, after.c.seq > said.c.seq, ~select(request.c.id).where(
        request.c.call_sid == said.c.call_sid, request.c.offered.is_not(None), request.c.seq > said.c.seq,
        request.c.seq < after.c.seq).correlate(said, after).exists())
    # Whether a unit id is one of the '+'-joined offered ids ('_' would otherwise match any character).
    offered_it = literal("+", String).concat(said.c.offered).concat("+").like(
        literal("%+", String).concat(func.replace(after.c.unit_id, "_", "\\_")).concat("+%"), escape="\\")
    def later(*conditions: Any) -> Any:
        return select(after.c.id).where(follow_up, *conditions).correlate(said).exists()

    declined = later(after.c.outcome == "declined")
    went_back = later(after.c.digits == "*")
    elsewhere = later(after.c.outcome.in_(_REACHED), after.c.unit_id.is_not(None), ~offered_it)
    nowhere = said.c.offered == ""
    query = (select(said.c.at, said.c.call_sid, said.c.node, said.c.speech, said.c.offered, calls.c.language,
                    calls.c.last_node,
                    case((nowhere, "no_office"), (declined, "declined"), (went_back, "back"),
                         else_="other_office").label("reason"))
             .join(calls, calls.c.call_sid == said.c.call_sid)
             .where(calls.c.started_at >= start, calls.c.started_at < end, said.c.speech.is_not(None),
                    said.c.offered.is_not(None), or_(nowhere, declined, went_back, elsewhere))
             .order_by(said.c.at.desc(), said.c.id.desc()).limit(limit))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"at": local(row.at).isoformat(), "call_sid": row.call_sid, "node": row.node, "sentence": row.speech,
             "language": row.language, "offered": [u for u in row.offered.split("+") if u], "reason": row.reason,
             "ended_at": row.last_node} for row in rows]


_REASON_WORDS = {"no_office": "named no office", "declined": "the caller said no", "back": "the caller pressed *",
                 "other_office": "the caller went to another office"}


def sentences_text(sentences: list[dict[str, Any]], hotline: Hotline | None, lang: Lang) -> str:
    """Write the sentences that reached no office or were corrected, for a person reading a terminal."""
    lines = [f"Sentences that reached no office or were corrected (newest first, at most {SENTENCES_SHOWN}):"]
    for item in sentences:
        offered = ", ".join(unit_name(hotline, u, lang) if hotline else u for u in item["offered"]) or "-"
        ended = node_name(hotline, item["ended_at"], lang) if hotline and item["ended_at"] else item["ended_at"]
        lines.append(f"  {item['at'][:16].replace('T', ' ')}  “{item['sentence']}”  {_REASON_WORDS[item['reason']]}; "
                     f"offered: {offered}; ended at: {ended}")
    if not sentences:
        lines.append("  none")
    return "\n".join(lines)
