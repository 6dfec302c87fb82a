"""Call events, one class per kind, cleaned and bounded when they are made at the web edge.

Whatever a request carried, an event holds only values every backend stores: strings without NUL or control
characters and no longer than their column, integers within a 32-bit column, a known language. The outbox
keeps events as JSON and the store writes them; neither ever sees a value that can fail for its content.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from ivr.core.model import LANGS
from ivr.redact import UNPRINTABLE

# The largest value of an INTEGER column in PostgreSQL (and well within SQLite's).
MAX_INT = 2_147_483_647
# NUL, controls, format characters and line/paragraph separators: no column or log line wants them.


def text(value: object, limit: int) -> str | None:
    """Return a printable string of at most limit characters, or None for nothing."""
    if value is None:
        return None
    cleaned = str(value)[: limit * 4]
    if not cleaned.isprintable():  # the usual value is printable already: only odd ones pay for the filter
        cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) not in UNPRINTABLE)
    cleaned = cleaned.strip()[:limit]
    return cleaned or None


def count(value: object) -> int | None:
    """Return a whole number from 0 to MAX_INT read from a request value ("17", "1e30", "-3"), or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()[:64]) if not isinstance(value, int) else value
    except ValueError:
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return MAX_INT if number > 0 else None
    return max(0, min(int(number), MAX_INT)) if number >= 0 else None


# Runs of three or more digits (spaces and dashes between them allowed) in what a caller said: ID card and phone
# numbers are personal data, and the records keep the sentence for years.
_NUMBER_RUN = re.compile(r"\d(?:[\s\-]*\d){2,}")
MAX_SENTENCE = 200
MAX_OFFERED = 200
OFFERED_SEPARATOR = "+"


def sentence(value: object) -> str | None:
    """Return a caller's sentence as the records keep it: printable, bounded, runs of 3+ digits masked."""
    cleaned = text(value, MAX_SENTENCE * 2)
    if cleaned is None:
        return None
    return _NUMBER_RUN.sub(lambda run: "*" * len(run.group()), cleaned)[:MAX_SENTENCE]


def offered_units(value: object) -> str | None:
    """Return the offices a sentence was routed to as one bounded text ("a+b", "" for none), or None."""
    if isinstance(value, str):
        items: list[object] = list(value.split(OFFERED_SEPARATOR))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return None
    names = [name for name in (text(item, 64) for item in items[:3]) if name]
    return OFFERED_SEPARATOR.join(names)[:MAX_OFFERED]


def confidence(value: object) -> float | None:
    """Return the recogniser's confidence (0-1) from a request value, or None when missing or unreadable."""
    try:
        number = float(str(value).strip()[:32])
    except ValueError:
        return None
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def spoken_language(value: object) -> str | None:
    """Return a language code the hotline speaks, or None."""
    return value if value in LANGS else None


@dataclass(frozen=True)
class CallEvent:
    """Something that happened in a call, at a moment."""

    kind: ClassVar[str]
    call_sid: str
    at: datetime

    def to_json(self) -> str:
        """Return the event as one JSON document for the outbox."""
        data: dict[str, Any] = {"kind": self.kind}
        for name in _FIELD_NAMES[type(self)]:
            data[name] = getattr(self, name)
        data["at"] = self.at.isoformat()
        return _ENCODER.encode(data)

    @staticmethod
    def from_json(document: str) -> CallEvent:
        """Rebuild an event from the outbox; the values pass the same cleaning again."""
        data: dict[str, Any] = json.loads(document)
        kind = EVENT_KINDS[data.pop("kind")]
        data["at"] = datetime.fromisoformat(data["at"])
        names = _FIELD_NAMES[kind]
        event: CallEvent = kind.make(**{k: v for k, v in data.items() if k in names})
        return event


@dataclass(frozen=True)
class StepEvent(CallEvent):
    """One step of a call: where it was, the key pressed, and what the hotline decided."""

    kind: ClassVar[str] = "step"
    seq: int
    node: str
    digits: str | None
    outcome: str
    unit_id: str | None
    landed: str | None  # where the step left the caller: the node they hang up at if they do
    language: str | None
    caller: str | None
    called: str | None
    forwarded_number: str | None
    dial_status: str | None
    dial_duration: int | None
    out_of_hours: bool | None  # for the unit reached; at the first step, for the bureau
    unit_hours: bool  # out_of_hours concerns the unit reached (it then wins over the bureau's)
    speech: str | None = None  # what the caller said at this step, digits masked
    offered: str | None = None  # the offices the sentence was routed to ("a+b"; "" for none; None: not routed)

    @classmethod
    def make(cls, *, call_sid: object, at: datetime, seq: object, node: object, digits: object = None,
             outcome: object, unit_id: object = None, landed: object = None, language: object = None,
             caller: object = None, called: object = None, forwarded_number: object = None,
             dial_status: object = None, dial_duration: object = None, out_of_hours: bool | None = None,
             unit_hours: bool = False, speech: object = None, offered: object = None) -> StepEvent:
        """Build a step event from raw values, cleaning and bounding each one."""
        return cls(sid(call_sid), at, count(seq) or 0, text(node, 128) or "start", text(digits, 8),
                   text(outcome, 32) or "menu", text(unit_id, 64), text(landed, 128), spoken_language(language),
                   text(caller, 32), text(called, 32), text(forwarded_number, 32), text(dial_status, 16),
                   count(dial_duration), out_of_hours if isinstance(out_of_hours, bool) else None, bool(unit_hours),
                   sentence(speech), offered_units(offered))


@dataclass(frozen=True)
class RecordingEvent(CallEvent):
    """A voice message: known from the <Record> action, the recording callback, or both."""

    kind: ClassVar[str] = "recording"
    recording_sid: str
    recording_url: str | None
    duration: int | None
    caller: str | None
    unit_id: str | None

    @classmethod
    def make(cls, *, call_sid: object, at: datetime, recording_sid: object, recording_url: object = None,
             duration: object = None, caller: object = None, unit_id: object = None) -> RecordingEvent:
        """Build a recording event from raw values, cleaning and bounding each one."""
        return cls(sid(call_sid), at, sid(recording_sid), text(recording_url, 2048), count(duration),
                   text(caller, 32), text(unit_id, 64))


@dataclass(frozen=True)
class CallEndedEvent(CallEvent):
    """The provider's status callback: the call is over."""

    kind: ClassVar[str] = "call_ended"
    call_status: str | None
    duration: int | None
    caller: str | None
    called: str | None

    @classmethod
    def make(cls, *, call_sid: object, at: datetime, call_status: object = None, duration: object = None,
             caller: object = None, called: object = None) -> CallEndedEvent:
        """Build a call-ended event from raw values, cleaning and bounding each one."""
        return cls(sid(call_sid), at, text(call_status, 16), count(duration), text(caller, 32), text(called, 32))


# One encoder for every event: json.dumps with options builds a new one each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


EVENT_KINDS: dict[str, Any] = {kind.kind: kind for kind in (StepEvent, RecordingEvent, CallEndedEvent)}
_FIELD_NAMES = {kind: tuple(f.name for f in fields(kind)) for kind in EVENT_KINDS.values()}


def sid(value: object) -> str:
    """Return a provider id (CallSid, RecordingSid) with only the letters and digits such ids have."""
    given = str(value or "")[:64]
    if given.isascii() and given.isalnum():  # a real id: nothing to remove
        return given
    cleaned = "".join(ch for ch in given if ch.isascii() and ch.isalnum())
    return cleaned or "unknown"
