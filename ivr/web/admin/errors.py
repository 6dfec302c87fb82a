"""The console's refusals in its own layout and words: a bad parameter in a URL (400), the records database away
(503), a voice message's recording that cannot be fetched; and the parameters read at the edge, checked."""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import LoginManager
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, ServiceUnavailable

from ivr.redact import loggable
from ivr.store.database import StoreUnavailable
from ivr.web.admin import bp, lang
from ivr.web.admin.i18n import WORDS, translate

log = logging.getLogger(__name__)
# The days the console deals in: call records, calendars and rehearsals far outside them are typing mistakes
# (or attacks), and the dates around year 1 and 9999 break the date arithmetic of every page.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
# Ids are PostgreSQL INTEGERs: a larger number is no id, and SQLite cannot even bind it.
MAX_ID = 2**31 - 1
# How much of a refused value the page shows.
SHOWN_CHARS = 80


class BadParameter(BadRequest):
    """A URL or form parameter the console cannot use: the page names it, says what is wrong and what to write."""

    def __init__(self, name: str, value: object, expected: str, **fields: object) -> None:
        super().__init__(f"{name}: {loggable(str(value), limit=SHOWN_CHARS)}")
        self.parameter = name
        self.value = str(value)
        self.expected = expected
        self.fields = fields


def day_arg(name: str, value: str | None) -> date | None:
    """Read a YYYY-MM-DD date between FIRST_DAY and LAST_DAY; None when absent, BadParameter otherwise."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY or len(value) != len("YYYY-MM-DD"):
        raise BadParameter(name, value, "expect_day", first=FIRST_DAY, last=LAST_DAY)
    return day


def month_arg(name: str, value: str | None) -> date | None:
    """Read a YYYY-MM month within the console's years as its first day; None when absent."""
    if not value:
        return None
    try:
        first = date.fromisoformat(f"{value}-01") if len(value) == len("YYYY-MM") else None
    except ValueError:
        first = None
    if first is None or not FIRST_DAY <= first <= LAST_DAY:
        raise BadParameter(name, value, "expect_month", first=FIRST_DAY.strftime("%Y-%m"),
                           last=LAST_DAY.strftime("%Y-%m"))
    return first


def time_arg(name: str, value: str | None) -> time | None:
    """Read an HH:MM (or HH:MM:SS) time of day; None when absent."""
    if not value:
        return None
    try:
        if len(value) in (len("HH:MM"), len("HH:MM:SS")):
            return time.fromisoformat(value)
    except ValueError:
        pass
    raise BadParameter(name, value, "expect_time")


def id_arg(name: str, value: str | None) -> int | None:
    """Read an id (1 to MAX_ID); None when absent."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_ID)) or not 1 <= int(value) <= MAX_ID:
        raise BadParameter(name, value, "expect_number", max=MAX_ID)
    return int(value)


@bp.url_value_preprocessor
def bounded_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Refuse an id in a console path (a message's, a version's, an account's) that no record can have."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            raise BadParameter(name, value, "expect_number", max=MAX_ID)


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter) -> ResponseReturnValue:
    """Say which parameter is wrong, what is wrong with it and what to write (400), in the console's layout."""
    chosen = lang()
    shown = loggable(error.value, limit=SHOWN_CHARS)
    named = f"param_{error.parameter}"
    problem = translate("bad_parameter", chosen, name=translate(named, chosen) if named in WORDS else error.parameter,
                        value=shown,
                        expected=translate(error.expected, chosen, **error.fields))
    return refusal(400, "bad_parameter_title", problem, translate("bad_parameter_advice", chosen))


@bp.errorhandler(StoreUnavailable)
def store_unavailable(error: StoreUnavailable) -> ResponseReturnValue:
    """Say that the records database cannot be reached (503) rather than fail with a traceback."""
    log.warning("Console page %s: the records database cannot be reached (%s).", loggable(request.path), error)
    # Who is logged in cannot be looked up: the page shows no account and no navigation. Flask-Login's own
    # method for it (the session is left as it is, so the login holds once the database is back).
    logins: LoginManager = current_app.login_manager  # type: ignore[attr-defined]
    logins._update_request_context_with_user()
    chosen = lang()
    return refusal(503, "store_down_title", translate("store_down", chosen), translate("store_down_advice", chosen),
                   headers={"Retry-After": "30"})


@bp.errorhandler(ServiceUnavailable)
def service_unavailable(error: ServiceUnavailable) -> ResponseReturnValue:
    """Show a page's own 503 (a publish without the database, say) in the console's layout."""
    chosen = lang()
    return refusal(503, "store_down_title", error.description or translate("store_down", chosen),
                   translate("store_down_advice", chosen), headers={"Retry-After": "30"})


@bp.app_errorhandler(HTTPException)
def console_refusal(error: HTTPException) -> ResponseReturnValue | HTTPException:
    """Refuse a console address that leads nowhere (404), or a request it cannot take (405, 409...), in the
    console's layout and language; the webhooks' and other addresses' refusals stay as they are."""
    if not request.path.startswith(bp.url_prefix or "/admin") or error.code is None or error.code < 400:
        return error
    chosen = lang()
    if isinstance(error, NotFound):
        return refusal(404, "not_found_title", translate("not_found", chosen),
                       translate("bad_parameter_advice", chosen))
    return refusal(error.code, "request_refused_title", translate("request_refused", chosen, status=error.code),
                   translate("bad_parameter_advice", chosen), headers=dict(error.get_headers()) if error.code == 405
                   else None)


def refusal(status: int, title: str, problem: str, advice: str, detail: str | None = None,
            headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """Render a refusal page in the console's layout; every value in it is escaped by the template."""
    page = render_template("admin/error.html", title=translate(title, lang()), problem=problem, advice=advice,
                           detail=detail, status=status)
    return page, status, headers or {}
