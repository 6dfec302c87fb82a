"""Editing the hotline from the console: forms and a raw editor, each change checked as `ivr validate` checks
the menus, shown with its problems or its difference, rehearsed with "try a call", then published (editors)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from ivr.clock import ClockError, parse_moment
from ivr.core.decision import Ask, Decision, Event, Node, NodeKind, Say, Step
from ivr.core.flow import CallFlow
from ivr.core.loader import FILES
from ivr.core.model import LANGS, Lang
from ivr.core.problems import Problem
from ivr.core.speech import say_date, say_week
from ivr.core.yamlsource import format_key_path
from ivr.menu_edits import (
    CALENDAR_SECTIONS,
    WEEKDAY_KEYS,
    DayEntry,
    EditError,
    NewOffice,
    add_calendar_entry,
    add_office,
    add_own_schedule,
    calendar_entries,
    changed_files,
    check_candidate,
    digest,
    free_schedule_id,
    hour_slots,
    merge_edit,
    office_keys,
    publish_files,
    read_texts,
    remove_calendar_entry,
    remove_office,
    rename_office,
    set_prompt,
    set_schedule_hours,
    set_unit,
    set_week_hours,
    text_diff,
    value_at,
)
from ivr.publishing import folder_version
from ivr.store.database import StoreUnavailable
from ivr.store.drafts import Drafts, StoredDraft
from ivr.store.versions import NewerVersion, PublishedVersions, unified_diff
from ivr.web import settings
from ivr.web.admin import audit, bp, hotline, lang, me, moment, records, requires
from ivr.web.admin.i18n import translate
from ivr.web.admin.said import edit_refusal, prompt_title, slot_words, version_author
from ivr.web.menus import MenuStore

# The kinds of office the form offers (units.yaml's kind:), each said in words.
OFFICE_KINDS = ("agency", "department")
_PERIODS = re.compile(r"[\s,，、;；]+")


class EditForm(FlaskForm):  # type: ignore[misc]
    """A console form; the console's guard already checks every POST's CSRF token."""

    class Meta:
        csrf = False


class DayForm(EditForm):
    """A closure, an extra opening or a special day: one date or a range, a name in both languages, units."""

    # Text inputs, not type=date: a browser sends an impossible date typed in a date input as "", and staff
    # must see what they typed, refused at its field.
    day = DateField(validators=[Optional()], widget=TextInput())
    first = DateField(validators=[Optional()], widget=TextInput())
    last = DateField(validators=[Optional()], widget=TextInput())
    name_zh = StringField()
    name_ko = StringField()
    units = SelectMultipleField(choices=[], validate_choice=False)
    hours = StringField()
    closes = StringField()


class UnitForm(EditForm):
    """A unit's own line and its schedule."""

    phone = StringField()
    schedule = SelectField(choices=[], validate_choice=False)


class OfficeForm(EditForm):
    """A new office: its id, names, kind, line, what it handles, the words callers use, and its key in a menu."""

    unit_id = StringField()
    name_zh = StringField()
    name_ko = StringField()
    kind = SelectField(choices=[(kind, kind) for kind in OFFICE_KINDS])  # labelled in words per request
    phone = StringField()
    summary_zh = TextAreaField()
    summary_ko = TextAreaField()
    keywords = StringField()
    menu = SelectField(choices=[], validate_choice=False)
    key = StringField()
    label_zh = StringField()
    label_ko = StringField()


class RenameForm(EditForm):
    """An office's names, and the label of the keys that reach it."""

    name_zh = StringField()
    name_ko = StringField()
    label_zh = StringField()
    label_ko = StringField()


class PromptForm(EditForm):
    """What a prompt says in Mandarin and in Korean."""

    zh = TextAreaField()
    ko = TextAreaField()


class ScheduleForm(EditForm):
    """Every list of hours of a schedule, one field each (season, weekdays, changes from a date)."""

    slots = FieldList(StringField())


class RawForm(EditForm):
    """A whole menus file as text."""

    text = TextAreaField()


@dataclass
class Review:
    """What checking an edit found: its errors by form field, its warnings, its difference and its draft."""

    errors: list[Problem]
    warnings: list[Problem]
    diff: str
    draft: int | None  # the number of the kept draft
    by_field: dict[str, list[Problem]] = field(default_factory=dict)  # errors and warnings alike


def live_dir() -> Path:
    """Return the live menus folder the service watches."""
    return settings().menus_dir


def drafts() -> Drafts:
    """Return the kept drafts of this app's database."""
    return Drafts(records())


def my_draft(number: str | int | None) -> StoredDraft | None:
    """Return the logged-in staff member's draft of that number; None when it is absent, gone or someone else's."""
    if number is None or not str(number).isdecimal() or len(str(number)) > 9:
        return None  # not a number a draft could have (a 64-bit column would overflow on a hostile one)
    try:
        found = drafts().get(int(number))
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    return found if found is not None and found.author == me().username else None


def edit_base() -> int | None:
    """Return the version an edit is made from: the form's hidden `base` (the version the form was opened on),
    or on opening it, the version the live folder is at."""
    if request.method == "POST" and "base" in request.form:
        typed = request.form["base"].strip()
        return int(typed) if typed.isdecimal() else None
    found = folder_version(live_dir())
    return found.id if found is not None else None


def review(current: Mapping[str, str], candidate: Mapping[str, str], fields: Mapping[str, str],
           base: int | None = None, summary: str = "") -> Review:
    """Check candidate texts over the given texts; tie each error to the form field whose key path it names.

    Without errors, the change is kept as a draft of the staff member, described by `summary` and published as
    made from version `base` (by default, the form's).
    """
    changed = changed_files(current, candidate)
    _, problems = check_candidate(live_dir(), {**current, **changed})
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    by_field: dict[str, list[Problem]] = {}
    for problem in errors + warnings:  # a warning is shown beside its field as plainly as an error
        name = _field_of(problem.key_path, fields)
        if name:
            by_field.setdefault(name, []).append(problem)
    draft = None
    if changed and not errors:
        summary = summary or translate("sum_files", lang(), files="、".join(sorted(changed)))  # a publish note in words
        try:
            draft = drafts().keep(me().username, moment(), summary, changed,
                                  {n: digest(current[n]) for n in changed}, base if base is not None else edit_base())
        except StoreUnavailable:
            abort(503, description=translate("publish_no_database", lang()))
    return Review(errors, warnings, text_diff(live_dir(), current, changed), draft, by_field)


