"""Call records and voice messages: kept for every call, once per event, and never lost when the database fails."""

from __future__ import annotations

import fcntl
import json
import logging
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

import ivr.store.recorder
from ivr.cli import main
from ivr.simulator import CallSimulator, pressed_keys
from ivr.store.database import CallEvent, Store, upgrade_schema
from ivr.store.recorder import FLUSH_BATCH, Recorder
from ivr.store.report import build_report
from ivr.store.tables import calls, steps, voicemails
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, Provider, make_app, twiml
from tests.postgres import ExternalPostgres, PostgresServer

CALLER = "+8613812345678"
CALL = {"CallSid": "CA0123456789abcdef0123456789abcdef", "AccountSid": "AC" + "0" * 32, "From": CALLER,
        "To": "+864333622075"}
RECORDING = {"RecordingSid": "RE11112222333344445555666677778888", "RecordingDuration": "23",
             "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE11112222333344445555666677778888"}


def rows(url: str, table: object) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(select(table)))  # type: ignore[call-overload]
    engine.dispose()
    return found


def count(url: str, table: object) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    engine.dispose()
    return int(found)


def app_on(url: str, at: str, tmp_path: Path) -> Provider:
    app = make_app(FROZEN_TIME=at, DATABASE_URL=url, SPOOL_PATH=str(tmp_path / "spool.jsonl"))
    if url.startswith("postgresql"):
        upgrade_schema(Store.from_url(url).engine)
    return Provider(app.test_client())


def test_a_forwarded_call_is_kept_with_its_steps_outcome_and_dial_result(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, OPEN_WEEKDAY, tmp_path)
    simulator = CallSimulator(provider.client.application)
    result = simulator.call(pressed_keys("12"), dial_status="busy")
    [call] = rows(database_url, calls)
    assert (call.call_sid, call.caller, call.called, call.language) == (result.call_sid, CALLER, "+864333622075", "zh")
    assert (call.out_of_hours, call.unit_id, call.forwarded_number) == (False, "marriage_registry", "+864333623441")
    assert (call.dial_status, call.dial_duration, call.call_status) == ("busy", 0, "completed")
    assert call.ended_at is not None and call.last_node == "after:marriage_registry"
    kept = sorted(rows(database_url, steps), key=lambda s: s.seq)
    assert [(s.seq, s.node, s.digits, s.outcome) for s in kept] == [
        (0, "start", None, "menu"),
        (1, "language", "1", "menu"),
        (2, "menu:main", "2", "forwarded"),
        (3, "dialed:marriage_registry", None, "not_connected"),
    ]
    assert kept[3].dial_status == "busy"


def test_a_call_out_of_hours_and_its_voice_message(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, CLOSED_EVENING, tmp_path)
    result = CallSimulator(provider.client.application).call(pressed_keys("182"))
    [call] = rows(database_url, calls)
    assert call.out_of_hours is True and call.last_outcome == "voicemail_saved"
    [message] = rows(database_url, voicemails)
    voicemail = next(line for line in result.transcript if line.kind == "recorded").detail
    assert (message.recording_sid, message.unit_id, message.caller, message.duration, message.status) == (
        voicemail["RecordingSid"], "funeral_office", CALLER, 15, "new")
    assert message.recording_url == voicemail["RecordingUrl"]


