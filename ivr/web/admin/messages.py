"""Voice messages: the list with filters, the recording fetched from the provider's API, and "called back"."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

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
    return render_template("admin/messages.html", messages=found, units=list(current.units.values()),
                           hotline=current, unit=unit, status=status, since=since, until=until,
                           statuses=STATUSES, may_mark=me().may("editor"))


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


@bp.post("/messages/<int:voicemail_id>/called-back")
@requires("editor")
def called_back(voicemail_id: int) -> ResponseReturnValue:
    """Mark a message as called back, keeping who and when (editors and admins)."""
    message = _message(voicemail_id)
    records().mark_called_back(voicemail_id, moment(), by=me().username)
    # The audit log outlives IVR_KEEP_DAYS: it names the message, never the caller's whole number.
    audit("called_back", f"voice message {voicemail_id} from {mask_number(message.caller)}")
    back = request.form.get("back") or ""
    # Back to the list with its filters; a control character (CR, LF) cannot go into the Location header.
    return redirect(back if back.startswith("/admin/messages") and back.isprintable() else url_for("admin.messages"))
