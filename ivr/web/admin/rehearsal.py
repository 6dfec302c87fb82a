"""Try a call: a keypad that drives the real signed webhooks of a preview app, never writing the real records."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from ivr.clock import ClockError, parse_moment
from ivr.core.decision import DIAL_STATUSES, Node, NodeKind
from ivr.core.loader import check_hotline
from ivr.core.model import LANGS, Hotline, Lang
from ivr.core.names import node_name, unit_name
from ivr.core.schedule import OfficeHours
from ivr.core.speech import say_moment
from ivr.menu_edits import candidate_folder
from ivr.simulator import CallResult, CallSimulator, Ending, Said, pressed_keys
from ivr.store.drafts import StoredDraft
from ivr.web.admin import bp, hotline, lang, me, moment
from ivr.web.admin.edits import live_dir, my_draft
from ivr.web.admin.errors import day_arg, time_arg
from ivr.web.admin.heavy import heavy
from ivr.web.admin.i18n import pick_lang, translate
from ivr.web.admin.phones import staff_phone

KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
NO_KEY = "."
MAX_KEYS = 30
MAX_SAID = 200
_KEYS = re.compile(r"^[0-9*#.]*$")


@bp.route("/try", methods=["GET", "POST"])
@heavy("busy_try")
def rehearse() -> ResponseReturnValue:
    """Show the keypad; each press places the call again from the start with every key pressed so far (GET, or
    POST as the keypad was sent before)."""
    form = request.form if request.method == "POST" else request.args
    at = _moment(form.get("date"), form.get("time"))
    caller_lang = pick_lang(form.get("caller_lang"))
    dial_status = str(form.get("dial_status")) if form.get("dial_status") in DIAL_STATUSES else "completed"
    # A sentence typed is said at the first menu after the language choice; a new one places the call afresh.
    said = " ".join(str(form.get("said", "")).split())[:MAX_SAID]
    # The keypad is a GET form (a call on the preview app changes nothing): each press is a page of its own, and
    # Back walks through the presses without asking to send a form again.
    keys = form.get("keys", "") if not {"restart", "speak"} & set(form) else ""
    pressed = form.get("key", "")
    if not _KEYS.match(keys) or len(keys) >= MAX_KEYS:
        keys = ""
    if pressed in (*KEYPAD, NO_KEY) and "restart" not in form:
        keys += pressed
    # A kept draft, by its number: its publish page links here (GET) and the keypad sends it back (POST).
    token = form.get("draft")
    if token and not me().may("editor"):
        abort(403)  # only editors rehearse an unpublished edit
    draft = my_draft(token) if token else None
    if token and draft is None:
        abort(404)  # published, discarded, or another staff member's
    result, current = _call(at, caller_lang, keys, dial_status, draft, said)
    steps = _steps(result)
    return render_template("admin/try.html", at=at, caller_lang=caller_lang, keys=keys, keypad=KEYPAD, said=said,
                           max_said=MAX_SAID,
                           no_key=NO_KEY, steps=steps, outcome=_outcome(current, result, at, lang()),
                           langs=LANGS, dial_statuses=DIAL_STATUSES, dial_status=dial_status,
                           voice_tags={"zh": "zh-CN", "ko": "ko-KR"}, draft=draft,
                           draft_files=sorted(draft.texts) if draft else [])


def _call(at: datetime, caller_lang: Lang, keys: str, dial_status: str, draft: StoredDraft | None, said: str = ""
          ) -> tuple[CallResult, Hotline]:
    """Place the preview call on the live menus, or on the live menus with an unpublished edit over them."""
    if draft is None:
        return place_preview_call(at, caller_lang, keys, dial_status, said=said), hotline()
    with candidate_folder(live_dir(), dict(draft.texts)) as folder:
        candidate, _ = check_hotline(folder)
        if candidate is None:
            abort(409)  # the live files changed under the edit so that it no longer loads: edit again
        return place_preview_call(at, caller_lang, keys, dial_status, menus_dir=folder, said=said), candidate


def _moment(day: str | None, clock: str | None) -> datetime:
    """Read the chosen date and time (Asia/Shanghai); without them, the console's "now"."""
    checked_day, checked_time = day_arg("date", day), time_arg("time", clock)  # a bad one is refused (400)
    try:
        return parse_moment(f"{checked_day}T{checked_time}") if checked_day and checked_time else moment()
    except ClockError:
        return moment()