def _field_of(key_path: str, fields: Mapping[str, str]) -> str | None:
    """Return the field whose key path is the longest one the problem's key path starts with."""
    best: tuple[int, str] | None = None
    for name, path in fields.items():
        if not path or key_path == path or key_path.startswith((path + ".", path + "[")):
            best = max(best or (0, ""), (len(path), name))
    return best[1] if best else None


def _page(title: str, form: EditForm | None, fields: list[Any], result: Review | None = None,
          form_errors: dict[str, list[str]] | None = None, **extra: Any) -> ResponseReturnValue:
    """Show an edit form with the problems of the last check; a change that passed is kept as a draft, whose
    publish page is then shown at its own address (Post/Redirect/Get: Back never sends the form again)."""
    # A draft with warnings stays on its form, the warnings beside their lines; its publish page is a link away.
    if result is not None and result.draft is not None and not form_errors and not result.warnings:
        return redirect(url_for("admin.draft", number=result.draft), 303)
    errors: dict[str, list[Problem] | list[str]] = {**(result.by_field if result else {}), **(form_errors or {})}
    status = 422 if form_errors or (result and result.errors) else 200
    return render_template("admin/edit_form.html", title=title, form=form, fields=fields, result=result,
                           field_errors=errors, base=edit_base(), **extra), status


def refusal(exc: EditError) -> str:
    """Say in the console's language why an edit cannot be made on the files as they are."""
    return edit_refusal(exc, hotline(), lang())


def _label(form: EditForm, labels: Mapping[str, str]) -> None:
    """Label the fields in the console's language (WTForms labels are fixed when the class is made)."""
    for name, key in labels.items():
        form[name].label.text = translate(key, lang())


