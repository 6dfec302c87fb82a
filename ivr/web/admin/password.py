"""Changing one's own password in the console: the current password (counted like a login try), the new one twice;
every other session of the account ends."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user

from ivr.store.staff import MIN_PASSWORD_LENGTH
from ivr.web.admin import StaffUser, audit, bp, lang, me, staff_store
from ivr.web.admin.auth import PASSWORD_MAX, clear_failures, note_failure, reserve_try
from ivr.web.admin.i18n import translate


@bp.route("/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    """Show the password form; change the logged-in account's password when the current one is right; audited."""
    if request.method == "GET":
        return _page({})
    current = request.form.get("current", "")[:PASSWORD_MAX]
    new, again = request.form.get("new", "")[:PASSWORD_MAX], request.form.get("new2", "")[:PASSWORD_MAX]
    if len(new) < MIN_PASSWORD_LENGTH:
        return _page({"new": translate("password_too_short", lang(), n=MIN_PASSWORD_LENGTH)}, 400)
    if new != again:
        return _page({"new2": translate("password_differs", lang())}, 400)
    username = me().username
    refusal = reserve_try(username)  # a stolen session must not become a way round the login's lock
    if refusal is not None:
        return _page({"current": refusal[0]}, refusal[1])
    if staff_store().authenticate(username, current) is None:
        note_failure(username)
        audit("password_failed")
        return _page({"current": translate("password_current_wrong", lang())}, 400)
    clear_failures(username)
    changed = staff_store().set_password(username, new)  # the length was checked above; accounts are never deleted
    login_user(StaffUser(changed))  # this session goes on with the new generation; every other one has ended
    audit("password_change")
    flash(translate("password_changed", lang()))
    return redirect(url_for("admin.change_password"))


def _page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    """Render the password form with the errors by field (never a password typed)."""
    return render_template("admin/password.html", errors=errors, min_password=MIN_PASSWORD_LENGTH), status
