"""The words a call's journey is told in: where a call is (a node, a step), what the provider reported (an event),
what the caller hears next (actions) and the decision that holds them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ivr.core.model import Lang

# The provider's DialCallStatus values, and which of them mean the caller was connected.
DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
CONNECTED = ("completed", "answered")


class NodeKind(StrEnum):
    """The kinds of place a call can be at; their values are what webhook URLs and the records hold."""

    START = "start"  # before the first step: the records' name for where a call came in
    LANGUAGE = "language"
    MENU = "menu"
    OPERATOR = "operator"
    UNIT = "unit"
    CLOSED = "closed"
    INFO = "info"
    DIALED = "dialed"
    AFTER = "after"
    RECORD = "record"
    RECORDED = "recorded"
    # Asked to confirm the one office a sentence named, or to pick one of two or three on keys 1-3;
    # the target holds the offered unit ids in the order of their keys: "confirm:marriage_registry+funeral_office".
    CONFIRM = "confirm"


# Node kinds that concern one unit.
UNIT_NODES = frozenset({NodeKind.UNIT, NodeKind.CLOSED, NodeKind.INFO, NodeKind.DIALED, NodeKind.AFTER,
                        NodeKind.RECORD, NodeKind.RECORDED})
# The longest node a webhook URL carries (the web edge cuts longer ones): a confirmation's offices must fit.
MAX_NODE_LENGTH = 120
OFFERED_SEPARATOR = "+"


@dataclass(frozen=True)
class Node:
    """Where a call is: a kind (menu, closed, dialed...) and what it concerns (a menu or unit id), if anything."""

    kind: NodeKind = NodeKind.LANGUAGE
    target: str = ""

    @classmethod
    def parse(cls, text: str) -> Node:
        """Read a node as written in a webhook URL ("menu:main", "language"); raise ValueError for an unknown kind."""
        kind, _, target = text.partition(":")
        return cls(NodeKind(kind), target)

    @classmethod
    def read(cls, text: str) -> Node | None:
        """Read a node as parse does, or return None when its kind is unknown (an old or forged URL)."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True)
class Step:
    """Where a call is: the node, the caller's language, how many tries so far, and the menu '*' returns to."""

    node: Node = Node()
    lang: Lang | None = None
    tries: int = 0
    back: str | None = None
    misses: int = 0  # sentences at this menu that named no office


@dataclass(frozen=True)
class Event:
    """What the provider reports with a step: a key, a timeout, a dial result or a recording."""

    digits: str | None = None
    no_input: bool = False
    dial_status: str | None = None
    recording_url: str | None = None
    recording_seconds: int | None = None
    speech: str | None = None  # what the caller said instead of pressing a key (the recogniser's text)
    confidence: float | None = None  # the recogniser's, 0-1; None or 0 when the provider did not say


@dataclass(frozen=True)
class Say:
    """Something the caller hears: spoken text, or a recording when the prompt has one."""

    text: str
    lang: Lang
    audio: str | None = None


@dataclass(frozen=True)
class Listen:
    """How to listen for a sentence as well as a key: the recogniser's model and language code, the phrases
    it should expect (comma-separated) and the seconds of silence that end a sentence."""

    language: str
    model: str
    hints: str
    timeout: int


@dataclass(frozen=True)
class Ask:
    """Prompts the caller may interrupt with one key (or, when listen is set, a sentence); what the caller did,
    or the lack of it, is reported to `next`."""

    prompts: tuple[Say, ...]
    next: Step
    timeout: int
    listen: Listen | None = None


@dataclass(frozen=True)
class Forward:
    """Put the caller through to a number; the outcome is reported to `next`."""

    number: str
    unit_id: str
    timeout: int
    next: Step


@dataclass(frozen=True)
class Record:
    """Record a voice message for a unit; the recording is reported to `next`, silence falls through."""

    unit_id: str
    max_seconds: int
    next: Step


@dataclass(frozen=True)
class Redirect:
    """Continue at another step without waiting for the caller."""

    step: Step


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Action = Say | Ask | Forward | Record | Redirect | Hangup
Outcome = Literal["menu", "forwarded", "closed", "info", "voicemail", "voicemail_saved", "operator", "goodbye",
                  "connected", "not_connected", "confirm", "declined", "not_understood"]


@dataclass(frozen=True)
class Decision:
    """What the caller hears and what happens next, plus a label of the outcome for the call records."""

    actions: tuple[Action, ...]
    outcome: Outcome
    unit_id: str | None = None
    # Whether the unit concerned (the bureau at the greeting) was closed: the out-of-hours share counts this.
    out_of_hours: bool | None = None
    # The offices a sentence said at this step was routed to, in the order offered (() when it named none);
    # None when the step routed no sentence.
    offered: tuple[str, ...] | None = None

    @property
    def forwarded_number(self) -> str | None:
        """Return the number the caller is put through to at this step, if any."""
        return next((a.number for a in self.actions if isinstance(a, Forward)), None)

    @property
    def landed(self) -> Node | None:
        """Return the node the caller waits at after this step (where they hang up, if they do)."""
        return next((a.next.node for a in self.actions if isinstance(a, Ask)), None)

    @property
    def language(self) -> Lang | None:
        """Return the language the step leaves the caller in (known from the language choice on)."""
        return next((a.next.lang for a in self.actions if isinstance(a, Ask | Forward | Record)), None)