def _required(form: EditForm, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Say at each empty field what to write there, with an example."""
    return {name: [_what_to_write(form[name].label.text, name)] for name in names
            if not str(form[name].data or "").strip()}


def _what_to_write(label: str, name: str) -> str:
    examples = {"name_zh": "example_name_zh", "name_ko": "example_name_ko", "zh": "example_name_zh",
                "ko": "example_name_ko"}
    if name in examples:
        return translate("required_what", lang(), what=label, example=translate(examples[name], lang()))
    return translate("required", lang())


# The overview -------------------------------------------------------------------------------------------


@bp.get("/edit")
@requires("editor")
def edits() -> ResponseReturnValue:
    """Every change staff can make from the console, with the current closures, openings and special days."""
    texts = read_texts(live_dir())
    sections = {section: calendar_entries(texts["calendar.yaml"], section) for section in CALENDAR_SECTIONS}
    current = hotline()
    published = [name for name in request.args.get("published", "").split(",") if name in FILES]
    try:
        mine = drafts().of(me().username)
    except StoreUnavailable:
        mine = []
    discarded = request.args.get("discarded", "")[:300]
    return render_template("admin/edits.html", sections=sections, units=list(current.units.values()),
                           schedules=list(current.schedules), prompts=list(current.prompts), files=FILES,
                           published=published, hotline=current, drafts=mine, discarded=discarded)


# Calendar entries -----------------------------------------------------------------------------------------


@bp.route("/edit/calendar/<section>/add", methods=["GET", "POST"])
@requires("editor")
def add_day(section: str) -> ResponseReturnValue:
    """Add a closure, an extra opening or a special day to calendar.yaml."""
    if section not in CALENDAR_SECTIONS:
        abort(404)
    form = DayForm(request.form if request.method == "POST" else None)
    form.units.choices = [(unit.id, unit.name(lang())) for unit in hotline().units.values()]
    _label(form, {"day": "date", "first": "from_date", "last": "to_date", "name_zh": "name_zh",
                  "name_ko": "name_ko", "units": "units_all", "hours": "special_hours", "closes": "closes"})
    shown = ["day", "first", "last", "name_zh", "name_ko", "units"]
    if section == "special_days":
        shown[3:3] = ["hours", "closes"]
    title = translate(f"add_{section}", lang())
    fields = [form[name] for name in shown]
    preview = url_for("admin.preview_day", section=section)
    if request.method == "GET":
        return _page(title, form, fields, preview=preview)
    form.validate()
    form_errors = _required(form, ("name_zh", "name_ko")) | _day_errors(form)
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors, preview=preview)
    current = read_texts(live_dir())
    entry = _day_entry(form)
    candidate = {"calendar.yaml": add_calendar_entry(current["calendar.yaml"], section, entry)}
    where = f"{section}[{len(calendar_entries(current['calendar.yaml'], section))}]"
    paths = {"day": f"{where}.date", "first": f"{where}.from", "last": f"{where}.to", "name_zh": f"{where}.name.zh",
             "name_ko": f"{where}.name.ko", "units": f"{where}.units", "hours": f"{where}.hours",
             "closes": f"{where}.closes"}
    return _page(title, form, fields, review(current, candidate, paths, summary=_day_summary(section, entry)),
                 preview=preview)


@bp.get("/edit/calendar/<section>/preview")
@requires("editor")
def preview_day(section: str) -> ResponseReturnValue:
    """Say, as JSON in both languages, what a caller will hear on the entry's day with it added: the core's flow
    decides a call to the first unit it concerns (the bureau when all) on the menus with the entry in them."""
    if section not in CALENDAR_SECTIONS:
        abort(404)
    form = DayForm(request.args)
    form.validate()
    typed = _day_errors(form) | _required(form, ("name_zh", "name_ko"))
    if typed:
        return jsonify({"zh": "", "ko": "", "note": " ".join(next(iter(typed.values())))})
    entry = _day_entry(form)
    current = read_texts(live_dir())
    try:
        candidate = add_calendar_entry(current["calendar.yaml"], section, entry)
    except EditError as exc:
        return jsonify({"zh": "", "ko": "", "note": refusal(exc)})
    found, problems = check_candidate(live_dir(), {"calendar.yaml": candidate})
    if found is None:
        first = next(p for p in problems if p.severity == "error")
        return jsonify({"zh": "", "ko": "", "note": first.render(lang())})
    unit = next((u for u in entry.units if u in found.units), found.operator.id)
    day = entry.day or entry.first
    clock = entry.closes or "10:00"
    try:
        at = parse_moment(f"{day}T{clock}")
    except ClockError:
        at = parse_moment(f"{day}T10:00")
    flow = CallFlow(found)
    said = {code: " ".join(prompt.text for prompt in _heard(flow.decide(
        Step(Node(NodeKind.UNIT, unit), code), Event(), at))) for code in LANGS}
    return jsonify({**said, "note": translate("preview_at", lang(), at=f"{at:%Y-%m-%d %H:%M}",
                                              unit=found.units[unit].name(lang()))})


def _heard(decision: Decision) -> list[Say]:
    """Return what a caller hears at a decided step, in order."""
    heard: list[Say] = []
    for action in decision.actions:
        if isinstance(action, Say):
            heard.append(action)
        elif isinstance(action, Ask):
            heard.extend(action.prompts)
    return heard


def _day_entry(form: DayForm) -> DayEntry:
    return DayEntry(form.name_zh.data.strip(), form.name_ko.data.strip(), form.day.data, form.first.data,
                    form.last.data, tuple(form.units.data or ()), _periods(form.hours.data),
                    (form.closes.data or "").strip() or None)


def _day_summary(section: str, entry: DayEntry) -> str:
    """Say a calendar entry in words for the publish note: "婚姻登记处：12月24日停办（业务培训）"."""
    chosen = lang()
    units = hotline().units
    names = "、" .join(units[u].name(chosen) if u in units else u for u in entry.units) if entry.units else \
        translate("all_units", chosen)
    return translate(f"sum_{section}", chosen, units=names, day=_say_days(entry.day, entry.first, entry.last),
                     name=entry.name_zh if chosen == "zh" else entry.name_ko)


def _say_days(day: Any, first: Any = None, last: Any = None) -> str:
    """Say a date ("12月24日", "12월 24일") or a range of dates in the console's language."""
    def one(value: Any) -> str:
        if isinstance(value, date):
            return translate("month_day", lang(), month=value.month, day=value.day)
        return str(value)
    if day is not None:
        return one(day)
    return translate("day_range", lang(), first=one(first), last=one(last))


def _day_errors(form: DayForm) -> dict[str, list[str]]:
    """Require one date, or a first and a last day; a date that is not one is refused at its field, quoting what
    was typed."""
    bad = {name: [_bad_date(" ".join(form[name].raw_data or [])[:40])]
           for name in ("day", "first", "last") if form[name].errors}
    if bad:
        return bad
    if form.day.data is None and (form.first.data is None or form.last.data is None):
        return {"day": [translate("date_or_range", lang())]}
    return {}


def _bad_date(typed: str) -> str:
    """Say that what was typed is no date, quoting it (in Korean with the topic particle its last sound asks for)."""
    return translate("bad_date_typed", lang(), typed=f"“{typed}”" if lang() == "zh" else f'"{typed}"')


def _periods(value: str | None) -> tuple[str, ...]:
    """Split "08:00-11:30, 13:00-16:30" (commas of either width, or spaces) into periods."""
    return tuple(part for part in _PERIODS.split(value or "") if part)


@bp.post("/edit/calendar/<section>/<int:index>/remove")
@requires("editor")
def remove_day(section: str, index: int) -> ResponseReturnValue:
    """Show what removing an entry of calendar.yaml changes, ready to publish."""
    if section not in CALENDAR_SECTIONS:
        abort(404)
    current = read_texts(live_dir())
    try:
        candidate = {"calendar.yaml": remove_calendar_entry(current["calendar.yaml"], section, index)}
    except EditError as exc:
        return _page(translate(f"remove_{section}", lang()), None, [],
                     form_errors={"": [refusal(exc)]})
    entry = calendar_entries(current["calendar.yaml"], section)[index]
    written = entry.get("name")
    name: dict[str, Any] = dict(written) if isinstance(written, dict) else {}
    summary = translate("sum_remove", lang(), day=_say_days(entry.get("date"), entry.get("from"), entry.get("to")),
                        name=name.get(lang(), ""))
    return _page(translate(f"remove_{section}", lang()), None, [], review(current, candidate, {}, summary=summary))


# Schedules, units, prompts ---------------------------------------------------------------------------------


@bp.route("/edit/schedule/<schedule_id>", methods=["GET", "POST"])
@requires("editor")
def edit_schedule(schedule_id: str) -> ResponseReturnValue:
    """Change the hours of a schedule in schedules.yaml, list by list."""
    current = read_texts(live_dir())
    try:
        slots = hour_slots(current["schedules.yaml"], schedule_id)
    except EditError:
        abort(404)
    form = ScheduleForm(request.form if request.method == "POST" else None,
                        data={"slots": [", ".join(periods) for _, periods in slots]})
    while len(form.slots) < len(slots):
        form.slots.append_entry("")
    written = value_at(current["schedules.yaml"], "schedules", schedule_id)
    changes = list(written.get("changes") or []) if isinstance(written, dict) else []
    for entry, (path, _) in zip(form.slots, slots, strict=False):
        entry.label.text = translate("hours_of", lang(), slot=slot_words(hotline(), path, changes, lang()))
    named = hotline().schedules.get(schedule_id)
    title = translate("edit_schedule", lang(), schedule=named.name(lang()) if named else schedule_id)
    fields = list(form.slots)[:len(slots)]
    if request.method == "GET":
        return _page(title, form, fields)
    hours = {path: _periods(entry.data) for (path, _), entry in zip(slots, fields, strict=True)}
    candidate = {"schedules.yaml": set_schedule_hours(current["schedules.yaml"], schedule_id, hours)}
    paths = {entry.name: format_key_path(("schedules", schedule_id, *path)) for (path, _), entry
             in zip(slots, fields, strict=True)}
    schedule = hotline().schedules.get(schedule_id)
    summary = translate("sum_schedule", lang(), schedule=schedule.name(lang()) if schedule else schedule_id)
    return _page(title, form, fields, review(current, candidate, paths, summary=summary))


def _slot_words(path: tuple[str | int, ...], sinces: list[str]) -> str:
    """Say which list of hours a field holds in the console's words: "冬季 周一至周四", "2027-01-01起 全年"."""
    seasons = {season.id: season.name(lang()) for season in hotline().seasons}
    said: list[str] = []
    if path and path[0] == "changes" and len(path) > 1 and isinstance(path[1], int):
        since = sinces[path[1] + 1] if path[1] + 1 < len(sinces) else "?"
        said.append(translate("since_prefix", lang(), since=since).strip())
        path = path[2:]
    for key in path[1:]:  # after "hours"
        text = str(key)
        if text in seasons:
            said.append(seasons[text])
            continue
        parts = text.split("-")
        if all(part in WEEKDAY_KEYS for part in parts):
            names = [translate(f"weekday_{WEEKDAY_KEYS.index(part)}", lang()) for part in parts]
            said.append(names[0] if len(names) == 1 else translate("day_range", lang(), first=names[0], last=names[-1]))
        else:
            said.append(text)
    return " ".join(said) or translate("all_year", lang())


@bp.route("/edit/unit/<unit_id>", methods=["GET", "POST"])
@requires("editor")
def edit_unit(unit_id: str) -> ResponseReturnValue:
    """Change a unit's own line and its schedule in units.yaml."""
    current = read_texts(live_dir())
    written = value_at(current["units.yaml"], "units", unit_id)
    if not isinstance(written, dict):
        abort(404)
    form = UnitForm(request.form if request.method == "POST" else None,
                    data={"phone": str(written.get("phone") or ""), "schedule": str(written.get("schedule") or "")})
    form.schedule.choices = [(sid, schedule.name(lang())) for sid, schedule in hotline().schedules.items()]
    _label(form, {"phone": "phone_field", "schedule": "schedule"})
    unit = hotline().units.get(unit_id)
    title = translate("edit_unit", lang(), unit=unit.name(lang()) if unit else unit_id)
    fields = [form.phone, form.schedule]
    shared = unit is not None and sum(1 for u in hotline().units.values() if u.schedule.id == unit.schedule.id) > 1
    others = sum(1 for u in hotline().units.values() if unit and u.schedule.id == unit.schedule.id) - 1
    own = {"href": url_for("admin.own_hours", unit_id=unit_id),
           "text": translate("shared_with", lang(), others=others)} if shared else None
    office = {"rename": url_for("admin.rename_office_form", unit_id=unit_id),
              "remove": url_for("admin.remove_office_form", unit_id=unit_id)} \
        if unit is not None and unit_id != hotline().operator_id else None
    if request.method == "GET":
        return _page(title, form, fields, own_hours=own, office=office)
    phone = (form.phone.data or "").strip() or None
    candidate = {"units.yaml": set_unit(current["units.yaml"], unit_id, phone, form.schedule.data or "")}
    paths = {"phone": f"units.{unit_id}.phone", "schedule": f"units.{unit_id}.schedule"}
    summary = translate("sum_unit", lang(), unit=unit.name(lang()) if unit else unit_id,
                        what=_unit_change(written, phone, form.schedule.data or ""))
    return _page(title, form, fields, review(current, candidate, paths, summary=summary))


@dataclass(frozen=True)
class Cell:
    """One hours field of the hours-by-weekday forms: a version (0: the hours before any change from a date, then
    each change), a season and a weekday (0 = Monday)."""

    version: int
    season: str
    day: int


@dataclass(frozen=True)
class WeekLayout:
    """A schedule as the hours-by-weekday forms show it: each version's date and working days, and the hours
    written for each cell (empty on a day off)."""

    schedule_id: str
    sinces: tuple[date | None, ...]
    workdays: tuple[frozenset[int], ...]
    written: Mapping[Cell, str]
    cells: tuple[Cell, ...]  # in the order of the fields' numbers: slots-0, slots-1...


def _layout(schedule_id: str) -> WeekLayout:
    """Return the fields of a schedule's hours: every weekday of every season of every version.

    The fields of the first version's working days come first (slots-0...), as before a day could be added, so
    that a form sent without the other fields means what it meant then.
    """
    current = hotline()
    schedule = current.schedules[schedule_id]
    written: dict[Cell, str] = {}
    workdays: list[frozenset[int]] = []
    for index, version in enumerate(schedule.versions):
        workdays.append(frozenset().union(*(week.weekdays for week in version.seasons.values())))
        for season in current.seasons:
            week = version.seasons[season.id]
            for day in range(7):
                written[Cell(index, season.id, day)] = ", ".join(str(p) for p in week.days.get(day, ()))
    every = [Cell(v, season.id, day) for v in range(len(schedule.versions)) for season in current.seasons
             for day in range(7)]
    first = [cell for cell in every if cell.version == 0 and written[cell]]
    return WeekLayout(schedule_id, tuple(v.since for v in schedule.versions), tuple(workdays), written,
                      tuple(first + [cell for cell in every if cell not in first]))


def _since_prefix(layout: WeekLayout, version: int, chosen: Lang) -> str:
    since = layout.sinces[version]
    return "" if since is None else translate("since_prefix", chosen, since=str(since))


def _cell_label(layout: WeekLayout, cell: Cell) -> str:
    season = next((s for s in hotline().seasons if s.id == cell.season), None)
    said = translate("day_hours", lang(), season=season.name(lang()) if season else cell.season,
                     weekday=translate(f"weekday_{cell.day}", lang()))
    return _since_prefix(layout, cell.version, lang()) + said


def _workday_name(version: int, day: int) -> str:
    return f"works-{version}-{day}"


def _week_form(layout: WeekLayout) -> tuple[EditForm, list[Any], list[dict[str, Any]]]:
    """Build the form: per version a group with its working days (check boxes) and each season's hours per day."""
    hours = {f"slots-{n}": StringField() for n in range(len(layout.cells))}
    days = {_workday_name(v, day): BooleanField() for v in range(len(layout.sinces)) for day in range(7)}
    form_class = type("WeekForm", (EditForm,), {**hours, **days})
    data: dict[str, str | bool] = {f"slots-{n}": layout.written[cell] for n, cell in enumerate(layout.cells)}
    data |= {_workday_name(v, day): day in layout.workdays[v] for v in range(len(layout.sinces)) for day in range(7)}
    form = form_class(request.form if request.method == "POST" else None, data=data)
    number = {cell: n for n, cell in enumerate(layout.cells)}
    groups: list[dict[str, Any]] = []
    fields: list[Any] = []
    for version, since in enumerate(layout.sinces):
        boxes = [form[_workday_name(version, day)] for day in range(7)]
        for day, box in enumerate(boxes):
            box.label.text = _since_prefix(layout, version, lang()) + translate(
                "works_on", lang(), weekday=translate(f"weekday_{day}", lang()))
        cells = sorted((cell for cell in layout.cells if cell.version == version),
                       key=lambda c: ([s.id for s in hotline().seasons].index(c.season), c.day))
        typed = [form[f"slots-{number[cell]}"] for cell in cells]
        for cell, entry in zip(cells, typed, strict=True):
            entry.label.text = _cell_label(layout, cell)
        legend = translate("hours_now", lang()) if since is None else translate("hours_since", lang(), since=str(since))
        # A row of fields per season, so that each season's week reads across.
        rows = [[entry for cell, entry in zip(cells, typed, strict=True) if cell.season == season.id]
                for season in hotline().seasons]
        groups.append({"legend": legend, "days": boxes, "rows": rows, "id": f"version-{version}"})
        fields.extend([*boxes, *typed])
    return form, fields, groups


def _typed_versions(layout: WeekLayout, form: EditForm, sent: Mapping[str, Any]
                    ) -> tuple[list[dict[str, dict[int, tuple[str, ...]]]], dict[str, list[str]]]:
    """Read each version's working days and the hours typed for each season and working day.

    A working day without hours says what to write; hours typed for a day that is not ticked as a working day are
    refused rather than dropped. A client that never showed the boxes (no `workdays_shown`, no box ticked) keeps the
    working days.
    """
    versions: list[dict[str, dict[int, tuple[str, ...]]]] = []
    errors: dict[str, list[str]] = {}
    seasons = [season.id for season in hotline().seasons]
    for version in range(len(layout.sinces)):
        names = [_workday_name(version, day) for day in range(7)]
        if "workdays_shown" in sent or any(name in sent for name in names):
            working = {day for day in range(7) if form[names[day]].data}
        else:
            working = set(layout.workdays[version])
        if not working:
            errors[names[0]] = [translate("no_workday_ticked", lang())]
        weeks: dict[str, dict[int, tuple[str, ...]]] = {season: {} for season in seasons}
        for n, cell in enumerate(layout.cells):
            if cell.version != version:
                continue
            entry = form[f"slots-{n}"]
            periods = _periods(entry.data)
            if cell.day in working and not periods and _season_day_off(layout, form, cell):
                continue  # a day off in this season only, as written (Saturdays in summer only, say)
            if cell.day in working and not periods:
                errors[entry.name] = [translate("required_what", lang(), what=entry.label.text,
                                                example=translate("example_hours", lang()))]
            elif cell.day not in working and periods:
                errors[entry.name] = [translate("hours_on_day_off", lang(), what=entry.label.text,
                                                box=form[names[cell.day]].label.text)]
            if cell.day in working:
                weeks[cell.season][cell.day] = periods
        versions.append(weeks)
    return versions, errors


def _season_day_off(layout: WeekLayout, form: EditForm, cell: Cell) -> bool:
    """Tell whether a working day's empty field keeps a day off of that season as written, while another season
    has hours typed for that day."""
    if layout.written[cell]:
        return False
    others = [n for n, other in enumerate(layout.cells) if other.version == cell.version and other.day == cell.day
              and other.season != cell.season]
    return any(_periods(form[f"slots-{n}"].data) for n in others)


def _written_versions(layout: WeekLayout) -> list[dict[str, dict[int, tuple[str, ...]]]]:
    written: list[dict[str, dict[int, tuple[str, ...]]]] = [
        {season.id: {} for season in hotline().seasons} for _ in layout.sinces]
    for cell in layout.cells:
        if layout.written[cell]:
            written[cell.version][cell.season][cell.day] = _periods(layout.written[cell])
    return written


def _changed_cells(layout: WeekLayout, typed: list[dict[str, dict[int, tuple[str, ...]]]]) -> str:
    """Say the days whose hours changed, for the publish note: "冬季周五 08:00-11:30, 13:00-15:30；冬季周六 不办公"."""
    before = _written_versions(layout)
    said = []
    for cell in sorted(layout.cells, key=lambda c: (c.version, [s.id for s in hotline().seasons].index(c.season),
                                                       c.day)):
        old, new = before[cell.version][cell.season].get(cell.day), typed[cell.version][cell.season].get(cell.day)
        if old != new:
            said.append(f"{_cell_label(layout, cell)} "
                        f"{', '.join(new) if new else translate('day_off', lang())}")
    return "；".join(said) if lang() == "zh" else "; ".join(said)


def _changed_versions(layout: WeekLayout, typed: list[dict[str, dict[int, tuple[str, ...]]]]) -> set[int]:
    return {v for v, (old, new) in enumerate(zip(_written_versions(layout), typed, strict=True)) if old != new}


@dataclass(frozen=True)
class WeekEdit:
    """What an hours-by-weekday form asks for: the candidate texts, where each field's problems go, a summary."""

    current: dict[str, str]
    candidate: dict[str, str]
    schedule_id: str  # the schedule the callers' sentence is read from (an office's own: the new one)
    summary: str


def _week_edit(layout: WeekLayout, typed: list[dict[str, dict[int, tuple[str, ...]]]],
               unit_id: str | None) -> WeekEdit:
    """Make the candidate texts of a weekday form: the schedule's hours, or an office's own schedule."""
    current = read_texts(live_dir())
    changed = _changed_versions(layout, typed)
    weeks = [{season: dict(week) for season, week in version.items()} for version in typed]
    name = hotline().schedules[layout.schedule_id].name(lang())
    if unit_id is None:
        candidate = {"schedules.yaml": set_week_hours(current["schedules.yaml"], layout.schedule_id, weeks, changed)}
        return WeekEdit(current, candidate, layout.schedule_id,
                        translate("sum_week", lang(), schedule=name, hours=_changed_cells(layout, typed)))
    unit = hotline().units[unit_id]
    new_id = free_schedule_id(current["schedules.yaml"], unit_id)
    names = {"zh": translate("own_schedule_name_zh", "zh", unit=unit.name("zh")),
             "ko": translate("own_schedule_name_ko", "ko", unit=unit.name("ko"))}
    schedules, units = add_own_schedule(current["schedules.yaml"], current["units.yaml"], unit_id, new_id,
                                        layout.schedule_id, names, weeks, changed)
    return WeekEdit(current, {"schedules.yaml": schedules, "units.yaml": units}, new_id,
                    translate("sum_own_hours", lang(), unit=unit.name(lang()), hours=_changed_cells(layout, typed)))


def _week_paths(layout: WeekLayout, schedule_id: str) -> dict[str, str]:
    """Tie a check's problems to the fields: a version's problems to its first working day box."""
    paths = {_workday_name(0, 0): f"schedules.{schedule_id}"}
    paths |= {_workday_name(v, 0): f"schedules.{schedule_id}.changes[{v - 1}]" for v in range(1, len(layout.sinces))}
    return paths


def _week_page(title: str, layout: WeekLayout, help_text: str, unit_id: str | None,
               preview: str) -> ResponseReturnValue:
    form, fields, groups = _week_form(layout)
    extra: dict[str, Any] = {"help": help_text, "groups": groups, "preview": preview}
    if request.method == "GET":
        return _page(title, form, fields, **extra)
    typed, form_errors = _typed_versions(layout, form, request.form)
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors, **extra)
    try:
        edit = _week_edit(layout, typed, unit_id)
    except EditError as exc:
        return _page(title, form, fields, form_errors={"": [refusal(exc)]}, **extra)
    return _page(title, form, fields, review(edit.current, edit.candidate, _week_paths(layout, edit.schedule_id),
                                             summary=edit.summary), **extra)


