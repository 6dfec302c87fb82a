"""Logging in and out of the console, with failed logins slowed down per account and per address."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from ivr.web.admin import StaffUser, audit, bp, lang, staff_store
from ivr.web.admin.i18n import translate

# Failed logins allowed before further tries are refused for a while, per account and per address.
FAILURES_PER_ACCOUNT = parse("5 per 15 minutes")
FAILURES_PER_ADDRESS = parse("20 per 15 minutes")
USERNAME_MAX = 64
PASSWORD_MAX = 1024


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; log a staff member in with a right username and password."""
    if request.method == "GET":
        return render_template("admin/login.html", error=None, username="")
    username = request.form.get("username", "").strip()[:USERNAME_MAX]
    password = request.form.get("password", "")[:PASSWORD_MAX]
    keys = (("login-account", username.casefold()), ("login-address", request.remote_addr or "?"))
    limits = (FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS)
    rate = _limiter()
    if not all(rate.test(limit, *key) for limit, key in zip(limits, keys, strict=True)):
        audit("login_slowed", "too many failed logins", actor=username or "?")
        return render_template("admin/login.html", error=translate("login_slowed", lang()), username=username), 429
    staff = staff_store().authenticate(username, password)
    if staff is None:
        for limit, key in zip(limits, keys, strict=True):
            rate.hit(limit, *key)
        audit("login_failed", None, actor=username or "?")
        return render_template("admin/login.html", error=translate("login_failed", lang()), username=username), 401
    chosen = session.get("lang")
    session.clear()  # a fresh session at every login: nothing planted before it survives
    if chosen:
        session["lang"] = chosen
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    login_user(StaffUser(staff))
    audit("login", f"role {staff.role}")
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out and go back to the login form."""
    audit("logout")
    logout_user()
    return redirect(url_for("admin.login"))


def _limiter() -> MovingWindowRateLimiter:
    limiter: MovingWindowRateLimiter = current_app.extensions["ivr.login_limiter"]
    return limiter


def _safe_next(target: str | None) -> str:
    """Return a console path to go on to after the login; anything else (another site) goes to the start."""
    # A control character (CR, LF) cannot go into the Location header: such a target goes to the start too.
    if (target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return url_for("admin.now")
