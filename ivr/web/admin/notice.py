"""The State Council's holiday notice for a year, entered from the console as the notice states it, checked and
published like any edit; and the banner every console page shows while a coming year lacks it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import DateField, StringField
from wtforms.validators import Optional

from ivr.core.calendar import MissingNotice, missing_notice, weeks_covering
from ivr.core.yamlsource import format_key_path
from ivr.menu_edits import EditError, NoticeHoliday, notice_in, read_texts, set_notice
from ivr.web.admin import bp, hotline, lang, moment, requires
from ivr.web.admin.edits import EditForm, Review, edit_base, live_dir, refusal, review
from ivr.web.admin.i18n import translate

# The holidays a State Council notice lists, in its order; the keys of calendar.yaml's holiday_names.
NOTICE_HOLIDAYS = ("new_years_day", "spring_festival", "tomb_sweeping_day", "labour_day", "dragon_boat_festival",
                   "mid_autumn_festival", "national_day")
# chinese-calendar's data starts in 2004; a year past 2099 is a slip of the keyboard.
FIRST_YEAR, LAST_YEAR = 2004, 2099
_SEPARATORS = re.compile(r"[\s,，、;；]+")
# 2027-02-20, 2027/2/20, 2027.2.20, 2027年2月20日, or without the year (2-20, 2月20日): the notice's year.
_DAY = re.compile(r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?")


class NoticeForm(EditForm):
    """A year's notice: for each holiday its days off (first and last) and its make-up working days."""

    year = StringField()


for _key in NOTICE_HOLIDAYS:
    setattr(NoticeForm, f"{_key}_first", DateField(validators=[Optional()]))
    setattr(NoticeForm, f"{_key}_last", DateField(validators=[Optional()]))
    setattr(NoticeForm, f"{_key}_workdays", StringField())


@dataclass(frozen=True)
class PreviewWeeks:
    """The weeks around one holiday, each day marked off, workday (a make-up working day), weekend or ''."""

    name: str
    weeks: list[list[tuple[date, str]]]


@bp.context_processor
def holiday_notice_banner() -> dict[str, Any]:
    """Give every console page the coming year whose notice is missing, from 60 days before it (for the banner)."""
    if not current_user or not current_user.is_authenticated:
        return {}
    return {"missing_notice": missing_notice(hotline().calendar, moment().date())}


def _default_year() -> int:
    found: MissingNotice | None = missing_notice(hotline().calendar, moment().date())
    return found.year if found else moment().year + 1


@bp.route("/edit/notice", methods=["GET", "POST"])
@requires("editor")
def edit_notice() -> ResponseReturnValue:
    """Enter a year's State Council holiday notice: check it at its fields, preview its weeks, then publish it."""
    current = read_texts(live_dir())
    typed_year = ((request.form.get("year") if request.method == "POST" else request.args.get("year")) or "").strip()
    given = _year(typed_year)
    year = given or _default_year()
    # A POST holds the whole notice as typed: a field left out of it is empty, not the notice written before.
    form = NoticeForm(request.form) if request.method == "POST" else NoticeForm(data=_prefill(current, year))
    _label_fields(form)
    title = translate("notice_title", lang())
    if request.method == "GET":
        return _page(title, form, year)
    form.validate()
    errors: dict[str, list[str]] = {}
    if given is None:
        errors["year"] = [translate("notice_bad_year", lang(), value=typed_year)]
    holidays = _holidays(form, year, errors)
    if not holidays and not errors:
        errors["year"] = [translate("notice_empty", lang())]
    preview = _preview(holidays)
    if errors:
        return _page(title, form, year, form_errors=errors, preview=preview)
    try:
        candidate = {"calendar.yaml": set_notice(current["calendar.yaml"], year, holidays)}
    except EditError as exc:
        return _page(title, form, year, form_errors={"": [refusal(exc)]}, preview=preview)
    result = review(current, candidate, {}, summary=translate("sum_notice", lang(), year=year))
    return _page(title, form, year, result=result, preview=preview, form_errors=_by_field(result, year, holidays))


def _year(typed: str) -> int | None:
    """Read the notice's year: four digits, within the years a notice can be about."""
    if not (typed.isdecimal() and len(typed) == 4):
        return None
    return int(typed) if FIRST_YEAR <= int(typed) <= LAST_YEAR else None


def _prefill(current: Mapping[str, str], year: int) -> dict[str, Any]:
    """Fill the form with the notice calendar.yaml already has for the year."""
    data: dict[str, Any] = {"year": str(year)}
    try:
        written = notice_in(current["calendar.yaml"], year)
    except EditError:
        return data
    for holiday in written:
        data[f"{holiday.key}_first"], data[f"{holiday.key}_last"] = holiday.first, holiday.last
        data[f"{holiday.key}_workdays"] = ", ".join(str(day) for day in holiday.workdays)
    return data


