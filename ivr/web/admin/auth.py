"""Logging in and out of the console: each try counted in the database before its password is checked, an account
locked for a while at an address after 5 wrong passwords from there, and a logout that ends every session."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from ivr.store.database import StoreUnavailable
from ivr.store.logins import LoginAttempts
from ivr.web.admin import StaffUser, audit, bp, lang, me, moment, records, staff_store
from ivr.web.admin.i18n import translate

USERNAME_MAX = 64
PASSWORD_MAX = 1024


def attempts() -> LoginAttempts:
    """Return the failed logins of this app's records database."""
    return LoginAttempts(records())


def address() -> str:
    """Return the address a login try comes from (the proxy's X-Forwarded-For is not trusted for it)."""
    return request.remote_addr or "?"


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; log a staff member in with a right username and password."""
    if request.method == "GET":
        return render_template("admin/login.html", error=None, username="")
    username = request.form.get("username", "").strip()[:USERNAME_MAX]
    password = request.form.get("password", "")[:PASSWORD_MAX]
    refusal = reserve_try(username)
    if refusal is not None:
        if refusal[1] == 429:
            audit("login_slowed", "too many failed logins", actor=username or "?")
        return render_template("admin/login.html", error=refusal[0], username=username), refusal[1]
    staff = staff_store().authenticate(username, password)
    if staff is None:
        locked = note_failure(username)
        audit("login_failed", f"locked until {locked:%Y-%m-%d %H:%M}" if locked else None, actor=username or "?")
        return render_template("admin/login.html", error=translate("login_failed", lang()), username=username), 401
    clear_failures(username)
    chosen = session.get("lang")
    session.clear()  # a fresh session at every login: nothing planted before it survives
    if chosen:
        session["lang"] = chosen
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    login_user(StaffUser(staff))
    audit("login", f"role {staff.role}")
    return redirect(_safe_next(request.args.get("next")))


def reserve_try(username: str) -> tuple[str, int] | None:
    """Count a password check of an account from this address before it is made; when it may not be made, return
    the words saying why and the status (429 locked, 503 the database cannot count it now)."""
    try:
        verdict = attempts().reserve(username, address(), moment())
    except StoreUnavailable:
        return translate("login_unavailable", lang()), 503
    if verdict.allowed:
        return None
    if verdict.locked_until is None:
        return translate("login_slowed", lang()), 429
    return translate("login_locked", lang(), until=f"{verdict.locked_until:%Y-%m-%d %H:%M}"), 429


def note_failure(username: str) -> datetime | None:
    """Note a wrong password of a reserved try; return the end of the lock it started, if any."""
    try:
        return attempts().failed(username, address(), moment())
    except StoreUnavailable:
        return None  # the reserved try stays counted; a minute later it counts as a wrong password


def clear_failures(username: str) -> None:
    """Clear an account's failures at this address after its right password; if the database cannot now, the
    count stays (it only ever refuses more) and the staff member is let in all the same."""
    try:
        attempts().succeeded(username, address())
    except StoreUnavailable as exc:
        current_app.logger.warning("Could not clear the failed logins of %r: %s", username, exc)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out: every session of the account ends, the saved cookie included; back to the login form."""
    staff_store().end_sessions(me().username)
    audit("logout")
    logout_user()
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen
    return redirect(url_for("admin.login"))


def _safe_next(target: str | None) -> str:
    """Return a console path to go on to after the login; anything else (another site) goes to the start."""
    # A control character (CR, LF) cannot go into the Location header: such a target goes to the start too.
    if (target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return url_for("admin.now")
