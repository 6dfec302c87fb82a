"""Voice messages: the list with filters, the recording fetched from the provider's API, and "called back"."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from ivr.clock import TIMEZONE
from ivr.recordings import NotAnAddress, RecordingError, keep_recording
from ivr.redact import loggable, mask_number
from ivr.store.database import Voicemail
from ivr.web import settings
from ivr.web.admin import audit, bp, hotline, lang, me, moment, records, requires
from ivr.web.admin.errors import day_arg, refusal
from ivr.web.admin.i18n import translate

log = logging.getLogger(__name__)
STATUSES = ("new", "called back")


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    """Voice messages newest first, filtered by unit, status and date."""
    unit = request.args.get("unit") or None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    since, until = day_arg("since", request.args.get("since")), day_arg("until", request.args.get("until"))
    found = records().voicemails(unit=unit, status=status, since=_start(since),
                                 until=_start(until + timedelta(days=1)) if until else None)
    current = hotline()
    marked = _shown(request.args.get("marked", type=int))
    unmarked = _shown(request.args.get("unmarked", type=int))
    return render_template("admin/messages.html", marked=marked, unmarked=unmarked, messages=found,
                           units=list(current.units.values()),
                           hotline=current, unit=unit, status=status, since=since, until=until,
                           statuses=STATUSES, may_mark=me().may("editor"))


def _shown(voicemail_id: int | None) -> Voicemail | None:
    """Return the message a banner speaks of (just marked or unmarked), when it exists."""
    found = records().voicemails(voicemail_id=voicemail_id) if voicemail_id is not None else []
    return found[0] if found else None


def _start(day: date | None) -> datetime | None:
    return TIMEZONE.localize(datetime.combine(day, time())) if day else None


def _message(voicemail_id: int) -> Voicemail:
    found = records().voicemails(voicemail_id=voicemail_id)
    if not found:
        abort(404)
    return found[0]


@bp.get("/messages/<int:voicemail_id>/recording")
def recording(voicemail_id: int) -> ResponseReturnValue:
    """Send the recording of a message from the local copy, fetching it from the provider's API the first time."""
    message = _message(voicemail_id)
    if not message.recording_url:
        abort(404)
    config = settings()
    try:
        path = keep_recording(config.instance_dir / "recordings", message.recording_sid, message.recording_url,
                              config.provider_api_url, config.account_sid, config.auth_token)
    except NotAnAddress as exc:  # no request can ever fetch it: not the provider's failure, nothing to retry
        log.warning("Voice message %s: %s", voicemail_id, loggable(str(exc), limit=400))
        return refusal(404, "recording_unavailable_title", translate("recording_bad_address", lang()),
                       translate("recording_bad_address_advice", lang()), detail=str(exc))
    except RecordingError as exc:
        log.warning("Voice message %s: %s", voicemail_id, loggable(str(exc), limit=400))
        return refusal(502, "recording_unavailable_title", translate("recording_unavailable", lang()),
                       translate("recording_unavailable_advice", lang()), detail=str(exc))
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.get("/messages/<int:voicemail_id>/called-back")
@requires("editor")
def confirm_called_back(voicemail_id: int) -> ResponseReturnValue:
    """Ask before marking a message as called back (it can be undone afterwards)."""
    message = _message(voicemail_id)
    back = _back(request.args.get("back"))
    unit = hotline().units.get(message.unit or "")
    help_text = translate("confirm_called_back_help", lang(), caller=message.caller or "—",
                          at=f"{message.received_at:%Y-%m-%d %H:%M}", unit=unit.name(lang()) if unit else "—")
    return render_template("admin/confirm.html", title=translate("confirm_called_back_title", lang()),
                           help=help_text, diff=None, action=url_for("admin.called_back", voicemail_id=voicemail_id),
                           hidden={"back": back}, confirm=translate("confirm_called_back", lang()), cancel=back)


@bp.post("/messages/<int:voicemail_id>/called-back")
@requires("editor")
def called_back(voicemail_id: int) -> ResponseReturnValue:
    """Mark a message as called back, keeping who and when (editors and admins); the page then offers an undo."""
    message = _message(voicemail_id)
    records().mark_called_back(voicemail_id, moment(), by=me().username)
    audit("called_back", f"voice message {voicemail_id} from {mask_number(message.caller)}")
    return redirect(_with(_back(request.form.get("back")), marked=voicemail_id))


@bp.post("/messages/<int:voicemail_id>/new")
@requires("editor")
def not_called_back(voicemail_id: int) -> ResponseReturnValue:
    """Undo "called back": the message is new again, and the undo is audited."""
    message = _message(voicemail_id)
    records().mark_new(voicemail_id)
    audit("called_back_undone", f"voice message {voicemail_id} from {mask_number(message.caller)}")
    return redirect(url_for("admin.messages", unmarked=voicemail_id))


def _back(value: str | None) -> str:
    """Return the messages page to go back to (with its filters), never another site."""
    # A control character (CR, LF) cannot go into the Location header.
    return value if value and value.startswith("/admin/messages") and not value.startswith("//") \
        and value.isprintable() else url_for("admin.messages")


def _with(address: str, **query: object) -> str:
    parts = urlsplit(address)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in query]
    return urlunsplit(parts._replace(query=urlencode([*kept, *((k, str(v)) for k, v in query.items())])))
