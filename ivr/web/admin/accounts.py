"""Staff accounts in the console (admins only): the list, adding an account, disabling one, resetting a password
and unlocking an account locked after failed logins."""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user

from ivr.store.logins import Lock, LoginAttempts
from ivr.store.staff import MIN_PASSWORD_LENGTH, ROLES, USERNAME_MAX, StaffError
from ivr.web.admin import StaffUser, audit, bp, lang, me, moment, records, requires, staff_store
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


@bp.post("/staff/password")
@requires("admin")
def reset_password() -> ResponseReturnValue:
    """Give an account a new password (typed twice, same rules as `ivr staff add`); its sessions end; audited."""
    username, password = request.form.get("account", ""), request.form.get("password", "")
    typed = {"username": "", "role": ROLES[0], "account": username}
    account = staff_store().get(username)
    if account is None:
        return _page({"reset-account": translate("staff_unknown", lang(), name=username)}, typed, status=400)
    if password != request.form.get("password2", ""):
        return _page({"reset-password2": translate("password_differs", lang())}, typed, status=400)
    try:
        changed = staff_store().set_password(account.username, password)
    except StaffError:
        return _page({"reset-password": translate("password_too_short", lang(), n=MIN_PASSWORD_LENGTH)}, typed,
                     status=400)
    if changed.id == me().id:
        login_user(StaffUser(changed))  # an admin resetting their own password stays logged in here
    audit("staff_password", account.username)
    flash(translate("staff_password_set", lang(), name=account.username))
    return redirect(url_for("admin.staff_accounts"))


@bp.post("/staff/<int:staff_id>/unlock")
@requires("admin")
def unlock_staff(staff_id: int) -> ResponseReturnValue:
    """Clear an account's failed logins and locks at every address (as `ivr staff unlock`); audited."""
    account = staff_store().by_id(staff_id)
    if account is None:
        abort(404)
    locked = LoginAttempts(records()).unlock(account.username, moment())
    audit("staff_unlock", f"{account.username} ({locked} locked addresses)")
    flash(translate("staff_unlocked", lang(), name=account.username))
    return redirect(url_for("admin.staff_accounts"))


def _page(errors: dict[str, str], typed: dict[str, str], status: int = 200) -> ResponseReturnValue:
    """Render the accounts page with the form's errors by field and what was typed (never the password)."""
    by_name: dict[str, list[Lock]] = defaultdict(list)
    for lock in LoginAttempts(records()).locks(moment()):
        by_name[lock.username].append(lock)
    accounts = staff_store().all()
    locks = {account.id: by_name.get(account.username.casefold()[:64], []) for account in accounts}
    return render_template("admin/staff.html", accounts=accounts, roles=ROLES, errors=errors,
                           typed=typed, min_password=MIN_PASSWORD_LENGTH, max_username=USERNAME_MAX,
                           locks=locks), status


def _refusal(reason: str, username: str) -> str:
    """Say in the console's language why the store refused an account."""
    return translate(f"staff_refused_{reason}", lang(), name=username, n=MIN_PASSWORD_LENGTH, max=USERNAME_MAX)
