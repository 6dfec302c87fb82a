"""The report's figures, on SQLite and on a real PostgreSQL server: every outcome a call can have, counted once.

The calls are written by the records writer (`Store.apply`), each batch twice and each status callback twice, as
a retried batch or a repeated callback would; the figures are the ones staff read in `ivr report` and the console.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from ivr.clock import parse_moment
from ivr.events import CallEndedEvent, CallEvent, RecordingEvent, StepEvent
from ivr.store.database import Store, upgrade_schema
from ivr.store.report import build_report, report_csv

M = "marriage_registry"
F = "funeral_office"
CALLER = "+8613812345678"

# (node, digits, outcome, unit, landed, dial_status)
Step = tuple[str, str | None, str, str | None, str | None, str | None]


def call(sid: str, at: str, steps: list[Step], out_of_hours: bool | None, ended: str | None = None,
         recording: tuple[str, str | None] | None = None) -> list[CallEvent]:
    """The events of one call: a step a second from `at`, its end (when it ended) and a voice message."""
    start = parse_moment(at)
    events: list[CallEvent] = [StepEvent.make(call_sid=sid, at=start, seq=0, node="start", outcome="menu",
                                              landed="language", caller=CALLER, out_of_hours=out_of_hours)]
    for seq, (node, digits, outcome, unit, landed, dial) in enumerate(steps, start=1):
        events.append(StepEvent.make(
            call_sid=sid, at=start.replace(second=min(59, start.second + seq)), seq=seq, node=node, digits=digits,
            outcome=outcome, unit_id=unit, landed=landed, language="zh", dial_status=dial,
            dial_duration=30 if dial == "completed" else 0 if dial else None))
    if recording is not None:
        events.append(RecordingEvent.make(call_sid=sid, at=start, recording_sid=recording[0], unit_id=recording[1],
                                          recording_url=f"https://api.twilio.com/Recordings/{recording[0]}",
                                          duration=12))
    if ended is not None:
        events.append(CallEndedEvent.make(call_sid=sid, at=parse_moment(ended), call_status="completed",
                                          duration=60, caller=CALLER))
    return events


def forwarded(unit: str, key: str, dial: str) -> list[Step]:
    """Main menu key, forward to the unit, and how the dialed line answered."""
    answered = dial == "completed"
    return [("language", "1", "menu", None, "menu:main", None),
            ("menu:main", key, "forwarded", unit, f"dialed:{unit}", None),
            (f"dialed:{unit}", None, "connected" if answered else "not_connected", unit,
             None if answered else f"after:{unit}", dial)]


def closed(then: list[Step]) -> list[Step]:
    """Main menu key 2 while the marriage registry is closed, then what the caller did."""
    return [("language", "1", "menu", None, "menu:main", None),
            ("menu:main", "2", "closed", M, f"closed:{M}", None), *then]


VOICEMAIL: Step = (f"closed:{M}", "2", "voicemail", M, f"record:{M}", None)
SAVED: Step = (f"record:{M}", None, "voicemail_saved", M, None, None)

# Wed 25 and Thu 26 November 2026 are reported on; the bureau is open 8:00-11:30 and 13:00-16:30.
CALLS: list[list[CallEvent]] = [
    call("CAanswered", "2026-11-25T09:05:00+08:00", forwarded(M, "2", "completed"), False,
         "2026-11-25T09:08:00+08:00"),
    call("CAbusy", "2026-11-25T10:30:00+08:00", forwarded(M, "2", "busy"), False, "2026-11-25T10:31:00+08:00"),
    call("CAnoanswerthenmessage", "2026-11-26T09:15:00+08:00", [
        *forwarded(F, "8", "no-answer"), (f"after:{F}", "1", "voicemail", F, f"record:{F}", None),
        (f"record:{F}", None, "voicemail_saved", F, None, None)], False, "2026-11-26T09:18:00+08:00",
        recording=("REnoanswer", F)),
    call("CAfailed", "2026-11-26T11:20:00+08:00", forwarded(F, "8", "failed"), False, "2026-11-26T11:21:00+08:00"),
    call("CAcanceled", "2026-11-26T15:00:00+08:00", forwarded(M, "2", "canceled"), False,
         "2026-11-26T15:01:00+08:00"),
    # A second before midnight in Shanghai (15:59:59 UTC), and midnight itself given in UTC.
    call("CAclosed", "2026-11-25T23:59:58+08:00", closed([]), True, "2026-11-26T00:00:30+08:00"),
    call("CAinfo", "2026-11-25T16:00:00+00:00", closed([(f"closed:{M}", "1", "info", M, f"info:{M}", None)]),
         True, "2026-11-26T00:02:00+08:00"),
    call("CAvoicemailhungup", "2026-11-26T19:00:00+08:00", closed([VOICEMAIL]), True,
         "2026-11-26T19:02:00+08:00"),
    call("CAvoicemailsaved", "2026-11-26T19:30:00+08:00", closed([VOICEMAIL, SAVED]), True,
         "2026-11-26T19:33:00+08:00", recording=("REsaved", M)),
    call("CAoperator", "2026-11-26T10:00:00+08:00", [
        ("language", "0", "operator", "bureau", "dialed:bureau", None),
        ("dialed:bureau", None, "connected", "bureau", None, "completed")], False, "2026-11-26T10:05:00+08:00"),
    call("CAgoodbye", "2026-11-26T20:00:00+08:00", [
        ("language", "1", "menu", None, "menu:main", None), ("menu:main", "7", "menu", None, "menu:main", None),
        ("menu:main", None, "menu", None, "menu:main", None), ("menu:main", None, "goodbye", None, None, None)],
        True, "2026-11-26T20:01:00+08:00"),
    call("CAhungupatamenu", "2026-11-25T14:00:00+08:00", [
        ("language", "1", "menu", None, "menu:main", None), ("menu:main", "9", "menu", None, "menu:others", None),
        ("menu:others", "3", "menu", None, "menu:others", None)], False, "2026-11-25T14:01:00+08:00"),
    # An old or forged URL's node: neither a menu choice nor a forward, but where the caller hung up.
    call("CAforged", "2026-11-26T13:00:00+08:00", [
        ("language", "1", "menu", None, "menu:main", None), ("nonsense:main", "3", "menu", None, None, "busy")],
        False, "2026-11-26T13:01:00+08:00"),
    # Still going at the end of the period: its forward's answer comes after midnight, and it has not hung up.
    call("CAstillgoing", "2026-11-26T23:59:00+08:00", forwarded(M, "2", "completed")[:2], True),
    [StepEvent.make(call_sid="CAstillgoing", at=parse_moment("2026-11-27T00:00:40+08:00"), seq=3,
                    node=f"dialed:{M}", outcome="connected", unit_id=M, dial_status="completed", dial_duration=40)],
    # Outside the period: the second before it starts and the moment after it ends.
    call("CAbefore", "2026-11-24T23:59:59+08:00", forwarded(F, "8", "busy"), True, "2026-11-25T00:01:00+08:00",
         recording=("REbefore", F)),
    call("CAafter", "2026-11-27T00:00:00+08:00", closed([VOICEMAIL, SAVED]), True, "2026-11-27T00:03:00+08:00",
         recording=("REafter", None)),
]
# Only the provider's status callback reached the records (its steps' events were never written).
ONLY_ENDED = CallEndedEvent.make(call_sid="CAonlyended", at=parse_moment("2026-11-26T08:00:00+08:00"),
                                 call_status="no-answer", duration=0, caller=CALLER)

EXPECTED: dict[str, Any] = {
    "period": {"since": "2026-11-25", "until": "2026-11-26"},
    "calls": 15,
    "calls_per_day": {"2026-11-25": 4, "2026-11-26": 11},
    "calls_per_hour": {"00": 1, "08": 1, "09": 2, "10": 2, "11": 1, "13": 1, "14": 1, "15": 1, "19": 2, "20": 1,
                       "23": 2},
    "menu_choices": {"menu:main": {"2": 8, "7": 1, "8": 2, "9": 1}, "menu:others": {"3": 1}},
    "out_of_hours": {"calls": 6, "share": 0.4},
    "hang_ups": {f"after:{M}": 2, f"after:{F}": 1, f"closed:{M}": 1, f"info:{M}": 1, f"record:{M}": 1,
                 "menu:others": 1, "nonsense:main": 1, "start": 1},
    "goodbyes_after_retries": 1,
    "forwarding": {"bureau": {"attempts": 1, "answered": 1},
                   F: {"attempts": 2, "answered": 0, "failed": 1, "no-answer": 1},
                   M: {"attempts": 4, "answered": 2, "busy": 1, "canceled": 1}},
    # Waiting messages are counted whenever they came; the saved one of 19:30 has been called back.
    "messages_waiting": {"total": 3, "per_unit": {F: 2, "?": 1}},
    # Per office: calls that reached it (by key here), forwards and what the line did, calls told it was closed,
    # messages left in the period (the one of the 24th and the one without an office are not).
    "offices": {
        "bureau": {"asked": 1, "by_key": 1, "by_speech": 0, "put_through": 1, "answered": 1, "busy": 0,
                   "no_answer": 0, "failed": 0, "after_hours": 0, "messages": 0},
        F: {"asked": 2, "by_key": 2, "by_speech": 0, "put_through": 2, "answered": 0, "busy": 0, "no_answer": 1,
            "failed": 1, "after_hours": 0, "messages": 1},
        M: {"asked": 8, "by_key": 8, "by_speech": 0, "put_through": 4, "answered": 2, "busy": 1, "no_answer": 1,
            "failed": 0, "after_hours": 4, "messages": 1}},
}


@pytest.fixture
def store(database_url: str) -> Store:
    """The records of every call above, each batch written twice and each status callback repeated."""
    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    for events in CALLS:
        store.apply(events)
        store.apply(events)
    store.apply([ONLY_ENDED])
    store.apply([ONLY_ENDED])
    saved = next(m for m in store.voicemails() if m.recording_sid == "REsaved")
    assert store.mark_called_back(saved.id, parse_moment("2026-11-27T09:00:00+08:00"), by="li")
    return store


def test_every_outcome_is_counted_once_where_and_when_it_happened(store: Store) -> None:
    report = build_report(store, date(2026, 11, 25), date(2026, 11, 26))
    assert report == EXPECTED
    # The order staff read: days, hours, menus, keys and units sorted; a unit's attempts and answers first.
    ordered = ("period", "calls", "calls_per_day", "calls_per_hour", "menu_choices", "out_of_hours",
               "goodbyes_after_retries", "forwarding")
    assert list(report) == list(EXPECTED)
    assert json.dumps({k: report[k] for k in ordered}) == json.dumps({k: EXPECTED[k] for k in ordered})
    # Hang-ups most frequent first.
    assert list(report["hang_ups"].values()) == sorted(report["hang_ups"].values(), reverse=True)
    rows = report_csv(report).splitlines()
    assert "forwarding,funeral_office,no-answer,1" in rows
    assert "calls_per_hour,00,,1" in rows
    assert "offices,marriage_registry,after_hours,4" in rows
    assert len(rows) == 1 + 5 + 2 + 11 + 8 + 5 + 10 + 3 * 10


def test_one_day_splits_at_midnight_in_shanghai(store: Store) -> None:
    wednesday = build_report(store, date(2026, 11, 25), date(2026, 11, 25))
    assert wednesday["calls_per_day"] == {"2026-11-25": 4}
    assert wednesday["calls_per_hour"] == {"09": 1, "10": 1, "14": 1, "23": 1}
    assert wednesday["hang_ups"] == {f"after:{M}": 1, f"closed:{M}": 1, "menu:others": 1}
    assert wednesday["forwarding"] == {M: {"attempts": 2, "answered": 1, "busy": 1}}
    assert wednesday["out_of_hours"] == {"calls": 1, "share": 0.25}
    thursday = build_report(store, date(2026, 11, 26), date(2026, 11, 26))
    assert thursday["calls_per_day"] == {"2026-11-26": 11}
    assert thursday["calls_per_hour"]["00"] == 1
    assert thursday["menu_choices"] == {"menu:main": {"2": 5, "7": 1, "8": 2}}
    assert thursday["goodbyes_after_retries"] == 1
    # A period with no calls: zeros, and still the messages waiting.
    empty = build_report(store, date(2026, 12, 1), date(2026, 12, 31))
    assert empty == {**EXPECTED, "period": {"since": "2026-12-01", "until": "2026-12-31"}, "calls": 0,
                     "calls_per_day": {}, "calls_per_hour": {}, "menu_choices": {},
                     "out_of_hours": {"calls": 0, "share": 0.0}, "hang_ups": {}, "goodbyes_after_retries": 0,
                     "forwarding": {}, "offices": {}}


def test_a_call_written_while_the_report_counts_is_in_none_or_all_of_its_figures(store: Store,
                                                                                 database_url: str) -> None:
    writer = Store.from_url(database_url)
    late = call("CAwrittenduringthereport", "2026-11-26T16:00:00+08:00", [
        ("language", "1", "menu", None, "menu:main", None), ("menu:main", "9", "menu", None, "menu:others", None)],
        False, "2026-11-26T16:01:00+08:00")
    queries: list[str] = []

    @event.listens_for(store.engine, "after_cursor_execute")
    def write_after_the_first_count(*args: Any) -> None:
        queries.append(args[2])
        if sum("count(" in q for q in queries) == 1:  # between the calls per hour and the hang-ups
            writer.apply(late)

    during = build_report(store, date(2026, 11, 25), date(2026, 11, 26))
    event.remove(store.engine, "after_cursor_execute", write_after_the_first_count)
    assert during == EXPECTED  # the report's snapshot was taken before the write
    after = build_report(store, date(2026, 11, 25), date(2026, 11, 26))
    assert after["calls"] == 16
    assert after["hang_ups"]["menu:others"] == 2
    assert after["menu_choices"]["menu:main"]["9"] == 2