def _week_preview(layout: WeekLayout, unit_id: str | None) -> ResponseReturnValue:
    """Say, as JSON in both languages, the hours callers will hear in an office's information with the typed hours:
    the core's own sentence for each version and season, from the menus checked with the edit in them."""
    form, _, _ = _week_form(layout)
    form.process(request.args)
    typed, errors = _typed_versions(layout, form, request.args)
    if errors:
        return jsonify({"zh": "", "ko": "", "note": next(iter(errors.values()))[0]})
    try:
        edit = _week_edit(layout, typed, unit_id)
    except EditError as exc:
        return jsonify({"zh": "", "ko": "", "note": refusal(exc)})
    found, problems = check_candidate(live_dir(), {**edit.current, **changed_files(edit.current, edit.candidate)})
    if found is None or edit.schedule_id not in found.schedules:
        error = next((p for p in problems if p.severity == "error"), None)
        return jsonify({"zh": "", "ko": "", "note": error.render(lang()) if error else ""})
    schedule = found.schedules[edit.schedule_id]
    said: dict[str, str] = {}
    for code in LANGS:
        lines = []
        for version in schedule.versions:
            weeks = [(season, version.seasons[season.id]) for season in found.seasons]
            alike = all(week == weeks[0][1] for _, week in weeks)
            prefix = "" if version.since is None else say_since(version.since, code)
            for season, week in weeks[:1] if alike else weeks:
                where = translate("all_year", code) if alike else season.name(code)
                lines.append(f"{prefix}{where}{'：' if code == 'zh' else ': '}{say_week(week, code)}")
        said[code] = "\n".join(lines)
    return jsonify({**said, "note": translate("week_preview_note", lang())})


