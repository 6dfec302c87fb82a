"""A health check for load balancers and operators: can the service answer callers, and is anything degraded."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ivr.store.recorder import Recorder
from ivr.web.menus import MenuStore

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Report the menus in use, whether the database answers, and how many call events wait in the spool."""
    # Callers are served in every case, so the service stays in the load balancer: always 200.
    return jsonify(health_status())


def health_status() -> dict[str, Any]:
    """Return the menus in use (and a rejected edit), the database's state and the call events waiting."""
    store: MenuStore = current_app.extensions["ivr.menus"]
    recorder: Recorder = current_app.extensions["ivr.recorder"]
    store.refresh()
    if recorder.resting():
        database = "unreachable (the service waits a few seconds before trying it again)"
    else:
        try:
            with recorder.store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError as exc:
            database = f"unreachable ({type(exc).__name__})"
    waiting = recorder.pending()
    menus = store.state()
    degraded = database != "ok" or waiting > 0 or menus.rejected_edit is not None or menus.saved_copy
    return {
        "status": "degraded" if degraded else "ok",
        "menus": {"units": menus.units, "source": menus.source, "saved_copy": menus.saved_copy,
                  "rejected_edit": menus.rejected_edit},
        "database": database,
        "events_waiting": waiting,
    }