def place_preview_call(at: datetime, caller_lang: Lang, keys: str, dial_status: str,
                       menus_dir: Path | None = None, said: str = "") -> CallResult:
    """Place a call at a moment against a preview app with a scratch database, pressing the keys in order
    (after saying `said` at the first menu, when given).

    menus_dir, when given, is the menus folder the preview app serves instead of the live one (an edit's
    candidate)."""
    from ivr.web import create_app, settings

    with tempfile.TemporaryDirectory(prefix="ivr-preview-") as scratch:
        preview = create_app(settings().for_preview(at, menus_dir or settings().menus_dir, Path(scratch)))
        try:
            language_key = preview.extensions["ivr.menus"].flow.hotline.voice(caller_lang).key
            source = pressed_keys(language_key, Said(said), keys) if said else pressed_keys(language_key + keys)
            return CallSimulator(preview).call(source, dial_status=dial_status)
        finally:
            preview.extensions["ivr.recorder"].stop()  # its writer thread ends with the scratch folder


def _steps(result: CallResult) -> list[list[dict[str, Any]]]:
    """Group the transcript into steps, each ending where the caller pressed (or did not press) a key."""
    steps: list[list[dict[str, Any]]] = [[]]
    for line in result.transcript:
        if line.kind == "hung_up" and result.outcome is not None and result.outcome.kind == Ending.CALLER_HUNG_UP:
            continue  # the keys pressed so far ran out: the call waits for the next one
        audio = line.detail.get("audio")
        steps[-1].append({"kind": line.kind, "text": line.text, "lang": line.lang, "number": line.detail.get("number"),
                          "audio": urlsplit(audio).path if audio else None})
        if line.kind in ("pressed", "said", "no_input"):
            steps.append([])
    return [step for step in steps if step]


def _outcome(current: Hotline, result: CallResult, at: datetime, chosen: Lang) -> dict[str, str]:
    """Say how the call ends (or where it waits) in the console's language."""
    outcome = result.outcome
    kind = outcome.kind if outcome is not None else Ending.ERROR
    unit = unit_name(current, str(outcome.unit), chosen) if outcome is not None else ""
    if outcome is not None and kind == Ending.FORWARDED:
        number = str(outcome.number)
        text = translate("outcome_forwarded", chosen, unit=unit, number=staff_phone(number))
        return {"kind": kind, "text": text, "number": number}
    if kind == Ending.VOICEMAIL:
        return {"kind": kind, "text": translate("outcome_voicemail", chosen, unit=unit)}
    if outcome is not None and kind == Ending.CALLER_HUNG_UP:
        node = str(outcome.node)
        place = Node.read(node)
        if place is not None and place.kind == NodeKind.CLOSED and place.target in current.units:
            return {"kind": "closed", "text": _closed_text(current, place.target, at, chosen)}
        waiting = translate("outcome_waiting", chosen)
        return {"kind": "waiting", "text": f"{waiting}：{node_name(current, node, chosen)}"}
    if outcome is not None and kind == Ending.CONFIRMING:
        units = "、".join(f"{key} {unit_name(current, u, chosen)}" for key, u in enumerate(outcome.offered, start=1))
        return {"kind": kind, "text": translate("outcome_confirming", chosen, units=units)}
    if kind == Ending.GOODBYE:
        return {"kind": kind, "text": translate("outcome_goodbye", chosen)}
    return {"kind": "error", "text": f"{translate('outcome_error', chosen)}: {outcome.as_json() if outcome else ''}"}


def _closed_text(current: Hotline, unit_id: str, at: datetime, chosen: Lang) -> str:
    """Say why a unit is closed at the moment of the call and when it opens next."""
    unit = current.units[unit_id]
    status = OfficeHours(current).status(unit, at)
    reason = translate(f"reason_{status.reason}", chosen)
    if status.reason_name:
        reason += f"（{status.reason_name(chosen)}）"
    text = translate("outcome_closed", chosen, unit=unit.name(chosen), reason=reason)
    if status.next_open:
        text += f"; {translate('next_open', chosen)}: {say_moment(status.next_open, status.at, chosen)}"
    return text
