"""Editing the hotline from the console: forms and a raw editor, each change checked as `ivr validate` checks
the menus, shown with its problems or its difference, rehearsed with "try a call", then published (editors)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import DateField, FieldList, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from ivr.core.loader import FILES
from ivr.core.model import LANGS
from ivr.core.problems import Problem
from ivr.core.yamlsource import format_key_path
from ivr.menu_edits import (
    CALENDAR_SECTIONS,
    DayEntry,
    EditError,
    add_calendar_entry,
    calendar_entries,
    changed_files,
    check_candidate,
    digest,
    hour_slots,
    merge_edit,
    publish_files,
    read_texts,
    remove_calendar_entry,
    set_prompt,
    set_schedule_hours,
    set_unit,
    text_diff,
    value_at,
)
from ivr.publishing import folder_version
from ivr.store.database import StoreUnavailable
from ivr.store.versions import NewerVersion, PublishedVersions, unified_diff
from ivr.web import settings
from ivr.web.admin import audit, bp, hotline, lang, me, requires
from ivr.web.admin.i18n import translate
from ivr.web.menus import MenuStore

DRAFT_SALT = "ivr-menu-draft"
_PERIODS = re.compile(r"[\s,，、;；]+")


class EditForm(FlaskForm):  # type: ignore[misc]
    """A console form; the console's guard already checks every POST's CSRF token."""

    class Meta:
        csrf = False


class DayForm(EditForm):
    """A closure, an extra opening or a special day: one date or a range, a name in both languages, units."""

    day = DateField(validators=[Optional()])
    first = DateField(validators=[Optional()])
    last = DateField(validators=[Optional()])
    name_zh = StringField()
    name_ko = StringField()
    units = SelectMultipleField(choices=[], validate_choice=False)
    hours = StringField()
    closes = StringField()


class UnitForm(EditForm):
    """A unit's own line and its schedule."""

    phone = StringField()
    schedule = SelectField(choices=[], validate_choice=False)


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
class Draft:
    """Candidate texts of the changed files, the digests of the texts they were made from, and the published
    version those texts were (None: unknown, or a server that keeps no versions)."""

    texts: dict[str, str]
    based_on: dict[str, str]
    base: int | None = None


@dataclass
class Review:
    """What checking an edit found: its errors by form field, its warnings, its difference and its draft."""

    errors: list[Problem]
    warnings: list[Problem]
    diff: str
    draft: str | None
    by_field: dict[str, list[Problem]] = field(default_factory=dict)  # errors and warnings alike


def live_dir() -> Path:
    """Return the live menus folder the service watches."""
    return settings().menus_dir


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt=DRAFT_SALT)


def load_draft(token: str | None) -> Draft | None:
    """Read a draft the console signed; None when absent or tampered with."""
    if not token:
        return None
    try:
        found = _serializer().loads(token)
    except BadSignature:
        return None
    texts, based_on, base = found.get("texts"), found.get("based_on"), found.get("base")
    if not isinstance(texts, dict) or not isinstance(based_on, dict) or not set(texts) <= set(FILES):
        return None
    return Draft(texts, based_on, base if isinstance(base, int) else None)


def edit_base() -> int | None:
    """Return the version an edit is made from: the form's hidden `base` (the version the form was opened on),
    or on opening it, the version the live folder is at."""
    if request.method == "POST" and "base" in request.form:
        typed = request.form["base"].strip()
        return int(typed) if typed.isdecimal() else None
    found = folder_version(live_dir())
    return found.id if found is not None else None


