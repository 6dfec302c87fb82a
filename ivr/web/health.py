"""A health check for load balancers and operators: can the service answer callers, and is anything degraded."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ivr.clock import now
from ivr.core.calendar import missing_notice
from ivr.store.recorder import Recorder
from ivr.web import following, settings
from ivr.web.following import NotTaken
from ivr.web.menus import MenuStore

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
# Addresses of this machine: without IVR_HEALTH_TOKEN, only an operator here (not via a proxy) sees the details.
LOOPBACK = frozenset({"127.0.0.1", "::1"})
# Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever its socket says.
FORWARDED_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def health_status() -> dict[str, Any]:
    """Return the menus in use, the database's state and the call events waiting, set aside or held in memory."""
    store: MenuStore = current_app.extensions["ivr.menus"]
    recorder: Recorder = current_app.extensions["ivr.recorder"]
    store.refresh(wait=True)
    menus = store.state()
    records = recorder.state()
    degraded = (records.database != "ok" or records.waiting != 0 or records.set_aside != 0 or records.in_memory
                or records.dropped or menus.rejected_edit is not None or menus.saved_copy
                or menus.newest_not_served is not None)
    return {
        "status": "degraded" if degraded else "ok",
        "menus": {"units": menus.units, "source": menus.source, "saved_copy": menus.saved_copy,
                  "rejected_edit": menus.rejected_edit, "version": menus.version, "newest": menus.newest,
                  "newest_not_served": _not_served(menus.newest_not_served)},
        "database": records.database,
        # -1: the outbox itself cannot be read right now.
        "events_waiting": records.waiting,
        "events_set_aside": records.set_aside,
        "events_in_memory": records.in_memory,
        "events_dropped": records.dropped,
        # A coming year whose State Council notice is not entered, from 60 days before it (None otherwise).
        "holiday_notice_missing": _notice_missing(store),
    }


def _notice_missing(store: MenuStore) -> dict[str, Any] | None:
    """Name the year whose holidays lack make-up working days until its notice is entered, and since when."""
    missing = missing_notice(store.flow.hotline.calendar, now(settings().frozen_time).date())
    if missing is None:
        return None
    return {"year": missing.year, "warned_since": missing.warn_from.isoformat(),
            "what": f"the State Council's holiday notice for {missing.year} is in neither chinese-calendar nor "
                    f"calendar.yaml: {missing.year} uses the statutory holidays only, without make-up working days; "
                    "enter it at /admin/edit/notice"}


def _not_served(waiting: NotTaken | None) -> dict[str, Any] | None:
    """Describe the newest version this server cannot serve: which, by whom, why, and how often it is tried."""
    if waiting is None:
        return None
    return {"version": waiting.version.id, "author": waiting.version.author,
            "published_at": waiting.version.published_at.isoformat(), "why": waiting.reason,
            "tried_every_seconds": following.RETRY_SECONDS}


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Say only ok, degraded (200: callers are served) or down (503), to anyone: the details name folders,
    the database's host and a rejected edit's text, which are for staff and operators."""
    try:
        status = health_status()["status"]
    except Exception:  # a health check answers whatever broke: the load balancer takes this server out
        log.exception("The health check failed; /health says down.")
        return jsonify({"status": "down"}), 503
    return jsonify({"status": status})


@bp.get("/health/details")
def health_details() -> ResponseReturnValue:
    """The whole health report, for a request with `Authorization: Bearer IVR_HEALTH_TOKEN`; without that
    setting, for a request from this machine that no proxy forwarded."""
    if not operator_may_read(settings().health_token):
        return jsonify({"error": "Send Authorization: Bearer <IVR_HEALTH_TOKEN> to read the health details."}), \
            401, {"WWW-Authenticate": 'Bearer realm="health"'}
    return jsonify(health_status())


def operator_may_read(token: str | None) -> bool:
    """Tell whether this request may read an operator's page (the health details, the metrics): it carries
    `Authorization: Bearer <token>` when a token is set (compared in constant time), else it comes from this
    machine and no proxy forwarded it."""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), f"Bearer {token}".encode())
    forwarded = any(name in request.headers for name in FORWARDED_HEADERS)
    return request.remote_addr in LOOPBACK and not forwarded
