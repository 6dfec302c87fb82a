"""Staff accounts in the console (admins only): the list, adding an account and disabling one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.store.staff import MIN_PASSWORD_LENGTH, ROLES, USERNAME_MAX, StaffError
from ivr.web.admin import audit, bp, lang, me, moment, requires, staff_store
from ivr.web.admin.i18n import translate

# The form field each of the store's refusals belongs to.
REASON_FIELDS = {"name": "username", "taken": "username", "role": "role", "password": "password"}


@bp.get("/staff")
@requires("admin")
def staff_accounts() -> ResponseReturnValue:
    """Every staff account with its role, state and creation time, and the form to add one."""
    return _page({}, {"username": "", "role": ROLES[0]})


@bp.post("/staff")
@requires("admin")
def add_staff() -> ResponseReturnValue:
    """Create an account with the same checks as `ivr staff add`, the password typed twice; audited."""
    username, role = request.form.get("username", "").strip(), request.form.get("role", "")
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        return _page({"password2": translate("staff_passwords_differ", lang())},
                     {"username": username, "role": role}, status=400)
    try:
        staff_store().add(username, password, role, moment())
    except StaffError as exc:
        field = REASON_FIELDS.get(exc.reason, "username")
        return _page({field: _refusal(exc.reason, username)}, {"username": username, "role": role}, status=400)
    audit("staff_add", f"{username} as {role}")
    flash(translate("staff_added", lang(), name=username))
    return redirect(url_for("admin.staff_accounts"))


@bp.post("/staff/<int:staff_id>/disable")
@requires("admin")
def disable_staff(staff_id: int) -> ResponseReturnValue:
    """Stop another account from logging in (its sessions end at their next request); audited."""
    account = staff_store().by_id(staff_id)
    if account is None:
        abort(404)
    if account.id == me().id:
        return _page({"disable": translate("staff_not_yourself", lang())}, {"username": "", "role": ROLES[0]},
                     status=400)
    if account.active:  # a second press (another tab) changes nothing and is not audited twice
        staff_store().disable(account.username)
        audit("staff_disable", account.username)
    flash(translate("staff_disabled", lang(), name=account.username))
    return redirect(url_for("admin.staff_accounts"))


def _page(errors: dict[str, str], typed: dict[str, str], status: int = 200) -> ResponseReturnValue:
    """Render the accounts page with the form's errors by field and what was typed (never the password)."""
    return render_template("admin/staff.html", accounts=staff_store().all(), roles=ROLES, errors=errors,
                           typed=typed, min_password=MIN_PASSWORD_LENGTH, max_username=USERNAME_MAX), status


def _refusal(reason: str, username: str) -> str:
    """Say in the console's language why the store refused an account."""
    return translate(f"staff_refused_{reason}", lang(), name=username, n=MIN_PASSWORD_LENGTH, max=USERNAME_MAX)