def review(current: Mapping[str, str], candidate: Mapping[str, str], fields: Mapping[str, str],
           base: int | None = None) -> Review:
    """Check candidate texts over the given texts; tie each error to the form field whose key path it names.

    The draft made from them is published as made from version `base` (by default, the form's).
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
        draft = _serializer().dumps({"texts": changed, "based_on": {n: digest(current[n]) for n in changed},
                                     "base": base if base is not None else edit_base()})
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
    """Show an edit form, with the problems of the last check or its difference and the publish button."""
    errors: dict[str, list[Problem] | list[str]] = {**(result.by_field if result else {}), **(form_errors or {})}
    status = 422 if form_errors or (result and result.errors) else 200
    return render_template("admin/edit_form.html", title=title, form=form, fields=fields, result=result,
                           field_errors=errors, base=edit_base(), **extra), status


def _label(form: EditForm, labels: Mapping[str, str]) -> None:
    """Label the fields in the console's language (WTForms labels are fixed when the class is made)."""
    for name, key in labels.items():
        form[name].label.text = translate(key, lang())


def _required(form: EditForm, names: tuple[str, ...]) -> dict[str, list[str]]:
    return {name: [translate("required", lang())] for name in names if not str(form[name].data or "").strip()}


# The overview -------------------------------------------------------------------------------------------


@bp.get("/edit")
@requires("editor")
def edits() -> ResponseReturnValue:
    """Every change staff can make from the console, with the current closures, openings and special days."""
    texts = read_texts(live_dir())
    sections = {section: calendar_entries(texts["calendar.yaml"], section) for section in CALENDAR_SECTIONS}
    current = hotline()
    published = [name for name in request.args.get("published", "").split(",") if name in FILES]
    return render_template("admin/edits.html", sections=sections, units=list(current.units.values()),
                           schedules=list(current.schedules), prompts=list(current.prompts), files=FILES,
                           published=published, hotline=current)


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
    if request.method == "GET":
        return _page(title, form, fields)
    form.validate()
    form_errors = _required(form, ("name_zh", "name_ko")) | _day_errors(form)
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors)
    current = read_texts(live_dir())
    entry = DayEntry(form.name_zh.data.strip(), form.name_ko.data.strip(), form.day.data, form.first.data,
                     form.last.data, tuple(form.units.data or ()), _periods(form.hours.data),
                     (form.closes.data or "").strip() or None)
    candidate = {"calendar.yaml": add_calendar_entry(current["calendar.yaml"], section, entry)}
    where = f"{section}[{len(calendar_entries(current['calendar.yaml'], section))}]"
    paths = {"day": f"{where}.date", "first": f"{where}.from", "last": f"{where}.to", "name_zh": f"{where}.name.zh",
             "name_ko": f"{where}.name.ko", "units": f"{where}.units", "hours": f"{where}.hours",
             "closes": f"{where}.closes"}
    return _page(title, form, fields, review(current, candidate, paths))


def _day_errors(form: DayForm) -> dict[str, list[str]]:
    """Require one date, or a first and a last day, and no date the browser could not read."""
    bad = {name: [translate("bad_date", lang())] for name in ("day", "first", "last") if form[name].errors}
    if bad:
        return bad
    if form.day.data is None and (form.first.data is None or form.last.data is None):
        return {"day": [translate("date_or_range", lang())]}
    return {}


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
        return _page(translate(f"remove_{section}", lang()), None, [], form_errors={"": [str(exc)]})
    return _page(translate(f"remove_{section}", lang()), None, [], review(current, candidate, {}))


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
    for entry, (path, _) in zip(form.slots, slots, strict=False):
        entry.label.text = translate("hours_of", lang(), slot=format_key_path(path))
    title = translate("edit_schedule", lang(), schedule=schedule_id)
    fields = list(form.slots)[:len(slots)]
    if request.method == "GET":
        return _page(title, form, fields)
    hours = {path: _periods(entry.data) for (path, _), entry in zip(slots, fields, strict=True)}
    candidate = {"schedules.yaml": set_schedule_hours(current["schedules.yaml"], schedule_id, hours)}
    paths = {entry.name: format_key_path(("schedules", schedule_id, *path)) for (path, _), entry
             in zip(slots, fields, strict=True)}
    return _page(title, form, fields, review(current, candidate, paths))


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
    form.schedule.choices = [(sid, f"{schedule.name(lang())} ({sid})") for sid, schedule in hotline().schedules.items()]
    _label(form, {"phone": "phone_field", "schedule": "schedule"})
    unit = hotline().units.get(unit_id)
    title = translate("edit_unit", lang(), unit=unit.name(lang()) if unit else unit_id)
    fields = [form.phone, form.schedule]
    if request.method == "GET":
        return _page(title, form, fields)
    phone = (form.phone.data or "").strip() or None
    candidate = {"units.yaml": set_unit(current["units.yaml"], unit_id, phone, form.schedule.data or "")}
    paths = {"phone": f"units.{unit_id}.phone", "schedule": f"units.{unit_id}.schedule"}
    return _page(title, form, fields, review(current, candidate, paths))


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
    title = translate("edit_prompt", lang(), prompt=prompt_id)
    fields = [form.zh, form.ko]
    if request.method == "GET":
        return _page(title, form, fields)
    form_errors = _required(form, LANGS)
    if form_errors:
        return _page(title, form, fields, form_errors=form_errors)
    said: dict[str, str] = {code: str(form[code].data).strip() for code in LANGS}
    candidate = {"prompts.yaml": set_prompt(current["prompts.yaml"], prompt_id, said)}
    return _page(title, form, fields, review(current, candidate, {c: f"prompts.{prompt_id}.{c}" for c in LANGS}))


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
    return _page(title, form, [form.text], review(current, {name: typed}, {"text": ""}), raw=True, raw_file=name)