def say_since(since: date, code: Lang) -> str:
    """Say "from this date on" before a version's hours, as the information says a change."""
    return f"从{say_date(since, code)}起，" if code == "zh" else f"{say_date(since, code)}부터 "


@bp.route("/edit/schedule/<schedule_id>/week", methods=["GET", "POST"])
@requires("editor")
def edit_week(schedule_id: str) -> ResponseReturnValue:
    """Change a schedule's hours day by day, season by season and change by change (Friday apart, a Saturday added,
    say); the file gets mon-thu: and fri: lists, or one list when every day is alike, with the working days."""
    if schedule_id not in hotline().schedules:
        abort(404)
    layout = _layout(schedule_id)
    name = hotline().schedules[schedule_id].name(lang())
    title = translate("week_hours_of", lang(), schedule=name)
    shared = [u.name(lang()) for u in hotline().units.values() if u.schedule.id == schedule_id]
    help_text = f"{translate('week_hours_help', lang())} {'、'.join(shared)}"
    return _week_page(title, layout, help_text, None, url_for("admin.preview_week", schedule_id=schedule_id))


@bp.get("/edit/schedule/<schedule_id>/week/preview")
@requires("editor")
def preview_week(schedule_id: str) -> ResponseReturnValue:
    """The hours callers will hear with the typed ones, as JSON in both languages (the form's live preview)."""
    if schedule_id not in hotline().schedules:
        abort(404)
    return _week_preview(_layout(schedule_id), None)


