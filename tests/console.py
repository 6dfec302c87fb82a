"""Helpers for the staff console's tests: accounts, voice messages in the records, and logging in."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ivr.clock import parse_moment
from ivr.events import RecordingEvent, StepEvent
from ivr.store.database import Store
from ivr.store.staff import StaffStore
from tests.conftest import make_app

PASSWORDS = {"admin": "admin password 1", "editor": "editor password 2", "viewer": "viewer password 3"}
WINTER_WEEKDAY_10AM = "2026-11-26T10:00:00+08:00"  # Thursday


def console_app(**config: Any) -> Flask:
    """The app with one staff account per role, named after the role."""
    app = make_app(**{"FROZEN_TIME": WINTER_WEEKDAY_10AM, **config})
    accounts = StaffStore(records(app))
    for role, password in PASSWORDS.items():
        accounts.add(role, password, role, datetime(2026, 11, 1, tzinfo=parse_moment("2026-11-01T00:00").tzinfo))
    return app


def set_now(app: Flask, moment: str) -> None:
    """Move the app's frozen "now" (its settings are otherwise fixed when it is created)."""
    app.extensions["ivr.settings"] = app.extensions["ivr.settings"].but(frozen_time=parse_moment(moment))


def records(app: Flask) -> Store:
    """The app's call records store."""
    store: Store = app.extensions["ivr.recorder"].store
    return store


def leave_message(app: Flask, recording_url: str, caller: str = "+8613812345678", unit: str = "marriage_registry",
                  lang: str = "ko", at: str = "2026-11-26T19:05:00+08:00") -> str:
    """Keep a voice message as the webhooks keep one: the caller's language step, then the recording."""
    call_sid, recording_sid = "CA" + secrets.token_hex(16), "RE" + secrets.token_hex(16)
    moment = parse_moment(at)
    records(app).apply([
        StepEvent.make(call_sid=call_sid, at=moment, seq=1, node="language", digits="2", outcome="menu",
                       language=lang, caller=caller, called="+864333622075"),
        RecordingEvent.make(call_sid=call_sid, at=moment, recording_sid=recording_sid, caller=caller, unit_id=unit,
                            recording_url=recording_url + recording_sid, duration=15),
    ])
    return recording_sid


def settle(app: Flask) -> None:
    """Write the call events still in the outbox, as the background writer does within a second."""
    app.extensions["ivr.recorder"].flush()


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    """Return the CSRF token of the form on a console page."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def log_in(client: FlaskClient, role: str) -> None:
    """Log in with the account of a role, as the login form does."""
    response = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": role,
                                                  "password": PASSWORDS[role]})
    assert response.status_code == 302, response.get_data(as_text=True)
