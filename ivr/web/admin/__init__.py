"""The staff console under /admin: logins, the hotline now, the menus and their edits, call rehearsal, messages,
figures, health."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from ivr.clock import now
from ivr.core.model import Hotline, Lang
from ivr.store.database import Store
from ivr.store.staff import Role, Staff, StaffStore
from ivr.web import settings
from ivr.web.admin.i18n import HTML_LANG, LANG_NAMES, pick_lang, translate
from ivr.web.menus import MenuStore

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
# Endpoints a visitor without a login may reach: the login form itself.
PUBLIC_ENDPOINTS = frozenset({"admin.login"})

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
Extension = TypeVar("Extension")


class StaffUser(UserMixin):  # type: ignore[misc]
    """A logged-in staff account, as Flask-Login keeps it for one request."""

    def __init__(self, staff: Staff) -> None:
        self.staff = staff

    def get_id(self) -> str:
        """Return what Flask-Login keeps in the login cookie: the account and its session generation."""
        return f"{self.staff.id}.{self.staff.generation}"


def init_app(app: Flask) -> None:
    """Register the console with its login manager and CSRF protection."""
    # CSRF is checked for the console's forms only: the provider's webhooks are signed instead.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's idle timeout already bounds a token
    app.extensions["ivr.csrf"] = _for_the_console_only(app, lambda: CSRFProtect(app))
    logins = _for_the_console_only(app, lambda: LoginManager(app))
    logins.login_view = "admin.login"
    logins.user_loader(_load_user)
    from ivr.web.admin import (  # noqa: F401  (their routes join bp)
        accounts,
        auth,
        edits,
        errors,
        figures,
        messages,
        notice,
        pages,
        password,
        phones,
        rehearsal,
        said,
        versions,
    )

    app.register_blueprint(bp)


def _for_the_console_only(app: Flask, install: Callable[[], Extension]) -> Extension:
    """Install a Flask extension whose per-request hooks concern the console: they run for its blueprint only,
    not for each of the provider's webhooks (Flask-Login's remember-me cookie, Flask-WTF's CSRF check)."""
    hooks: tuple[dict[str | None, list[Any]], ...] = (app.before_request_funcs, app.after_request_funcs)
    everywhere = [list(scopes.get(None, [])) for scopes in hooks]
    extension = install()
    for scopes, before in zip(hooks, everywhere, strict=True):
        for hook in [f for f in scopes.get(None, []) if f not in before]:
            scopes[None].remove(hook)
            scopes.setdefault(bp.name, []).append(hook)
    return extension


def _load_user(user_id: str) -> StaffUser | None:
    """Return the cookie's account while it is active and the cookie's session generation is still the account's;
    a logout, a password change or disabling raised it, and every older cookie is logged out."""
    account, _, generation = user_id.partition(".")
    if not (account.isdigit() and generation.isdigit()):
        return None  # a cookie from before session generations, or forged
    staff = staff_store().by_id(int(account))
    if staff is None or not staff.active or staff.generation != int(generation):
        return None
    return StaffUser(staff)


def records() -> Store:
    """Return the call records store of this app."""
    store: Store = current_app.extensions["ivr.recorder"].store
    return store


def staff_store() -> StaffStore:
    """Return the staff accounts and audit log of this app's records database."""
    return StaffStore(records())


def hotline() -> Hotline:
    """Return the hotline callers hear now."""
    menus: MenuStore = current_app.extensions["ivr.menus"]
    return menus.flow.hotline


def moment() -> datetime:
    """Return "now" for the console: FROZEN_TIME when configured, else the clock."""
    return now(settings().frozen_time)


def parse_day(value: str | None) -> date | None:
    """Read a YYYY-MM-DD date from a form or query; None when absent or not a date."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def lang() -> Lang:
    """Return the console language of this request."""
    return pick_lang(g.get("lang") or session.get("lang"))


def me() -> Staff:
    """Return the logged-in account."""
    staff: Staff = current_user.staff
    return staff


def audit(action: str, detail: str | None = None, actor: str | None = None) -> None:
    """Keep an audit entry of the logged-in staff member (or the given actor), with the request's address."""
    staff_store().audit(actor or me().username, action, moment(), detail, request.remote_addr)


def requires(role: Role) -> Callable[[View], View]:
    """Refuse (403) a view to an account whose role does not include `role`."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not me().may(role):
                g.needed_role = role  # the refusal page says which role may do it
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Choose the language, check the CSRF token of every form, and send visitors without a login to it."""
    chosen = request.args.get("lang")
    if chosen is not None:
        session["lang"] = pick_lang(chosen)
    g.lang = pick_lang(session.get("lang"))
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
        # A form sent without a login (or with an ended session's cookie) is refused, and nothing is changed.
        return render_template("admin/login.html", error=translate("login_needed", lang()), username="",
                               action=url_for("admin.login")), 401
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        current_app.extensions["ivr.csrf"].protect()
    return None


@bp.after_request
def no_caching(response: Any) -> Any:
    """Keep the console's pages out of shared caches and frames, and let them run only their own scripts."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(nonce=csp_nonce())
    return response


# Only the <script> and <style> elements the templates mark with this request's nonce run: text that reached a
# page from a request or the provider can never become a script, a style, a frame or a form's target.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                           "img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def csp_nonce() -> str:
    """Return this request's nonce for the console's own <script> and <style> elements."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> ResponseReturnValue:
    """Refuse a form without a valid CSRF token (400), in words staff understand."""
    return translate("csrf_failed", lang()), 400


@bp.errorhandler(403)
def refused(error: Exception) -> ResponseReturnValue:
    """Tell a staff member, inside the console's layout, that their role does not allow what they asked and which
    role does (403)."""
    if not current_user or not current_user.is_authenticated:
        return translate("forbidden", lang()), 403
    needed = g.get("needed_role")
    said = translate("forbidden_role", lang(), role=translate(f"role_{needed}", lang()),
                     mine=translate(f"role_{me().role}", lang())) if needed else translate("forbidden", lang())
    return render_template("admin/forbidden.html", said=said), 403


@bp.app_context_processor
def words() -> dict[str, Any]:
    """Give every template the console's words, its language and the logged-in account."""
    chosen = lang()

    def t(key: str, **fields: object) -> str:
        return translate(key, chosen, **fields)

    return {"t": t, "lang": chosen, "html_lang": HTML_LANG[chosen], "lang_names": LANG_NAMES, "csp_nonce": csp_nonce,
            "staff": current_user.staff if current_user and current_user.is_authenticated else None}
