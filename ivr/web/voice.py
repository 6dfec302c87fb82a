"""The webhooks the provider calls during a call: parse the request, ask the core, render TwiML, log."""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.clock import now
from ivr.core.decision import MAX_NODE_LENGTH, Ask, Decision, Event, Node, NodeKind, Say, Step
from ivr.core.flow import SPEECH_MISSES, CallFlow
from ivr.core.model import LANGS, Lang
from ivr.events import CallEndedEvent, CallEvent, RecordingEvent, StepEvent, confidence, count, sid
from ivr.events import text as clean_text
from ivr.redact import loggable, mask_number
from ivr.store.recorder import Recorder
from ivr.web import settings
from ivr.web.audio import recording_file
from ivr.web.menus import MenuStore
from ivr.web.metrics import app_counts
from ivr.web.security import SIGNATURE_HEADER, LogThrottle, is_signed
from ivr.web.twiml import TwimlRenderer

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")

MAX_TRIES_IN_URL = 50
# Rendered TwiML kept per call flow (a new flow after a menu edit starts afresh).
RENDERED_KEPT = 2000
RenderedKey = tuple[Decision, int, str, tuple[tuple[str, bool], ...]]
_RENDERED: weakref.WeakKeyDictionary[CallFlow, dict[RenderedKey, str]] = weakref.WeakKeyDictionary()
# What a caller said, as far as it is read: the router cuts a sentence at 200 characters anyway.
MAX_SPEECH_CHARS = 500
# Where a request's parameters are kept once read (see _values).
VALUES_KEY, QUERY_KEY, STARTED_KEY = "ivr.values", "ivr.query", "ivr.started"
# Said when nothing else can be relied on: no menus, no database, only this module.
FALLBACK_TEXTS = (
    ("对不起，系统暂时出现故障，正在为您转接总机。", "Polly.Zhiyu", "cmn-CN"),
    ("죄송합니다. 시스템에 잠시 문제가 생겨 대표전화로 련결합니다.", "Polly.Seoyeon", "ko-KR"),
)
FALLBACK_GOODBYE = (
    ("感谢您的来电，请稍后再拨。再见。", "Polly.Zhiyu", "cmn-CN"),
    ("전화해 주셔서 감사합니다. 잠시 후 다시 걸어 주십시오.", "Polly.Seoyeon", "ko-KR"),
)


@bp.before_request
def require_provider_signature() -> None:
    """Refuse (403) any request not signed by the provider; only development mode without a token skips this."""
    request.environ[STARTED_KEY] = time.perf_counter()  # a step's time, for /metrics, counts its signature check
    token = settings().auth_token
    if not token:
        return
    if not is_signed(request, token, settings().public_url):
        kind = "wrongly signed" if request.headers.get(SIGNATURE_HEADER) else "unsigned"
        throttle: LogThrottle = current_app.extensions.setdefault("ivr.refusals_log", LogThrottle())
        held = throttle.allow(kind)
        if held is not None:  # else a line of this kind was written less than a second ago: counted, not written
            log.warning("Refused an %s request to %s (CallSid %s)%s.", kind, loggable(request.path), _call_sid(),
                        f"; {held} more {kind} requests were refused since the last such line" if held else "")
        abort(403)


@bp.route("", methods=["GET", "POST"])
def incoming() -> Response:
    """A call comes in: greet the caller and offer the languages."""
    log.info("Call %s from %s to %s.", _call_sid(), mask_number(_values().get("From")), _logged("To"))
    return _answer(lambda flow: flow.decide(Step(), Event(), _now()), NodeKind.START)


@bp.route("/step", methods=["GET", "POST"])
def step() -> Response:
    """Any later step of a call; where the call is travels in the query string."""
    return _answer(lambda flow: flow.decide(_step_from_query(), _event_from_request(), _now()))


@bp.route("/status", methods=["POST"])
def call_status() -> Response:
    """The provider's status callback at the end of a call: it closes the call's record."""
    values = _values()
    log.info("Call %s ended: %s after %s s.", _call_sid(), _logged("CallStatus"), _logged("CallDuration"))
    _keep(lambda: CallEndedEvent.make(call_sid=_call_sid(), at=_now(), call_status=values.get("CallStatus"),
                                      duration=values.get("CallDuration"), caller=values.get("From"),
                                      called=values.get("To")))
    return _twiml(str(VoiceResponse().to_xml()))  # nothing to say: the call has moved on


@bp.route("/recording", methods=["POST"])
def recording_status() -> Response:
    """The provider's recording status callback: a voice message is ready to fetch."""
    log.info("Voice message %s of call %s: %s, %s s.", _logged("RecordingSid"), _call_sid(),
             _logged("RecordingStatus"), _logged("RecordingDuration"))
    _keep_recording(_query().get("unit"))
    return _twiml(str(VoiceResponse().to_xml()))  # nothing to say: the call has moved on


