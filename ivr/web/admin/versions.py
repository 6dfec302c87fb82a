"""The published menus versions in the console: who published what and when, the difference, and a restore."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.publishing import restore
from ivr.store.database import StoreUnavailable
from ivr.store.versions import NewerVersion, PublishedVersions
from ivr.web.admin import audit, bp, lang, me, requires
from ivr.web.admin.edits import live_dir
from ivr.web.admin.errors import id_arg
from ivr.web.admin.i18n import translate
from ivr.web.admin.said import version_author
from ivr.web.menus import MenuStore


@bp.get("/versions")
@requires("editor")
def versions() -> ResponseReturnValue:
    """List every published version, newest first, with the difference of the one asked for."""
    store = _versions()
    asked, restored = id_arg("show", request.args.get("show")), id_arg("restored", request.args.get("restored"))
    try:
        found = store.history()
        shown = asked or (found[0].id if found else None)
        difference = store.diff(shown) if shown is not None else None
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    undo = id_arg("undo", request.args.get("undo"))
    return render_template("admin/versions.html", versions=found, shown=shown, difference=difference,
                           restored=restored, newest=found[0].id if found else None,
                           undo=undo if undo in {v.id for v in found} else None)


@bp.get("/versions/<int:number>/restore")
@requires("editor")
def confirm_restore(number: int) -> ResponseReturnValue:
    """Ask before a restore, showing what it changes against the newest version (it can be undone afterwards)."""
    store = _versions()
    try:
        head = store.head()
        if store.get(number) is None or head is None:
            abort(404)
        difference = store.diff_between(head.id, number)
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    return render_template("admin/confirm.html", title=translate("confirm_restore_title", lang(), number=number),
                           help=translate("confirm_restore_help", lang(), number=number, newest=head.id),
                           diff=difference or "", action=url_for("admin.restore_version", number=number),
                           hidden={"base": head.id}, confirm=translate("confirm_restore", lang()),
                           cancel=url_for("admin.versions"))


@bp.post("/versions/<int:number>/restore")
@requires("editor")
def restore_version(number: int) -> ResponseReturnValue:
    """Publish an earlier version's files again as the newest version, checked like any publish."""
    store = _versions()
    if store.get(number) is None:
        abort(404)
    # The newest version the page listed: a restore never undoes a version published since, unseen.
    typed = request.form.get("base", "").strip()
    base = int(typed) if typed.isdecimal() else None
    try:
        result = restore(store, live_dir(), number, me().username, base)
    except NewerVersion as refused:
        newest = refused.newest
        message = translate("restore_conflict", lang(), author=version_author(newest.author, lang()), number=newest.id,
                            at=f"{newest.published_at:%Y-%m-%d %H:%M}", base=base if base is not None else "?")
        return render_template("admin/versions.html", versions=store.history(), shown=newest.id,
                               difference=store.diff(newest.id), restored=None, conflict=message,
                               newest=newest.id), 409
    except StoreUnavailable:
        abort(503, description=translate("publish_no_database", lang()))
    if result.version is None:  # the files no longer pass today's checks (a recording removed since, say)
        return render_template("admin/versions.html", versions=store.history(), shown=number,
                               difference=store.diff(number), restored=None, refused=result.errors,
                               newest=None), 422
    audit("menus_restored", f"version {number} as version {result.version.id}")
    menus: MenuStore = current_app.extensions["ivr.menus"]
    menus.refresh()  # this worker at once; the others, and the other servers, within a few seconds
    # Undo is a restore of the version that was the newest before this one.
    return redirect(url_for("admin.versions", restored=number, show=result.version.id, undo=base))


def _versions() -> PublishedVersions:
    menus: MenuStore = current_app.extensions["ivr.menus"]
    if menus.follower is None:
        abort(404)  # this server keeps no versions
    return menus.follower.versions