def test_each_callback_delivered_three_times_leaves_one_row(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, CLOSED_EVENING, tmp_path)
    deliveries = [
        ("/voice", CALL),
        ("/voice/step?node=dialed%3Amarriage_registry&lang=zh&seq=3",
         {**CALL, "DialCallStatus": "no-answer", "DialCallDuration": "0"}),
        ("/voice/step?node=recorded%3Amarriage_registry&lang=zh&seq=5", {**CALL, **RECORDING}),
        ("/voice/recording?unit=marriage_registry", {**CALL, **RECORDING, "RecordingStatus": "completed"}),
        ("/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": "95"}),
    ]
    for url, form in deliveries:
        answers = [provider.post(url, form) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert answers[0].data == answers[1].data == answers[2].data
    assert count(database_url, calls) == 1
    assert count(database_url, voicemails) == 1
    assert sorted(s.seq for s in rows(database_url, steps)) == [0, 3, 5]
    [call] = rows(database_url, calls)
    assert (call.call_status, call.duration, call.dial_status) == ("completed", 95, "no-answer")


@pytest.mark.parametrize("order", ["action first", "status callback first"])
def test_a_voice_message_is_kept_whichever_callback_arrives_first(
    database_url: str, tmp_path: Path, order: str
) -> None:
    provider = app_on(database_url, CLOSED_EVENING, tmp_path)
    action = ("/voice/step?node=recorded%3Atalent_center&lang=ko&seq=4", {**CALL, **RECORDING})
    # The status callback carries no caller number; the action does.
    callback_form = {k: v for k, v in {**CALL, **RECORDING, "RecordingStatus": "completed"}.items() if k != "From"}
    callback = ("/voice/recording?unit=talent_center", callback_form)
    for url, form in ([action, callback] if order == "action first" else [callback, action]):
        assert provider.post(url, form).status_code == 200
    [message] = rows(database_url, voicemails)
    assert (message.unit_id, message.caller, message.duration, message.recording_url) == (
        "talent_center", CALLER, 23, RECORDING["RecordingUrl"])


def test_the_language_is_kept_from_the_moment_it_is_chosen(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, OPEN_WEEKDAY, tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys("2"))  # Korean, then hangs up in the main menu
    [call] = rows(database_url, calls)
    assert (call.language, call.last_node) == ("ko", "menu:main")


def test_logs_mask_caller_numbers_and_the_database_keeps_them(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    provider = app_on(database_url, OPEN_WEEKDAY, tmp_path)
    with caplog.at_level(logging.INFO):
        twiml(provider.post("/voice", CALL))
    assert "+86138*****678" in caplog.text
    assert CALLER not in caplog.text
    assert rows(database_url, calls)[0].caller == CALLER


def test_the_database_stopped_in_the_middle_of_a_call(
    private_postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    postgres = private_postgres
    url = postgres.new_database()
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    spool = tmp_path / "spool.jsonl"
    twiml(provider.post("/voice", CALL))
    twiml(provider.post("/voice/step?node=language&seq=1", {**CALL, "Digits": "1"}))
    postgres.stop()
    try:
        with caplog.at_level(logging.ERROR):
            timings = []
            for url_path, form, expect in [
                ("/voice/step?node=menu%3Amain&lang=zh&seq=2", {**CALL, "Digits": "8"}, "Dial"),
                ("/voice/step?node=dialed%3Afuneral_office&lang=zh&seq=3", {**CALL, "DialCallStatus": "busy"},
                 "Gather"),
                ("/voice/step?node=after%3Afuneral_office&lang=zh&seq=4", {**CALL, "Digits": "2"}, "Record"),
                ("/voice/step?node=recorded%3Afuneral_office&lang=zh&seq=5", {**CALL, **RECORDING}, "Say"),
                ("/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": "80"}, None),
            ]:
                started = time.monotonic()
                root = twiml(provider.post(url_path, form))
                timings.append(time.monotonic() - started)
                if expect:
                    assert root.find(expect) is not None, (url_path, [v.tag for v in root])
        assert max(timings) < 2.0, timings
        assert any(f"kept in {spool}" in r.getMessage() for r in caplog.records)
        assert len(spool.read_text().splitlines()) == 6  # 4 steps, the voice message, the end of the call
    finally:
        postgres.start()
    monkeypatch.setattr(ivr.store.recorder, "RETRY_AFTER_SECONDS", 0.0)
    provider.client.application.extensions["ivr.recorder"]._down_until = 0.0
    twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh&seq=99", {**CALL, "Digits": "#"}))
    assert not spool.exists()
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1, 2, 3, 4, 5, 99]
    [message] = rows(url, voicemails)
    assert message.unit_id == "funeral_office" and message.caller == CALLER
    [call] = rows(url, calls)
    assert (call.call_status, call.dial_status, call.forwarded_number) == ("completed", "busy", "+864333624942")


def test_a_locked_sqlite_database_delays_no_caller_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    twiml(provider.post("/voice", CALL))
    blocker = create_engine(url).connect()
    blocker.exec_driver_sql("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        root = twiml(provider.post("/voice/step?node=language&seq=1", {**CALL, "Digits": "2"}))
        assert time.monotonic() - started < 2.0
        assert root.find("Gather/Say") is not None
        assert (tmp_path / "spool.jsonl").exists()
    finally:
        blocker.rollback()
        blocker.close()
    provider.client.application.extensions["ivr.recorder"]._down_until = 0.0
    twiml(provider.post("/voice/step?node=menu%3Amain&lang=ko&seq=2", {**CALL, "Digits": "2"}))
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1, 2]
    assert rows(url, calls)[0].language == "ko"


def test_a_slow_postgresql_gives_way_within_two_seconds(
    postgres: ExternalPostgres | PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    twiml(provider.post("/voice", CALL))
    holder = create_engine(url).connect()
    holder.execute(text("BEGIN"))
    holder.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        root = twiml(provider.post("/voice/step?node=language&seq=1", {**CALL, "Digits": "1"}))
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert elapsed < 2.0
    assert root.find("Gather") is not None
    assert (tmp_path / "spool.jsonl").read_text().count('"seq": 1') == 1


def spooled_steps(count: int, call_sid: str = "CAspool") -> list[CallEvent]:
    return [CallEvent("step", call_sid, "2026-11-26T09:00:00+08:00",
                      {"seq": seq, "node": "menu:main", "digits": "#", "outcome": "menu", "caller": CALLER})
            for seq in range(count)]


def test_catching_up_after_an_outage_is_done_in_small_batches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Store.from_url(url)
    upgrade_schema(store.engine)
    spool = tmp_path / "spool.jsonl"
    spool.write_text("".join(json.dumps(e.to_json()) + "\n" for e in spooled_steps(500)))
    recorder = Recorder(store, spool)
    recorder.record(spooled_steps(501)[-1])  # a webhook drains one batch, then keeps its own event in order
    assert count(url, steps) == FLUSH_BATCH
    assert recorder.pending() == 500 - FLUSH_BATCH + 1
    result = CliRunner().invoke(main, ["db", "flush", "--spool", str(spool)], env={"IVR_DATABASE_URL": url})
    assert result.stdout == f"Took {500 - FLUSH_BATCH + 1} spooled call events from {spool} into the database; " \
                            "0 still wait.\n"
    assert count(url, steps) == 501 and not spool.exists()


def test_a_damaged_spool_line_is_set_aside_and_blocks_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Store.from_url(url)
    upgrade_schema(store.engine)
    spool = tmp_path / "spool.jsonl"
    good = json.dumps(spooled_steps(1)[0].to_json())
    spool.write_text(good + "\n" + '{"kind": "step", "call_sid": "CAcut", "at": "2026-11\n')  # a worker died here
    recording = CallEvent("recording", "CAspool", "2026-11-26T09:01:00+08:00",
                          {"recording_sid": "RE1", "unit_id": "bureau", "recording_url": "https://x/RE1"})
    Recorder(store, spool).record(recording)
    assert [m.recording_sid for m in store.voicemails()] == ["RE1"]
    assert count(url, steps) == 1 and not spool.exists()
    assert spool.with_suffix(".rejected").read_text() == '{"kind": "step", "call_sid": "CAcut", "at": "2026-11\n'


def test_a_flush_by_another_worker_is_not_waited_for(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Store.from_url(url)
    upgrade_schema(store.engine)
    spool = tmp_path / "spool.jsonl"
    spool.write_text(json.dumps(spooled_steps(1)[0].to_json()) + "\n")
    recorder = Recorder(store, spool)
    with open(spool.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker is flushing
        assert recorder.flush(wait=False) == 0
    assert recorder.flush(wait=False) == 1


def test_the_hotlines_own_goodbye_is_not_counted_as_a_caller_hanging_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    provider = app_on(url, CLOSED_EVENING, tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys("1..."))  # silence until the hotline gives up
    CallSimulator(provider.client.application).call(pressed_keys("16"))  # hangs up in the veterans menu
    figures = build_report(Store.from_url(url), date(2026, 11, 26), date(2026, 11, 26))
    assert figures["hang_ups"] == {"menu:veterans": 1}
    assert figures["goodbyes_after_retries"] == 1


def test_damaged_lines_are_set_aside_once_and_never_stop_the_flush(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Store.from_url(url)
    upgrade_schema(store.engine)
    spool = tmp_path / "spool.jsonl"
    damaged = ['{"kind": "step", "cut', *["not json"] * (FLUSH_BATCH - 1)]
    good = [json.dumps(e.to_json()) for e in spooled_steps(50)]
    spool.write_text("".join(line + "\n" for line in [*damaged, *good]))
    down = Recorder(Store.from_url(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}"), spool)
    for _ in range(3):  # the database is still down: nothing is set aside twice
        assert down.flush() == 0
    assert not spool.with_suffix(".rejected").exists()
    recorder = Recorder(store, spool)
    taken = 0
    while batch := recorder.flush(limit=FLUSH_BATCH):
        taken += batch
    assert (taken, count(url, steps), recorder.pending()) == (FLUSH_BATCH + 50, 50, 0)
    assert len(spool.with_suffix(".rejected").read_text().splitlines()) == FLUSH_BATCH


def test_a_flush_finds_the_spool_already_emptied_by_another_worker(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade_schema(store.engine)
    spool = tmp_path / "spool.jsonl"
    spool.write_text(json.dumps(spooled_steps(1)[0].to_json()) + "\n")
    recorder = Recorder(store, spool)
    with open(spool.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        spool.unlink()  # the other worker took the last batch while this one waited
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert recorder.flush() == 0


def test_one_spool_per_database_whatever_its_password_or_path_spelling(tmp_path: Path) -> None:
    from ivr.store.recorder import spool_file

    assert spool_file(tmp_path, "postgresql+psycopg://ivr:old@db/ivr") == \
        spool_file(tmp_path, "postgresql+psycopg://ivr:new@db/ivr")
    assert spool_file(tmp_path, "postgresql+psycopg://ivr@db/ivr") != spool_file(tmp_path, "sqlite:///x.sqlite3")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert spool_file(tmp_path, f"sqlite:///{tmp_path}/link/ivr.sqlite3") == \
        spool_file(tmp_path, f"sqlite:///{tmp_path}/real/ivr.sqlite3")