@bp.route("/fallback", methods=["GET", "POST"])
def fallback() -> Response:
    """The provider's Fallback URL: an apology and the main line, needing neither menus nor database."""
    log.error("The provider called the fallback for call %s (error %s: %s).", _call_sid(), _logged("ErrorCode"),
              _logged("ErrorUrl", limit=200))
    return _twiml(fallback_twiml(settings().fallback_number))


def fallback_twiml(number: str) -> str:
    """Return TwiML that apologises in both languages and puts the caller through to the main line."""
    response = VoiceResponse()
    for text, voice, language in FALLBACK_TEXTS:
        response.say(text, voice=voice, language=language)
    response.dial(number, timeout=30)
    for text, voice, language in FALLBACK_GOODBYE:
        response.say(text, voice=voice, language=language)
    response.hangup()
    return str(response.to_xml())


# The request, read defensively: anything odd becomes the start of a menu, never an error. -------------


def _step_from_query() -> Step:
    args = _query()
    lang = args.get("lang")
    try:
        tries = min(max(int(args.get("try", "0")), 0), MAX_TRIES_IN_URL)
    except ValueError:
        tries = 0
    return Step(
        # A place this hotline's flow never writes (a forged URL) starts the menus again, as an unknown menu does.
        node=Node.read(args.get("node", "language")[:MAX_NODE_LENGTH]) or Node(NodeKind.MENU),
        lang=lang if lang in LANGS else None,
        tries=tries,
        back=(args.get("back") or "")[:MAX_NODE_LENGTH] or None,
        misses=min(count(args.get("miss")) or 0, SPEECH_MISSES),
    )


def _event_from_request() -> Event:
    values = _values()
    digits = values.get("Digits", "").strip() or None
    # An empty SpeechResult is silence: no input, like a Gather that timed out.
    speech = clean_text(values.get("SpeechResult"), MAX_SPEECH_CHARS) if digits is None else None
    return Event(
        digits=digits,
        no_input=_query().get("input") == "none" and digits is None and speech is None,
        dial_status=values.get("DialCallStatus") or None,
        recording_url=values.get("RecordingUrl") or None,
        recording_seconds=count(values.get("RecordingDuration")),
        speech=speech,
        confidence=confidence(values.get("Confidence")) if speech else None,
    )


def _values() -> dict[str, str]:
    """Return the provider's parameters (the query string's first, as in request.values), read once a request.

    A plain dict: werkzeug's MultiDict answers each parameter a step asks for and the provider did not send
    (most of them) by raising and catching an exception.
    """
    environ = request.environ
    values: dict[str, str] | None = environ.get(VALUES_KEY)
    if values is None:
        values = environ[VALUES_KEY] = {**request.form.to_dict(), **_query()}
    return values


def _query() -> dict[str, str]:
    """Return the query string's parameters (where the call is), read once a request."""
    environ = request.environ
    query: dict[str, str] | None = environ.get(QUERY_KEY)
    if query is None:
        query = environ[QUERY_KEY] = request.args.to_dict()
    return query


def _logged(name: str, limit: int = 64) -> str:
    """Return a request value as it may appear in the log."""
    return loggable(_values().get(name), limit=limit)


def _call_sid() -> str:
    # Only the characters a CallSid has: a forged one must not write lines of its own into the log.
    return sid(_values().get("CallSid"))


def _seq() -> int:
    return min(count(_query().get("seq")) or 0, 10_000)


def _now() -> datetime:
    return now(settings().frozen_time)


# Answering ---------------------------------------------------------------------------------------------


def _answer(decide: Callable[[CallFlow], Decision], kind: NodeKind | None = None) -> Response:
    """Decide and render a step (at a place of this kind: by default the query's); any unexpected error still
    answers valid TwiML."""
    try:
        flow = _store().flow
        decision = decide(flow)
        log.info("Call %s at %s (key %s): %s%s.", _call_sid(), loggable(_query().get("node"), "start"),
                 _logged("Digits"), decision.outcome, f" {decision.unit_id}" if decision.unit_id else "")
        xml = _render(flow, decision)
    except Exception:
        log.exception("Step %s of call %s failed; the caller hears an apology.", loggable(request.full_path, limit=300),
                      _call_sid())
        return _twiml(_apology())
    _keep_step(decision)
    _count(kind, decision)
    return _twiml(xml)


def _keep_step(decision: Decision) -> None:
    """Record the step (and a voice message it carries) for the call records."""
    values = _values()
    node = _query().get("node", "start")
    _keep(lambda: StepEvent.make(
        call_sid=_call_sid(), at=_now(), seq=_seq(), node=node, digits=values.get("Digits"),
        outcome=decision.outcome, unit_id=decision.unit_id, landed=decision.landed and str(decision.landed),
        speech=values.get("SpeechResult") if not values.get("Digits") else None, offered=decision.offered,
        language=decision.language or _query().get("lang"), caller=values.get("From"), called=values.get("To"),
        forwarded_number=decision.forwarded_number, dial_status=values.get("DialCallStatus"),
        dial_duration=values.get("DialCallDuration"), out_of_hours=decision.out_of_hours,
        unit_hours=decision.unit_id is not None))
    if values.get("RecordingSid"):
        _keep_recording(decision.unit_id)