def _label_fields(form: NoticeForm) -> None:
    """Label every field in the console's language, with the holiday's name as calendar.yaml says it."""
    names = hotline().calendar.holiday_names
    form.year.label.text = translate("notice_year", lang())
    for key in NOTICE_HOLIDAYS:
        name = names[key](lang()) if key in names else key
        form[f"{key}_first"].label.text = translate("notice_first", lang(), name=name)
        form[f"{key}_last"].label.text = translate("notice_last", lang(), name=name)
        form[f"{key}_workdays"].label.text = translate("notice_workdays", lang(), name=name)


def _holidays(form: NoticeForm, year: int, errors: dict[str, list[str]]) -> list[NoticeHoliday]:
    """Read each holiday the form gives; note at its field what cannot be read or is missing."""
    found = []
    for key in NOTICE_HOLIDAYS:
        first, last = form[f"{key}_first"], form[f"{key}_last"]
        for bad in (f for f in (first, last) if f.errors):
            errors[bad.name] = [translate("bad_date", lang())]
        workdays = _days(str(form[f"{key}_workdays"].data or ""), year, f"{key}_workdays", errors)
        if first.errors or last.errors:
            continue
        if first.data is None and last.data is None:
            if workdays:
                errors[first.name] = [translate("notice_workdays_without_days", lang())]
            continue
        if first.data is None or last.data is None:
            errors[(first if first.data is None else last).name] = [translate("notice_first_and_last", lang())]
            continue
        found.append(NoticeHoliday(key, first.data, last.data, tuple(workdays)))
    return found


def _days(typed: str, year: int, field: str, errors: dict[str, list[str]]) -> list[date]:
    """Read make-up working days typed one after another; each one not a date is named at the field."""
    days = []
    for part in (p for p in _SEPARATORS.split(typed.strip()) if p):
        matched = _DAY.fullmatch(part)
        try:
            if matched is None:
                raise ValueError(part)
            days.append(date(int(matched[1] or year), int(matched[2]), int(matched[3])))
        except ValueError:
            errors.setdefault(field, []).append(translate("notice_bad_day", lang(), value=part))
    return days


def _by_field(result: Review, year: int, holidays: list[NoticeHoliday]) -> dict[str, list[str]]:
    """Tie each problem of the check to the field it is about: a holiday's days, its make-up days, or the year."""
    base = ("state_council", str(year))
    paths = {format_key_path(base): "year"}
    for i, holiday in enumerate(holidays):
        paths[format_key_path((*base, "holidays", i))] = f"{holiday.key}_first"
        paths[format_key_path((*base, "holidays", i, "to"))] = f"{holiday.key}_last"
    workdays = [h.key for h in holidays for _ in h.workdays]
    for j, key in enumerate(workdays):
        paths[format_key_path((*base, "workdays", j))] = f"{key}_workdays"
    by_field: dict[str, list[str]] = {}
    for problem in result.errors:
        matches = [p for p in paths if problem.key_path == p or problem.key_path.startswith((p + ".", p + "["))]
        # A problem elsewhere in calendar.yaml (or another file) is shown above the form, not at a field.
        by_field.setdefault(paths[max(matches, key=len)] if matches else "", []).append(problem.render(lang()))
    return by_field


def _preview(holidays: list[NoticeHoliday]) -> list[PreviewWeeks]:
    """Lay out the weeks each holiday concerns, marking its days off, its make-up working days and weekends."""
    names = hotline().calendar.holiday_names
    shown = []
    for holiday in holidays:
        if holiday.last < holiday.first or (holiday.last - holiday.first).days > 31:
            continue  # the check names the mistake; a calendar of it would only be long
        off = {holiday.first.fromordinal(n) for n in range(holiday.first.toordinal(), holiday.last.toordinal() + 1)}
        nearby = [d for d in holiday.workdays if abs((d - holiday.first).days) <= 31]
        weeks = [[(day, _kind(day, off, set(nearby))) for day in week]
                 for week in weeks_covering([*off, *nearby])]
        name = names[holiday.key](lang()) if holiday.key in names else holiday.key
        shown.append(PreviewWeeks(name, weeks))
    return shown


def _kind(day: date, off: set[date], workdays: set[date]) -> str:
    if day in workdays:
        return "workday"
    if day in off:
        return "off"
    return "weekend" if day.weekday() >= 5 else ""


def _page(title: str, form: NoticeForm, year: int, result: Review | None = None,
          form_errors: dict[str, list[str]] | None = None, preview: list[PreviewWeeks] | None = None,
          ) -> ResponseReturnValue:
    """Show the notice form with the last check's problems at their fields, the weeks' preview and the publish."""
    errors = dict(form_errors or {})  # the check's problems come tied to the notice's fields by _by_field
    status = 422 if errors else 200
    groups = [(key, [form[f"{key}_first"], form[f"{key}_last"], form[f"{key}_workdays"]]) for key in NOTICE_HOLIDAYS]
    return render_template("admin/notice.html", title=title, form=form, groups=groups, year=year, result=result,
                           field_errors=errors, base=edit_base(), preview=preview or [],
                           hotline_names={k: v(lang()) for k, v in hotline().calendar.holiday_names.items()},
                           action=url_for("admin.edit_notice")), status