@bp.route("/edit/unit/<unit_id>/own-hours", methods=["GET", "POST"])
@requires("editor")
def own_hours(unit_id: str) -> ResponseReturnValue:
    """Give one office hours of its own: a schedule named after it, copied from the one it shares, with the hours
    typed here, and the office pointed at it; one edit, one publish."""
    unit = hotline().units.get(unit_id)
    if unit is None:
        abort(404)
    source = unit.schedule.id
    title = translate("own_hours_title", lang(), unit=unit.name(lang()))
    others = sum(1 for u in hotline().units.values() if u.schedule.id == source and u.id != unit_id)
    help_text = translate("own_hours_help", lang(), unit=unit.name(lang()), schedule=unit.schedule.name(lang()),
                          others=others,
                          new_name=translate(f"own_schedule_name_{lang()}", lang(), unit=unit.name(lang())))
    return _week_page(title, _layout(source), help_text, unit_id, url_for("admin.preview_own_hours", unit_id=unit_id))


@bp.get("/edit/unit/<unit_id>/own-hours/preview")
@requires("editor")
def preview_own_hours(unit_id: str) -> ResponseReturnValue:
    """The hours callers of the office will hear with its own typed hours, as JSON in both languages."""
    unit = hotline().units.get(unit_id)
    if unit is None:
        abort(404)
    return _week_preview(_layout(unit.schedule.id), unit_id)


def _unit_change(written: Mapping[str, Any], phone: str | None, schedule: str) -> str:
    """Say what a unit's form changed: its phone, its schedule."""
    said = []
    if phone != (str(written["phone"]) if written.get("phone") else None):
        said.append(translate("sum_unit_phone", lang(), phone=phone) if phone else
                    translate("sum_unit_no_phone", lang()))
    if schedule != str(written.get("schedule") or ""):
        found = hotline().schedules.get(schedule)
        said.append(translate("sum_unit_schedule", lang(), schedule=found.name(lang()) if found else schedule))
    return "，".join(said) if lang() == "zh" else ", ".join(said)