def _count(kind: NodeKind | None, decision: Decision) -> None:
    """Count the step for /metrics (microseconds); whatever happens there, the caller is answered."""
    counts = app_counts()
    if counts is None:
        return
    try:
        started = request.environ.get(STARTED_KEY)
        seconds = time.perf_counter() - started if isinstance(started, float) else 0.0
        counts.step(kind or _step_from_query().node.kind, decision, _values().get("DialCallStatus"), seconds)
    except Exception:
        log.exception("Could not count a step of call %s for the metrics.", _call_sid())


def _keep_recording(unit: str | None) -> None:
    values = _values()
    if not values.get("RecordingSid"):
        return
    _keep(lambda: RecordingEvent.make(call_sid=_call_sid(), at=_now(), recording_sid=values.get("RecordingSid"),
                                      recording_url=values.get("RecordingUrl"),
                                      duration=values.get("RecordingDuration"), caller=values.get("From"),
                                      unit_id=unit))


def _keep(make: Callable[[], CallEvent]) -> None:
    """Hand an event to the recorder; whatever happens there, the caller is answered."""
    try:
        event = make()
        recorder: Recorder = current_app.extensions["ivr.recorder"]
        recorder.record(event)
    except Exception:
        log.exception("Could not keep an event of call %s.", _call_sid())


def _apology() -> str:
    """Say sorry, then the main line when the bureau is open, else goodbye; the fallback if even that fails."""
    try:
        flow = _store().flow
        lang: Lang = _query().get("lang") if _query().get("lang") in LANGS else "zh"  # type: ignore[assignment]
        return _renderer(flow).render(flow.apology(lang, _now()))
    except Exception:
        log.exception("Even the apology failed for call %s; answering with the fallback.", _call_sid())
        return fallback_twiml(settings().fallback_number)


def _render(flow: CallFlow, decision: Decision) -> str:
    """Render a decision, or take the TwiML already rendered for the same decision at the same step.

    Callers at the same place hear the same thing, so decisions repeat, and rendering is the costliest part
    of a step. Whether each recording is still there is part of the key: a deleted one is spoken at once.
    """
    rendered = _RENDERED.setdefault(flow, {})
    present = _recordings_present(flow, decision)
    key = (decision, _seq(), request.script_root, tuple(present.items()))
    xml = rendered.get(key)
    if xml is None:  # rendered with the same answers as the key: each recording is looked for once a step
        xml = _renderer(flow, lambda _folder, audio: present[audio]).render(decision)
        if len(rendered) >= RENDERED_KEPT:
            rendered.clear()
        rendered[key] = xml
    return xml


def _recordings_present(flow: CallFlow, decision: Decision) -> dict[str, bool]:
    """Return, for each recording the decision plays, whether its file is there now."""
    says = [a for a in decision.actions if isinstance(a, Say)]
    says += [p for a in decision.actions if isinstance(a, Ask) for p in a.prompts]
    return {say.audio: recording_file(flow.hotline.audio_dir, say.audio) is not None for say in says if say.audio}


def _renderer(flow: CallFlow, has_recording: Callable[[str, str], object] = recording_file) -> TwimlRenderer:
    # With PUBLIC_URL the TwiML carries absolute URLs: a path prefix the proxy strips (https://host/ivr) must
    # survive the provider resolving the next step.
    public = (settings().public_url or "").rstrip("/")

    step_path = public + url_for("voice.step")

    def step_url(step: Step, no_input: bool) -> str:
        params: dict[str, str] = {"node": str(step.node)}
        if step.lang:
            params["lang"] = step.lang
        if step.tries:
            params["try"] = str(step.tries)
        if step.back:
            params["back"] = step.back
        if step.misses:
            params["miss"] = str(step.misses)
        if no_input:
            params["input"] = "none"
        params["seq"] = str(_seq() + 1)  # tells a repeated delivery of a step from a new step
        return f"{step_path}?{urlencode(params)}"

    def audio_url(say: Say) -> str:
        return public + url_for("audio.recording", name=say.audio)

    def recording_callback(unit_id: str) -> str:
        return f"{public}{url_for('voice.recording_status')}?{urlencode({'unit': unit_id})}"

    return TwimlRenderer(flow.hotline, step_url, audio_url, settings().caller_id, recording_callback, has_recording)


def _store() -> MenuStore:
    store: MenuStore = current_app.extensions["ivr.menus"]
    return store


def _twiml(xml: str) -> Response:
    return Response(xml, status=200, content_type="text/xml; charset=utf-8")