# Publishing ---------------------------------------------------------------------------------------------------


@bp.post("/edit/publish")
@requires("editor")
def publish() -> ResponseReturnValue:
    """Write a checked draft into the live menus folder, which callers hear within 2 s; keep it in the audit log."""
    draft = load_draft(request.form.get("draft"))
    if draft is None:
        abort(400)
    versions = _versions()
    try:
        problems = publish_files(live_dir(), draft.texts, draft.based_on, versions=versions,
                                 author=me().username, note=f"console: {', '.join(sorted(draft.texts))}",
                                 base=draft.base)
    except NewerVersion as refused:
        assert versions is not None
        return _newer_version(versions, draft, refused)
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        result = Review(errors, [], "", None)
        return _page(translate("publish_refused", lang()), None, [], result)
    names = sorted(draft.texts)
    audit("menus_published", ", ".join(f"{live_dir().name}/{n}" for n in names))
    menus: MenuStore = current_app.extensions["ivr.menus"]
    menus.refresh()  # this worker at once; the others within 2 s
    return redirect(url_for("admin.edits", published=",".join(names)))


def _newer_version(versions: PublishedVersions, draft: Draft, refused: NewerVersion) -> ResponseReturnValue:
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
    merged = merge_edit(started.files if started else None, draft.texts, newest.files, mine, f"version {number}")
    result = None if merged.conflicts else review(newest.files, merged.texts, {}, base=number)
    message = translate("publish_conflict", lang(), author=refused.newest.author, number=number,
                        at=f"{refused.newest.published_at:%Y-%m-%d %H:%M}",
                        base=draft.base if draft.base is not None else "?")
    audit("menus_publish_refused", f"{', '.join(sorted(draft.texts))}: made on version {draft.base}, "
                                   f"version {number} is newer")
    return render_template("admin/edit_conflict.html", message=message, number=number, theirs=theirs, yours=yours,
                           merged=merged, result=result, base=number,
                           author=refused.newest.author), 409


def _versions() -> PublishedVersions | None:
    """Return the published versions this server keeps, or None when it keeps none."""
    menus: MenuStore = current_app.extensions["ivr.menus"]
    return menus.follower.versions if menus.follower is not None else None


@bp.app_template_global()
def calendar_day(entry: Mapping[str, Any]) -> str:
    """Write a calendar entry's date or range as staff read it (for templates)."""
    if isinstance(entry.get("date"), date):
        return str(entry["date"])
    return f"{entry.get('from')} – {entry.get('to')}"