@bp.route("/edit/office/add", methods=["GET", "POST"])
@requires("editor")
def add_office_form() -> ResponseReturnValue:
    """Add an office to units.yaml and its key to a menu of menu.yaml, in one edit."""
    form = OfficeForm(request.form if request.method == "POST" else None)
    form.menu.choices = [(mid, menu.title(lang())) for mid, menu in hotline().menus.items()]
    form.kind.choices = [(kind, translate(f"kind_{kind}", lang())) for kind in OFFICE_KINDS]
    _label(form, {"unit_id": "office_id", "name_zh": "name_zh", "name_ko": "name_ko", "kind": "office_kind",
                  "phone": "phone_field", "summary_zh": "summary_zh", "summary_ko": "summary_ko",
                  "keywords": "keywords_field", "menu": "office_menu", "key": "office_key", "label_zh": "label_zh",
                  "label_ko": "label_ko"})
    title = translate("add_office", lang())
    fields = [form[name] for name in form._fields]
    if request.method == "GET":
        return _page(title, form, fields)
    form_errors = _required(form, ("unit_id", "name_zh", "name_ko", "summary_zh", "summary_ko", "key", "label_zh",
                                   "label_ko"))
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors)
    current = read_texts(live_dir())
    unit_id, key = form.unit_id.data.strip(), form.key.data.strip()
    office = NewOffice(unit_id, form.kind.data, {"zh": form.name_zh.data.strip(), "ko": form.name_ko.data.strip()},
                       {"zh": form.summary_zh.data.strip(), "ko": form.summary_ko.data.strip()},
                       _periods(form.keywords.data), (form.phone.data or "").strip() or None,
                       hotline().operator_id, form.menu.data, key,
                       {"zh": form.label_zh.data.strip(), "ko": form.label_ko.data.strip()})
    try:
        units, menu = add_office(current["units.yaml"], current["menu.yaml"], office)
    except EditError as exc:
        field = "unit_id" if exc.words == "edit_office_taken" else "key"
        return _page(title, form, fields, form_errors={field: [refusal(exc)]})
    paths = {name: f"units.{unit_id}.{name.replace('_zh', '.zh').replace('_ko', '.ko')}"
             for name in ("name_zh", "name_ko", "kind", "phone", "summary_zh", "summary_ko", "keywords")}
    paths |= {"unit_id": f"units.{unit_id}", "key": f"menus.{form.menu.data}.options.{key}",
              "label_zh": f"menus.{form.menu.data}.options.{key}.label.zh",
              "label_ko": f"menus.{form.menu.data}.options.{key}.label.ko"}
    menu_title = hotline().menus[form.menu.data].title(lang()) if form.menu.data in hotline().menus else form.menu.data
    summary = translate("sum_add_office", lang(), unit=office.name[lang()], menu=menu_title, press=key)
    return _page(title, form, fields, review(current, {"units.yaml": units, "menu.yaml": menu}, paths,
                                             summary=summary))


@bp.route("/edit/unit/<unit_id>/rename", methods=["GET", "POST"])
@requires("editor")
def rename_office_form(unit_id: str) -> ResponseReturnValue:
    """Rename an office in units.yaml and the keys that reach it in menu.yaml, in one edit."""
    unit = hotline().units.get(unit_id)
    if unit is None:
        abort(404)
    current = read_texts(live_dir())
    keys = office_keys(current["menu.yaml"], unit_id)
    option = hotline().menus[keys[0][0]].option(keys[0][1]) if keys else None
    label = option.label if option is not None and option.label is not None else None
    form = RenameForm(request.form if request.method == "POST" else None,
                      data={"name_zh": unit.name("zh"), "name_ko": unit.name("ko"),
                            "label_zh": label("zh") if label else "", "label_ko": label("ko") if label else ""})
    _label(form, {"name_zh": "name_zh", "name_ko": "name_ko", "label_zh": "label_zh", "label_ko": "label_ko"})
    title = translate("rename_office", lang(), unit=unit.name(lang()))
    fields = [form.name_zh, form.name_ko, *([form.label_zh, form.label_ko] if label else [])]
    if request.method == "GET":
        return _page(title, form, fields)
    form_errors = _required(form, tuple(f.name for f in fields))
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors)
    names = {"zh": form.name_zh.data.strip(), "ko": form.name_ko.data.strip()}
    labels = {"zh": form.label_zh.data.strip(), "ko": form.label_ko.data.strip()} if label else None
    units, menu = rename_office(current["units.yaml"], current["menu.yaml"], unit_id, names, labels)
    summary = translate("sum_rename_office", lang(), unit=unit.name(lang()), new=names[lang()])
    paths = {"name_zh": f"units.{unit_id}.name.zh", "name_ko": f"units.{unit_id}.name.ko"}
    return _page(title, form, fields, review(current, {"units.yaml": units, "menu.yaml": menu}, paths,
                                             summary=summary))


@bp.post("/edit/unit/<unit_id>/remove")
@requires("editor")
def remove_office_form(unit_id: str) -> ResponseReturnValue:
    """Show what removing an office and its keys changes, as a draft to publish (or the problems it would cause:
    a closure or a submenu that still names it)."""
    unit = hotline().units.get(unit_id)
    if unit is None or unit_id == hotline().operator_id:
        abort(404)
    current = read_texts(live_dir())
    units, menu = remove_office(current["units.yaml"], current["menu.yaml"], unit_id)
    title = translate("remove_office", lang(), unit=unit.name(lang()))
    summary = translate("sum_remove_office", lang(), unit=unit.name(lang()))
    return _page(title, None, [], review(current, {"units.yaml": units, "menu.yaml": menu}, {}, summary=summary))


@bp.route("/edit/prompt/<prompt_id>", methods=["GET", "POST"])
@requires("editor")
def edit_prompt(prompt_id: str) -> ResponseReturnValue:
    """Change what a prompt says in Mandarin and Korean in prompts.yaml."""
    current = read_texts(live_dir())
    written = value_at(current["prompts.yaml"], "prompts", prompt_id)
    if not isinstance(written, dict):
        abort(404)
    form = PromptForm(request.form if request.method == "POST" else None,
                      data={code: str(written.get(code) or "") for code in LANGS})
    _label(form, {"zh": "text_zh", "ko": "text_ko"})
    shown = prompt_title(hotline().prompts[prompt_id], lang()) if prompt_id in hotline().prompts else prompt_id
    title = translate("edit_prompt", lang(), prompt=shown)
    fields = [form.zh, form.ko]
    if request.method == "GET":
        return _page(title, form, fields)
    form_errors = _required(form, LANGS)
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors)
    said: dict[str, str] = {code: str(form[code].data).strip() for code in LANGS}
    candidate = {"prompts.yaml": set_prompt(current["prompts.yaml"], prompt_id, said)}
    return _page(title, form, fields, review(current, candidate, {c: f"prompts.{prompt_id}.{c}" for c in LANGS},
                                             summary=translate("sum_prompt", lang(), prompt=shown)))


