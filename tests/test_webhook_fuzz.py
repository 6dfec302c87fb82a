"""Random signed webhook requests, sane or absurd, always get a playable TwiML answer and never an apology."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.core.decision import DIAL_STATUSES
from ivr.core.model import LANGS
from ivr.web.voice import FALLBACK_TEXTS, MAX_NODE_LENGTH, MAX_TRIES_IN_URL
from tests.conftest import Provider, make_app, twiml

# Moments the hotline is in different states; one app each, made once (making an app per example is slow).
MOMENTS = {
    "open_weekday": "2026-11-26T09:00:00+08:00",
    "lunch": "2026-11-26T12:00:00+08:00",
    "evening": "2026-11-26T19:00:00+08:00",
    "weekend": "2026-11-28T10:00:00+08:00",
    "national_day": "2026-10-01T10:00:00+08:00",
    "make_up_saturday": "2026-10-10T09:00:00+08:00",
    "year_2027": "2027-03-16T10:30:00+08:00",
}
APPS: dict[str, Flask] = {name: make_app(FROZEN_TIME=moment) for name, moment in MOMENTS.items()}
PROVIDERS = {name: Provider(app.test_client()) for name, app in APPS.items()}

HOTLINE = next(iter(APPS.values())).extensions["ivr.menus"].flow.hotline
MENU_IDS = sorted(HOTLINE.menus)
UNIT_IDS = sorted(HOTLINE.units)
UNIT_KINDS = ("unit", "closed", "info", "dialed", "after", "record", "recorded")
EXAMPLE_NODES = ("language", "menu:main", "menu:assistance", "unit:marriage_registry", "closed:bureau",
                 "info:talent_center", "dialed:funeral_office", "after:veterans_center", "record:bureau",
                 "recorded:charity_federation", "operator")
APOLOGIES = {HOTLINE.prompt("error_apology", lang) for lang in LANGS} | {text for text, _, _ in FALLBACK_TEXTS}

VERBS = {"Say", "Play", "Gather", "Redirect", "Dial", "Record", "Hangup", "Pause"}
NEEDS_ACTION = {"Gather", "Dial", "Record"}
E164_CN = re.compile(r"\+86[1-9]\d{6,11}")
CONTROL = ("Cc", "Cf", "Cs")

TOTAL_EXAMPLES = 1200


# Strategies ---------------------------------------------------------------------------------------------


def huge(min_size: int = 10_000, max_size: int = 12_000) -> st.SearchStrategy[str]:
    """A long string built by repeating a short random one (cheap for hypothesis to generate)."""
    return st.builds(lambda chunk, n: (chunk * (max_size // len(chunk) + 1))[:n],
                     st.text(min_size=1, max_size=8), st.integers(min_size, max_size))


# Every node the hotline itself can send the provider to; the examples above are drawn a few times as often.
HOTLINE_NODES = frozenset({"language", "operator", *(f"menu:{m}" for m in MENU_IDS),
                           *(f"{kind}:{unit}" for kind in UNIT_KINDS for unit in UNIT_IDS)})
VALID_NODES = st.sampled_from(sorted(HOTLINE_NODES) + [*EXAMPLE_NODES] * 3)
GARBAGE_NODES = st.one_of(
    st.text(max_size=40),
    st.builds(lambda kind, rest: f"{kind}:{rest}", st.sampled_from(("menu", "operator", *UNIT_KINDS)),
              st.text(max_size=30)),
    st.sampled_from(("", ":", "menu:", "unit:", "menu:main:extra", "MENU:main", " menu:main", "unit:bureau ",
                     "菜单:主", "메뉴:main", "menu:__class__", "unit:__init__", "closed:", "language:zh", "\x00",
                     "menu%3Amain", "../../etc/passwd")),
    huge(),
)
VALID_LANG = st.sampled_from(LANGS)
GARBAGE_LANG = st.one_of(st.sampled_from(("", "ZH", "en", "zh-CN", "한국어", "中文")), st.text(max_size=8))
TRIES = st.one_of(
    st.integers(-3, 5).map(str),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(("", "-1", "9" * 5000, "1.5", " 2 ", "٣", "２", "0x10", "1_000", "nan", "inf", "二")),
    st.text(max_size=10),
)
BACK = st.one_of(st.sampled_from(MENU_IDS), st.text(max_size=20), huge())
INPUT = st.sampled_from(("none", "", "None", "NONE", "yes"))

KEYS = st.sampled_from(list("0123456789*#"))
DIGITS = st.one_of(KEYS, KEYS, st.sampled_from(("", " ", "12", "00", "**", " 1 ", "١", "１", "a", "\x00", "一")),
                   st.text(max_size=12))
DIAL_STATUS = st.one_of(st.sampled_from(DIAL_STATUSES), st.sampled_from(("", "COMPLETED", "ringing", "接通")),
                        st.text(max_size=12))
RECORDING_URL = st.one_of(
    st.builds(lambda sid: f"https://api.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE{sid}",
              st.text("0123456789abcdef", min_size=32, max_size=32)),
    st.text(max_size=40),
)
RECORDING_DURATION = st.one_of(st.integers(-5, 600).map(str), st.sampled_from(("", "1.5", "1e3", "NaN", "9" * 5000)),
                               st.text(max_size=8))
EXTRA_FIELD_NAME = st.one_of(
    st.sampled_from(("CallerName", "CallerCity", "FromCity", "SpeechResult", "Confidence", "ErrorCode", "Called",
                     "ForwardedFrom", "digits", "node", "lang", "try")),
    st.text(min_size=1, max_size=20),
)
EXTRA_FIELDS = st.dictionaries(EXTRA_FIELD_NAME, st.one_of(st.text(max_size=30), st.just("张三"), st.just("图们")),
                               max_size=4)


@dataclass(frozen=True)
class Webhook:
    """One random request as the provider would send it, and whether it names a real step in a real language."""

    moment: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    well_formed: bool  # a real node in a real language, as the hotline's own URLs are

    @property
    def url(self) -> str:
        encoded = urlencode(self.query)
        return f"{self.path}?{encoded}" if encoded else self.path


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


@st.composite
def webhooks(draw: st.DrawFn) -> Webhook:
    path = draw(st.sampled_from(("/voice/step",) * 4 + ("/voice",)))
    valid_node = draw(st.integers(0, 4)) < 3
    node = draw(VALID_NODES if valid_node else GARBAGE_NODES)
    lang_kind = draw(st.integers(0, 4))  # mostly a real language, else none or garbage
    lang = draw(VALID_LANG) if lang_kind < 3 else None if lang_kind == 3 else draw(GARBAGE_LANG)
    raw_query = {"node": node if draw(st.integers(0, 9)) else None, "lang": lang, "try": draw(optional(TRIES)),
                 "back": draw(optional(BACK)), "input": draw(optional(INPUT))}
    query = {k: v for k, v in raw_query.items() if v is not None}

    form = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "0" * 32, "From": "+8613812345678",
            "To": "+864333622075", "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
    if draw(st.booleans()):
        form = {k: v for k, v in form.items() if draw(st.booleans())}
    form.update(draw(EXTRA_FIELDS))
    if draw(st.integers(0, 19)) == 0:
        form[draw(EXTRA_FIELD_NAME)] = draw(huge())
    for name, strategy in (("Digits", DIGITS), ("DialCallStatus", DIAL_STATUS), ("RecordingUrl", RECORDING_URL),
                           ("RecordingDuration", RECORDING_DURATION)):
        value = draw(optional(strategy))
        if value is not None:
            form[name] = value

    well_formed = path == "/voice" or (lang in LANGS and "node" in query and valid_node)
    return Webhook(draw(st.sampled_from(sorted(APPS))), path, query, form, well_formed)


# Checks -------------------------------------------------------------------------------------------------


def says(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter("Say")]


def assert_playable(root: ET.Element) -> None:
    """The TwiML only uses verbs the provider knows, every verb has what it needs, and the call never stalls."""
    assert len(root) > 0
    for verb in root:
        assert verb.tag in VERBS, verb.tag
        if verb.tag in NEEDS_ACTION:
            assert verb.get("action", "").startswith("/voice/step?node="), ET.tostring(verb)
        if verb.tag == "Redirect":
            assert (verb.text or "").startswith("/voice/step?node="), verb.text
        if verb.tag == "Gather":
            assert {child.tag for child in verb} <= {"Say", "Play", "Pause"}
        if verb.tag == "Dial":
            numbers = verb.findall("Number")
            assert len(numbers) == 1, ET.tostring(verb)
            assert E164_CN.fullmatch(numbers[0].text or ""), numbers[0].text
    # After the last verb the provider would hang up on the caller without a word.
    assert root[-1].tag in ("Redirect", "Hangup", "Dial"), [verb.tag for verb in root]
    for play in root.iter("Play"):
        assert (play.text or "").startswith("/audio/"), play.text
    for text in says(root):
        assert text.strip(), "an empty <Say>"
        assert not [ch for ch in text if unicodedata.category(ch) in CONTROL], repr(text)
    for element in root.iter():
        for value in element.attrib.values():
            assert not [ch for ch in value if unicodedata.category(ch) in CONTROL], repr(value)


def next_steps(root: ET.Element) -> list[str]:
    """Every URL the TwiML sends the provider to next."""
    urls = [el.get("action", "") for el in root.iter() if el.tag in NEEDS_ACTION]
    return urls + [el.text or "" for el in root.iter("Redirect")]


# The property -------------------------------------------------------------------------------------------


@settings(max_examples=TOTAL_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(webhooks())
def test_any_signed_webhook_gets_playable_twiml(hook: Webhook) -> None:
    response = PROVIDERS[hook.moment].post(hook.url, hook.form)
    root = twiml(response)

    assert_playable(root)
    assert APOLOGIES.isdisjoint(says(root)), (hook, says(root))
    steps = [parse_qs(urlsplit(url).query, keep_blank_values=True) for url in next_steps(root)]
    for query in steps:
        # The next step names one node of bounded length, a real language once one is chosen, a sane try count.
        assert len(query["node"]) == 1 and len(query["node"][0]) <= MAX_NODE_LENGTH, query
        assert query.get("lang", ["zh"]) in (["zh"], ["ko"]), query
        assert 1 <= int(query.get("try", ["1"])[0]) <= MAX_TRIES_IN_URL, query
        if hook.well_formed:
            # From a real step the hotline only sends the provider to real steps.
            assert query["node"][0] in HOTLINE_NODES, query
    if hook.path == "/voice":
        # Whatever comes with it, a new call hears the greeting and the language question.
        assert [s["node"] for s in steps] == [["language"], ["language"]]
        assert steps[1]["input"] == ["none"]


def test_the_random_requests_reach_every_kind_of_answer() -> None:
    """A check of the generator: the fuzzing would be weak if it never reached dials, recordings or hang-ups."""
    verbs: Counter[str] = Counter()
    requests: Counter[bool] = Counter()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(webhooks())
    def collect(hook: Webhook) -> None:
        root = twiml(PROVIDERS[hook.moment].post(hook.url, hook.form))
        verbs.update({verb.tag for verb in root})
        requests[hook.well_formed] += 1

    collect()
    assert {"Gather", "Redirect", "Dial", "Record", "Hangup"} <= set(verbs), verbs
    assert requests[True] >= 60 and requests[False] >= 60, requests
