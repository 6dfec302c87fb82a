"""Hostile but signed values never lose, strand or block a call event, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from ivr.events import MAX_INT, StepEvent
from ivr.store.database import Store, upgrade_schema
from ivr.store.recorder import Recorder
from ivr.store.tables import calls, steps, voicemails
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, Provider, make_app, twiml
from tests.test_store import AT, CALL, CALLER, RECORDING, app_on, count, recorder_of, rows, settle

SID = CALL["CallSid"]
WEIRD = ["\x00", "\u2028", "\u2029", "\x85", "\n", "\x1b"]


@pytest.mark.parametrize("huge", ["100000000000000000000", "1e30", "inf", "-5", "NaN"])
def test_integers_no_column_can_hold_are_clamped_not_lost(database_url: str, tmp_path: Path, huge: str) -> None:
    provider = app_on(database_url, CLOSED_EVENING, tmp_path)
    twiml(provider.post("/voice", CALL))
    twiml(provider.post("/voice/step?node=dialed%3Amarriage_registry&lang=zh&seq=" + huge,
                        {**CALL, "DialCallStatus": "no-answer", "DialCallDuration": huge}))
    twiml(provider.post("/voice/step?node=recorded%3Amarriage_registry&lang=zh&seq=2",
                        {**CALL, **RECORDING, "RecordingDuration": huge}))
    provider.post("/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": huge})
    settle(provider)
    state = recorder_of(provider).state()
    assert (state.waiting, state.set_aside) == (0, 0)
    expected = MAX_INT if huge in ("100000000000000000000", "1e30", "inf") else None
    [call] = rows(database_url, calls)
    assert (call.duration, call.dial_duration) == (expected, expected)
    [message] = rows(database_url, voicemails)
    assert message.duration == expected


@pytest.mark.parametrize("weird", WEIRD)
def test_nul_separators_and_controls_in_every_recorded_field_are_cleaned(database_url: str, tmp_path: Path,
                                                                       weird: str) -> None:
    provider = app_on(database_url, CLOSED_EVENING, tmp_path)
    form = {"CallSid": SID + weird, "From": f"+86138{weird}12345678", "To": f"+864333622075{weird}"}
    twiml(provider.post("/voice", form))
    twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh&seq=1", {**form, "Digits": f"2{weird}"}))
    twiml(provider.post(f"/voice/step?node=dialed%3Amarriage_registry{quote(weird)}&lang=zh&seq=2",
                        {**form, "DialCallStatus": f"busy{weird}", "DialCallDuration": f"3{weird}"}))
    twiml(provider.post("/voice/step?node=recorded%3Amarriage_registry&lang=zh&seq=3",
                        {**form, "RecordingSid": RECORDING["RecordingSid"] + weird, "RecordingDuration": "9",
                         "RecordingUrl": RECORDING["RecordingUrl"] + weird}))
    provider.post("/voice/status", {**form, "CallStatus": f"completed{weird}", "CallDuration": "60"})
    settle(provider)
    state = recorder_of(provider).state()
    assert (state.waiting, state.set_aside) == (0, 0)
    [call] = rows(database_url, calls)
    assert (call.call_sid, call.caller, call.called, call.call_status) == (
        SID, "+8613812345678", "+864333622075", "completed")
    assert count(database_url, steps) == 4
    assert all(weird not in (step.node + (step.digits or "") + (step.dial_status or ""))
               for step in rows(database_url, steps))
    [message] = rows(database_url, voicemails)
    assert (message.recording_sid, message.recording_url) == (RECORDING["RecordingSid"], RECORDING["RecordingUrl"])


def test_an_event_the_database_refuses_is_set_aside_behind_a_locked_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    twiml(provider.post("/voice", CALL))
    settle(provider)
    engine = create_engine(url)
    with engine.begin() as connection:  # a rule of the operator's that the hotline does not know about
        connection.execute(text("CREATE TRIGGER no_nine BEFORE INSERT ON steps WHEN NEW.digits = '9' "
                                "BEGIN SELECT RAISE(ABORT, 'key 9 is not allowed here'); END"))
    blocker = engine.connect()
    blocker.exec_driver_sql("BEGIN EXCLUSIVE")
    try:
        for seq, key in enumerate(["1", "9", "2", "#"], start=1):
            node = "language" if seq == 1 else "menu%3Amain&lang=zh"
            twiml(provider.post(f"/voice/step?node={node}&seq={seq}", {**CALL, "Digits": key}))
        settle(provider)
        assert recorder_of(provider).state().waiting == 4  # locked: all of them wait, in order
    finally:
        blocker.rollback()
        blocker.close()
    recorder_of(provider)._down_until = 0.0
    settle(provider)
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1, 3, 4]  # every event but the refused one
    health = provider.client.get("/health/details").get_json()
    assert (health["events_waiting"], health["events_set_aside"], health["status"]) == (0, 1, "degraded")
    [(_, reason, _, body)] = recorder_of(provider).set_aside_events()
    assert "key 9 is not allowed here" in reason and '"digits": "9"' in body
    settle(provider)  # never retried: it stays aside
    assert count(url, steps) == 4


def test_with_database_and_outbox_unwritable_events_wait_in_memory_until_either_is_back(tmp_path: Path) -> None:
    blocked = tmp_path / "full-disk"
    blocked.write_text("a file where the folders should be")  # nothing can be created below it
    app = make_app(FROZEN_TIME=CLOSED_EVENING, DATABASE_URL=f"sqlite:///{blocked}/db/ivr.sqlite3",
                   OUTBOX_DIR=str(blocked / "outbox"))
    client = app.test_client()
    provider = Provider(client)
    for seq in range(5):
        twiml(provider.post(f"/voice/step?node=menu%3Amain&lang=zh&seq={seq}", {**CALL, "Digits": "#"}))
    provider.post("/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": "30"})
    recorder: Recorder = app.extensions["ivr.recorder"]
    recorder.flush()
    health = client.get("/health/details").get_json()
    assert (health["events_in_memory"], health["events_waiting"], health["status"]) == (6, 0, "degraded")

    blocked.unlink()  # the disk has room again
    (blocked / "db").mkdir(parents=True)
    recorder._down_until = 0.0
    recorder.flush()  # the outbox takes them back
    recorder.flush()  # and the database
    assert recorder.state().in_memory == 0
    url = f"sqlite:///{blocked}/db/ivr.sqlite3"
    upgrade_schema(Store.from_url(url).engine)
    recorder.flush()
    assert count(url, steps) == 5
    assert rows(url, calls)[0].duration == 30
    shutil.rmtree(blocked)


def test_events_read_back_from_the_outbox_are_cleaned_again() -> None:
    event = StepEvent.make(call_sid=SID, at=AT, seq="7", node="menu:main", outcome="menu", caller=CALLER + "\x00",
                           dial_duration="1e30")
    again = StepEvent.from_json(event.to_json())
    assert again == event
    assert (again.caller, again.dial_duration, again.seq) == (CALLER, MAX_INT, 7)