@bp.route("/edit/raw/<name>", methods=["GET", "POST"])
@requires("editor")
def edit_raw(name: str) -> ResponseReturnValue:
    """Edit a whole menus file as text, for what the forms do not cover; it is saved as typed."""
    if name not in FILES:
        abort(404)
    current = read_texts(live_dir())
    form = RawForm(request.form if request.method == "POST" else None, data={"text": current[name]})
    _label(form, {"text": "file_text"})
    form.text.label.text = f"{form.text.label.text} {live_dir().name}/{name}"
    title = translate("edit_raw", lang(), file=name)
    if request.method == "GET":
        return _page(title, form, [form.text], raw=True, raw_file=name)
    # Browsers send a textarea's lines with CRLF: the file keeps the line ends it had.
    typed = str(form.text.data or "").replace("\r\n", "\n")
    return _page(title, form, [form.text], review(current, {name: typed}, {"text": ""},
                                                  summary=translate("sum_raw", lang(), file=name)),
                 raw=True, raw_file=name)


# Publishing ---------------------------------------------------------------------------------------------------


@bp.get("/drafts/<int:number>")
@requires("editor")
def draft(number: int) -> ResponseReturnValue:
    """A kept draft's publish page at its own address: what it changes, checked again on the live files, a note
    prefilled with a summary in words, publish, try a call with it, or discard it."""
    found = my_draft(number)
    if found is None:
        return render_template("admin/draft.html", draft=None), 404
    return _draft_page(found)


def _draft_page(found: StoredDraft, note: str | None = None, note_error: str | None = None,
                status: int = 200) -> ResponseReturnValue:
    current = read_texts(live_dir())
    stale = any(digest(current.get(name, "")) != seen for name, seen in found.based_on.items())
    _, problems = check_candidate(live_dir(), {**current, **found.texts})
    return render_template(
        "admin/draft.html", draft=found, stale=stale, diff=text_diff(live_dir(), current, dict(found.texts)),
        errors=[p for p in problems if p.severity == "error"], warnings=[p for p in problems if p.severity != "error"],
        note=found.summary if note is None else note, note_error=note_error), status


@bp.post("/drafts/<int:number>/discard")
@requires("editor")
def discard_draft(number: int) -> ResponseReturnValue:
    """Forget one of one's drafts."""
    found = my_draft(number)
    if found is not None:
        drafts().drop(number)
        audit("draft_discarded", found.summary)
    return redirect(url_for("admin.edits", discarded=found.summary if found else ""), 303)


@bp.post("/edit/publish")
@requires("editor")
def publish() -> ResponseReturnValue:
    """Write a kept draft into the live menus folder, which callers hear within 2 s, with the staff member's note;
    keep it in the audit log."""
    draft = my_draft(request.form.get("draft"))
    if draft is None:
        return render_template("admin/draft.html", draft=None), 404
    # The page always sends the note (prefilled with the summary); a client without it publishes the summary.
    note = " ".join(request.form.get("note", draft.summary).split())
    if not note:
        return _draft_page(draft, "", translate("note_required", lang()), 422)
    versions = _versions()
    try:
        problems = publish_files(live_dir(), draft.texts, draft.based_on, versions=versions,
                                 author=me().username, note=note, base=draft.base)
    except NewerVersion as refused:
        assert versions is not None
        return _newer_version(versions, draft, refused)
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        result = Review(errors, [], "", None)
        return _page(translate("publish_refused", lang()), None, [], result)
    drafts().drop(draft.id)
    names = sorted(draft.texts)
    audit("menus_published", ", ".join(f"{live_dir().name}/{n}" for n in names))
    menus: MenuStore = current_app.extensions["ivr.menus"]
    menus.refresh()  # this worker at once; the others within 2 s
    return redirect(url_for("admin.edits", published=",".join(names)))


def _newer_version(versions: PublishedVersions, draft: StoredDraft, refused: NewerVersion) -> ResponseReturnValue:
    """Refuse a publish made from an older version: say who published what meanwhile, show both changes, and keep
    the edit, made again on the newest version, ready to check and publish (or, where both changed the same
    lines, holding both for staff to choose)."""
    menus: MenuStore = current_app.extensions["ivr.menus"]
    menus.sync()  # this server takes the newest now, so that the edit is checked and published on it
    try:
        newest = versions.get(refused.newest.id)
        started = versions.get(draft.base) if draft.base is not None else None
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    if newest is None:
        abort(409)
    number, mine = newest.info.id, translate("your_edit", lang())
    theirs = unified_diff(started.files if started else None, newest.files,
                          f"version {draft.base}" if started else "nothing", f"version {number}")
    yours = unified_diff(started.files if started else None, {**(started.files if started else newest.files),
                         **draft.texts}, f"version {draft.base}" if started else "nothing", mine)
    merged = merge_edit(started.files if started else None, dict(draft.texts), newest.files, mine,
                        f"version {number}")
    result = None if merged.conflicts else review(newest.files, merged.texts, {}, base=number, summary=draft.summary)
    if result is not None and result.draft is not None:
        drafts().drop(draft.id)  # the same edit, made again on the newest version, is kept in its place
    message = translate("publish_conflict", lang(), author=version_author(refused.newest.author, lang()), number=number,
                        at=f"{refused.newest.published_at:%Y-%m-%d %H:%M}",
                        base=draft.base if draft.base is not None else "?")
    audit("menus_publish_refused", f"{', '.join(sorted(draft.texts))}: made on version {draft.base}, "
                                   f"version {number} is newer")
    return render_template("admin/edit_conflict.html", message=message, number=number, theirs=theirs, yours=yours,
                           merged=merged, result=result, base=number, note=draft.summary,
                           author=version_author(refused.newest.author, lang())), 409


def _versions() -> PublishedVersions | None:
    """Return the published versions this server keeps, or None when it keeps none."""
    menus: MenuStore = current_app.extensions["ivr.menus"]
    return menus.follower.versions if menus.follower is not None else None


@bp.get("/edit/preview.js")
@requires("editor")
def preview_script() -> ResponseReturnValue:
    """Serve the small script that shows the sentence callers will hear while staff type."""
    return send_from_directory(Path(__file__).parent / "static", "preview.js", mimetype="text/javascript")


@bp.app_template_global()
def calendar_day(entry: Mapping[str, Any]) -> str:
    """Write a calendar entry's date or range as staff read it (for templates)."""
    if isinstance(entry.get("date"), date):
        return str(entry["date"])
    return f"{entry.get('from')} – {entry.get('to')}"
