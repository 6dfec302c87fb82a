"""A call simulator: drives the real app in-process the way the provider does, and writes down what happens."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.core.decision import CONNECTED, OFFERED_SEPARATOR, UNIT_NODES, Node, NodeKind
from ivr.web.menus import MenuStore

# A call that takes more steps than this is stuck in a loop; the simulator stops it.
MAX_STEPS = 80
NO_INPUT = "."
DEFAULT_CALLER = "+8613812345678"


class CallerHangsUp(Exception):
    """The simulated caller has no more keys to press."""


@dataclass(frozen=True)
class Said:
    """A sentence the simulated caller says at a prompt, and the confidence the recogniser reports (None: none)."""

    text: str
    confidence: float | None = 0.9


KeySource = Callable[[], "str | Said | None"]  # a key, a sentence, or None for no input; raises CallerHangsUp


@dataclass
class Line:
    """One thing that happened in the call, for the transcript."""

    kind: str  # heard, pressed, said, no_input, forwarded, dial_result, recorded, hung_up, error
    text: str = ""
    lang: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Ending(StrEnum):
    """How a simulated call ends (or where it waits when the caller hangs up)."""

    FORWARDED = "forwarded"
    VOICEMAIL = "voicemail"
    CALLER_HUNG_UP = "caller_hung_up"
    GOODBYE = "goodbye"
    ERROR = "error"
    LOOP = "loop"
    CONFIRMING = "confirming"  # the caller hung up while asked to confirm an office, or pick one on keys 1-3


# The facts each ending carries, in the order `ivr call --json` prints them.
_ENDING_FIELDS: dict[Ending, tuple[str, ...]] = {
    Ending.FORWARDED: ("number", "unit", "dial_status"),
    Ending.VOICEMAIL: ("unit", "recording_url"),
    Ending.CALLER_HUNG_UP: ("node",),
    Ending.CONFIRMING: ("node", "offered"),
    Ending.ERROR: ("status",),
}


@dataclass(frozen=True)
class CallOutcome:
    """How a simulated call ended: the ending and the facts that go with it."""

    kind: Ending
    unit: str | None = None
    number: str | None = None
    dial_status: str | None = None
    node: str | None = None
    recording_url: str | None = None
    status: int | None = None
    offered: tuple[str, ...] = ()  # the offices offered, in the order of their keys (CONFIRMING)

    def as_json(self) -> dict[str, Any]:
        """Return the outcome as plain data: the kind and the facts of that kind."""
        facts = {name: getattr(self, name) for name in _ENDING_FIELDS.get(self.kind, ())}
        if "offered" in facts:
            facts["offered"] = list(self.offered)
        return {"kind": str(self.kind), **facts}


@dataclass
class CallResult:
    """The transcript of a simulated call and how it ended."""

    call_sid: str
    transcript: list[Line] = field(default_factory=list)
    outcome: CallOutcome | None = None
    play_urls: list[str] = field(default_factory=list)
    listener: Callable[[Line], None] | None = field(default=None, repr=False)

    def add(self, line: Line) -> None:
        """Write a line into the transcript and show it to whoever listens."""
        self.transcript.append(line)
        if self.listener is not None:
            self.listener(line)

    def heard(self) -> list[str]:
        """Return everything the caller heard, in order."""
        return [line.text for line in self.transcript if line.kind == "heard"]

    def as_json(self) -> dict[str, Any]:
        """Return the call as plain data for --json."""
        return {"call_sid": self.call_sid, "transcript": [asdict(line) for line in self.transcript],
                "outcome": self.outcome.as_json() if self.outcome else None}


def pressed_keys(keys: str, said: Said | None = None, then: str = "") -> KeySource:
    """Return a key source that presses the given keys in order ('.' waits without pressing), then says the
    sentence (if any) and presses the keys of `then`, then hangs up."""
    queue: Iterator[str | Said] = iter([*(k for k in keys if not k.isspace()), *([said] if said else []),
                                        *(k for k in then if not k.isspace())])

    def next_key() -> str | Said | None:
        key = next(queue, None)
        if key is None:
            raise CallerHangsUp
        return None if key == NO_INPUT else key

    return next_key


class CallSimulator:
    """Places simulated calls against a Flask app, signing every request as the provider does."""

    def __init__(self, app: Flask, caller: str = DEFAULT_CALLER, called: str = "+864333622075",
                 base_url: str = "http://localhost", listener: Callable[[Line], None] | None = None) -> None:
        self.app = app
        self.listener = listener
        self.client = app.test_client()
        self.token = app.extensions["ivr.settings"].auth_token or ""
        self.caller = caller
        self.called = called
        self.base_url = base_url.rstrip("/")
        store: MenuStore = app.extensions["ivr.menus"]
        hotline = store.flow.hotline
        self.recordings = {f"/audio/{file}": (prompt.text(lang), lang)  # type: ignore[arg-type]
                           for prompt in hotline.prompts.values() for lang, file in prompt.audio.items()}

    def call(self, keys: KeySource, dial_status: str = "completed") -> CallResult:
        """Place one call: follow the TwiML until the hotline or the caller hangs up."""
        result = CallResult(call_sid="CA" + secrets.token_hex(16), listener=self.listener)
        url, form = "/voice", self._form(result.call_sid)
        for _ in range(MAX_STEPS):
            following = self._step(result, url, form, keys, dial_status)
            if following is None:
                break
            next_url, extra = following
            url, form = next_url, {**self._form(result.call_sid), **extra}
        else:
            result.add(Line("error", f"the call did not end within {MAX_STEPS} steps"))
            result.outcome = CallOutcome(Ending.LOOP)
        self.post("/voice/status", {**self._form(result.call_sid), "CallStatus": "completed", "CallDuration": "60"})
        return result

    def post(self, url: str, form: dict[str, str]) -> Any:
        """POST to the app with a valid X-Twilio-Signature over the URL the provider would request."""
        absolute = self._absolute(url)
        signature = RequestValidator(self.token).compute_signature(absolute, form)
        path = absolute.removeprefix(self.public)
        return self.client.post(path or "/", data=form, headers={"X-Twilio-Signature": signature})

    @property
    def public(self) -> str:
        """The base URL the provider reaches the app at: PUBLIC_URL when set, else the test client's host."""
        return str(self.app.extensions["ivr.settings"].public_url or self.base_url).rstrip("/")

    def _absolute(self, url: str) -> str:
        return self.public + url if url.startswith("/") else url

    def _form(self, call_sid: str) -> dict[str, str]:
        return {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller, "To": self.called,
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}

    def _step(self, result: CallResult, url: str, form: dict[str, str], keys: KeySource,
              dial_status: str) -> tuple[str, dict[str, str]] | None:
        response = self.post(url, form)
        if response.status_code != 200:
            result.add(Line("error", f"HTTP {response.status_code} from {url}"))
            result.outcome = CallOutcome(Ending.ERROR, status=response.status_code)
            return None
        root = ET.fromstring(response.data)
        for verb in root:
            if verb.tag in ("Say", "Play"):
                self._hear(result, verb)
            elif verb.tag == "Gather":
                try:
                    following = self._gather(result, url, verb, keys)
                except CallerHangsUp:
                    self._hang_up(result, _node(verb.get("action", url)))
                    return None
                if following is not None:
                    return following
            elif verb.tag == "Redirect":
                return self._resolve(url, verb.text or url), {}
            elif verb.tag == "Dial":
                return self._dial(result, url, verb, dial_status)
            elif verb.tag == "Record":
                return self._record(result, url, verb, form)
            elif verb.tag == "Hangup":
                break
        result.add(Line("hung_up", "the hotline hangs up"))
        result.outcome = result.outcome or CallOutcome(Ending.GOODBYE)
        return None

    def _gather(self, result: CallResult, url: str, verb: ET.Element,
                keys: KeySource) -> tuple[str, dict[str, str]] | None:
        """Hear a Gather's prompts and answer it as the caller does; None when the caller presses nothing and the
        TwiML goes on (the Gather neither listens nor reports silence)."""
        for prompt in verb:
            self._hear(result, prompt)
        key = keys()
        # A Gather that listens reports a sentence, and silence too (actionOnEmptyResult), to its action.
        listens = "speech" in (verb.get("input") or "").split()
        action = self._resolve(url, verb.get("action", url))
        if isinstance(key, Said):
            result.add(Line("said", key.text, detail={"heard": listens, "confidence": key.confidence}))
            if listens:
                spoken = {"SpeechResult": key.text}
                if key.confidence is not None:
                    spoken["Confidence"] = f"{key.confidence:g}"
                return action, spoken
            key = None  # a Gather that takes keys only does not hear it: the caller pressed nothing
        if key is None:
            result.add(Line("no_input", "the caller presses nothing"))
            return (action, {}) if listens and verb.get("actionOnEmptyResult") == "true" else None
        result.add(Line("pressed", key))
        return action, {"Digits": key}

    def _hang_up(self, result: CallResult, node: str) -> None:
        result.add(Line("hung_up", "the caller hangs up", detail={"node": node}))
        place = Node.read(node)
        if place is not None and place.kind == NodeKind.CONFIRM:
            offered = tuple(place.target.split(OFFERED_SEPARATOR))
            result.outcome = CallOutcome(Ending.CONFIRMING, node=node, offered=offered)
        else:
            result.outcome = CallOutcome(Ending.CALLER_HUNG_UP, node=node)

    def _hear(self, result: CallResult, verb: ET.Element) -> None:
        if verb.tag == "Play":
            path = urlsplit(verb.text or "").path.removeprefix(urlsplit(self.public).path)
            result.play_urls.append(verb.text or "")
            text, lang = self.recordings.get(path, (f"[recording {path}]", None))
            result.add(Line("heard", text, lang, {"audio": verb.text}))
        else:
            lang = {"cmn-CN": "zh", "ko-KR": "ko"}.get(verb.get("language", ""), verb.get("language"))
            result.add(Line("heard", verb.text or "", lang))

    def _dial(self, result: CallResult, url: str, verb: ET.Element,
              dial_status: str) -> tuple[str, dict[str, str]] | None:
        number = (verb.findtext("Number") or verb.text or "").strip()
        action = verb.get("action")
        unit = _unit_of(action)
        result.add(Line("forwarded", f"forwarded to {number}", detail={
            "number": number, "unit": unit, "caller_id": verb.get("callerId"), "timeout": verb.get("timeout")}))
        result.add(Line("dial_result", dial_status))
        result.outcome = CallOutcome(Ending.FORWARDED, unit=unit, number=number, dial_status=dial_status)
        if not action:
            return None
        duration = "42" if dial_status in CONNECTED else "0"
        return self._resolve(url, action), {"DialCallStatus": dial_status, "DialCallDuration": duration}

    def _record(self, result: CallResult, url: str, verb: ET.Element,
                form: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        sid = "RE" + secrets.token_hex(16)
        recording = {"RecordingSid": sid, "RecordingDuration": "15",
                     "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{form['AccountSid']}/Recordings/{sid}"}
        action = verb.get("action")
        unit = _unit_of(action)
        left = Line("recorded", "the caller leaves a 15 s message", detail={"unit": unit, **recording})
        result.add(left)
        result.outcome = CallOutcome(Ending.VOICEMAIL, unit=unit, recording_url=recording["RecordingUrl"])
        callback = verb.get("recordingStatusCallback")
        if callback:
            self.post(self._resolve(url, callback), {**self._form(form["CallSid"]), **recording,
                                                     "RecordingStatus": "completed"})
        if not action:
            return None
        return self._resolve(url, action), recording

    def _resolve(self, current: str, target: str) -> str:
        """Resolve a TwiML URL against the URL just requested, as the provider does."""
        return urljoin(self._absolute(current), target)


def _node(url: str) -> str:
    """Return the node a TwiML action URL leads to, as written in it."""
    return parse_qs(urlsplit(url).query).get("node", ["language"])[0]


def _unit_of(url: str | None) -> str | None:
    """Return the unit a TwiML action URL's node concerns, if any."""
    place = Node.read(_node(url or ""))
    return place.target if place is not None and place.kind in UNIT_NODES else None
