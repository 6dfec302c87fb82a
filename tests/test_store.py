"""Call records and voice messages: kept for every call, once per event, and never lost when the database fails."""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

import ivr.store.recorder
from ivr.cli import main
from ivr.clock import parse_moment
from ivr.events import CallEndedEvent, CallEvent, RecordingEvent, StepEvent
from ivr.simulator import CallSimulator, pressed_keys
from ivr.store.database import Store, local, upgrade_schema
from ivr.store.folder import outbox_folder
from ivr.store.outbox import (
    ROWS_A_STATEMENT,
    WAL_CHECKPOINT_PAGES,
    WAL_HANDOVER_BYTES,
    WAL_KEPT_BYTES,
    Outbox,
    OutboxSealed,
    OutboxUnavailable,
)
from ivr.store.recorder import BATCH, SEGMENT_SECONDS, Recorder
from ivr.store.report import build_report
from ivr.store.tables import calls, steps, voicemails
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, Provider, make_app, twiml
from tests.postgres import ExternalPostgres, PostgresServer

CALLER = "+8613812345678"
CALL = {"CallSid": "CA0123456789abcdef0123456789abcdef", "AccountSid": "AC" + "0" * 32, "From": CALLER,
        "To": "+864333622075"}
RECORDING = {"RecordingSid": "RE11112222333344445555666677778888", "RecordingDuration": "23",
             "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE11112222333344445555666677778888"}
AT = parse_moment("2026-11-26T09:00:00+08:00")


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
    app = make_app(FROZEN_TIME=at, DATABASE_URL=url, OUTBOX_DIR=str(tmp_path / "outbox"))
    if url.startswith("postgresql"):
        upgrade_schema(Store.from_url(url).engine)
    return Provider(app.test_client())


def recorder_of(provider: Provider) -> Recorder:
    recorder: Recorder = provider.client.application.extensions["ivr.recorder"]
    return recorder


def settle(provider: Provider) -> None:
    """Write what waits in the outbox now, as the background writer does within a second."""
    recorder_of(provider).flush()


def test_a_forwarded_call_is_kept_with_its_steps_outcome_and_dial_result(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, OPEN_WEEKDAY, tmp_path)
    simulator = CallSimulator(provider.client.application)
    result = simulator.call(pressed_keys("12"), dial_status="busy")
    settle(provider)
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
    settle(provider)
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
    settle(provider)
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
        settle(provider)
    [message] = rows(database_url, voicemails)
    assert (message.unit_id, message.caller, message.duration, message.recording_url) == (
        "talent_center", CALLER, 23, RECORDING["RecordingUrl"])


def test_the_language_is_kept_from_the_moment_it_is_chosen(database_url: str, tmp_path: Path) -> None:
    provider = app_on(database_url, OPEN_WEEKDAY, tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys("2"))  # Korean, then hangs up in the main menu
    settle(provider)
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
    settle(provider)
    assert rows(database_url, calls)[0].caller == CALLER


def test_the_database_stopped_in_the_middle_of_a_call(
    private_postgres: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    postgres = private_postgres
    url = postgres.new_database()
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    twiml(provider.post("/voice", CALL))
    twiml(provider.post("/voice/step?node=language&seq=1", {**CALL, "Digits": "1"}))
    settle(provider)
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
            settle(provider)  # the writer finds the database away and leaves everything waiting
        assert max(timings) < 1.0, timings
        assert any("call events wait in" in r.getMessage() for r in caplog.records)
        assert recorder_of(provider).state().waiting == 6  # 4 steps, the voice message, the end of the call
        health = provider.client.get("/health/details").get_json()
        assert (health["status"], health["events_waiting"]) == ("degraded", 6)
        assert health["database"].startswith("unreachable")
    finally:
        postgres.start()
    recorder_of(provider)._down_until = 0.0
    settle(provider)
    assert recorder_of(provider).state().waiting == 0
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1, 2, 3, 4, 5]
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
        assert time.monotonic() - started < 1.0
        assert root.find("Gather/Say") is not None
        settle(provider)
        assert recorder_of(provider).state().waiting >= 1
    finally:
        blocker.rollback()
        blocker.close()
    twiml(provider.post("/voice/step?node=menu%3Amain&lang=ko&seq=2", {**CALL, "Digits": "2"}))
    recorder_of(provider)._down_until = 0.0
    settle(provider)
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1, 2]
    assert rows(url, calls)[0].language == "ko"


def test_a_slow_postgresql_gives_way_within_a_second(
    postgres: ExternalPostgres | PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    twiml(provider.post("/voice", CALL))
    settle(provider)
    holder = create_engine(url).connect()
    holder.execute(text("BEGIN"))
    holder.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        root = twiml(provider.post("/voice/step?node=language&seq=1", {**CALL, "Digits": "1"}))
        elapsed = time.monotonic() - started
        settle(provider)  # the writer gives up on the lock within the statement timeout
        waiting = recorder_of(provider).state().waiting
    finally:
        holder.rollback()
        holder.close()
    assert elapsed < 1.0
    assert root.find("Gather") is not None
    assert waiting == 1
    recorder_of(provider)._down_until = 0.0
    settle(provider)
    assert sorted(s.seq for s in rows(url, steps)) == [0, 1]


def test_the_background_writer_takes_events_into_the_database_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    provider = app_on(url, OPEN_WEEKDAY, tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys("12"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and count(url, steps) < 4:
        time.sleep(0.1)
    assert count(url, steps) == 4  # the greeting, the language, the menu and the forwarded call's end
    assert recorder_of(provider).state().waiting == 0


def step_events(how_many: int, call_sid: str = "CAoutbox") -> list[StepEvent]:
    return [StepEvent.make(call_sid=call_sid, at=AT, seq=seq, node="menu:main", digits="#", outcome="menu",
                           caller=CALLER) for seq in range(how_many)]


def fresh_store(tmp_path: Path) -> tuple[str, Store]:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = Store.from_url(url)
    upgrade_schema(store.engine)
    return url, store


def test_db_flush_writes_what_a_dead_worker_left_in_batches(tmp_path: Path) -> None:
    url, store = fresh_store(tmp_path)
    folder = tmp_path / "outbox"
    worker = Recorder(store, folder, background=False)
    for event in step_events(BATCH * 2 + 7):
        worker.record(event)
    assert worker.state().waiting == BATCH * 2 + 7
    alive = CliRunner().invoke(main, ["db", "flush", "--outbox", str(folder)], env={"IVR_DATABASE_URL": url})
    assert alive.exit_code == 1  # a live worker's outbox is left to it
    assert alive.stdout.startswith(f"Took 0 call events from {folder} into the database; {BATCH * 2 + 7} still wait")
    assert worker._own_lock is not None
    worker._own_lock.close()  # the worker dies: the kernel frees its lock
    result = CliRunner().invoke(main, ["db", "flush", "--outbox", str(folder)], env={"IVR_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Took {BATCH * 2 + 7} call events from {folder} into the database; 0 still wait, "
                             "0 were set aside as refused by the database.\n")
    assert count(url, steps) == BATCH * 2 + 7
    assert list(folder.glob("*.sqlite3")) == []  # the dead worker's file is gone once empty


def test_the_writer_never_drains_a_file_still_appended_to_and_takes_each_one_whole_once_handed_over(
        tmp_path: Path) -> None:
    url, store = fresh_store(tmp_path)
    folder = tmp_path / "outbox"
    worker = Recorder(store, folder, background=False)
    writer = Recorder(Store.from_url(url), folder, background=False)  # the records writer process
    for event in step_events(5, "CAfirst"):
        worker.record(event)
    first_file = worker.own_outbox().path
    assert writer.drain_all() == 0 and count(url, steps) == 0  # the worker still appends there

    worker._own_opened -= SEGMENT_SECONDS  # a second later the worker's writer thread hands it over
    worker.hand_over_if_old()
    ready = worker.own_outbox().path
    assert ready != first_file and ready.exists()  # made before any caller needs it
    worker.record(step_events(1, "CAsecond")[0])  # and the next step goes there
    assert worker.own_outbox().path == ready
    assert writer.drain_all() == 5
    assert count(url, steps) == 5 and not first_file.exists()

    worker._own_opened -= SEGMENT_SECONDS  # then no call for a second: that one is handed over all the same
    worker.hand_over_if_old()
    assert writer.drain_all() == 1
    next_file = worker.own_outbox().path  # made ready by the hand-over, empty
    assert count(url, steps) == 6 and list(folder.glob("*.sqlite3")) == [next_file]
    worker._own_opened -= SEGMENT_SECONDS  # a quiet worker keeps its empty file
    worker.hand_over_if_old()
    assert worker.own_outbox().path == next_file


def test_steps_recorded_by_many_threads_while_files_are_handed_over_are_all_kept_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.store.recorder, "SEGMENT_SECONDS", 0.005)  # a new file every few milliseconds
    url, store = fresh_store(tmp_path)
    worker = Recorder(store, tmp_path / "outbox", background=False)

    rounds, per_round = 3, 50
    # Each round's events are all drained before any thread records the next round's: so files are handed over
    # and drained while threads record, at least once a round, however fast or slow the machine is.
    drained_round = [threading.Event() for _ in range(rounds)]

    def record_calls(thread: int) -> None:
        events = step_events(rounds * per_round, f"CAthread{thread}")
        for number in range(rounds):
            for event in events[number * per_round:(number + 1) * per_round]:
                worker.record(event)
            assert drained_round[number].wait(60)

    writer = Recorder(Store.from_url(url), tmp_path / "outbox", background=False)
    with ThreadPoolExecutor(9) as pool:
        recording = [pool.submit(record_calls, thread) for thread in range(8)]
        drains: list[int] = []
        deadline = time.monotonic() + 60
        while not all(future.done() for future in recording) and time.monotonic() < deadline:
            worker.hand_over_if_old()  # what the worker's writer thread does
            drains.append(writer.drain_all())
            for number in range(rounds):
                if sum(drains) >= (number + 1) * 8 * per_round:
                    drained_round[number].set()
        for future in recording:
            future.result()
    time.sleep(0.01)
    worker.hand_over_if_old()
    drains.append(writer.drain_all())
    assert len([taken for taken in drains if taken]) >= rounds  # handed over and drained while threads recorded
    assert sum(drains) == 8 * 150
    assert count(url, steps) == 8 * 150


def test_counting_another_process_outbox_only_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "worker-1-0a0b0c0d.sqlite3"
    assert Outbox(path).counts() == (0, 0) and not path.exists()  # gone (drained and deleted): nothing waits
    sqlite3.connect(path).close()  # its owner has only just created it: no tables yet
    assert Outbox(path).counts() == (0, 0) and Outbox(path).set_aside_events() == []
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("delete",)  # not converted
    owner = Outbox(path)
    owner.append(step_events(2))
    assert Outbox(path).counts() == (2, 0)
    owner.close()


def test_threads_appending_at_once_each_learn_whether_their_own_events_were_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    transactions = itertools.count()
    insert = Outbox._insert

    def a_full_disk_now_and_then(self: Outbox, bodies: list[str]) -> OutboxUnavailable | None:
        return OutboxUnavailable("disk full") if next(transactions) % 3 == 2 else insert(self, bodies)

    monkeypatch.setattr(Outbox, "_insert", a_full_disk_now_and_then)
    kept, refused = [], []

    def append(thread: int) -> None:
        for event in step_events(100, f"CAthread{thread}"):
            try:
                outbox.append([event])
                kept.append((event.call_sid, event.seq))
            except OutboxUnavailable:
                refused.append((event.call_sid, event.seq))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(append, range(16)))
    assert len(kept) + len(refused) == 1600 and kept and refused
    assert next(transactions) < 1600  # threads shared transactions
    stored = [(w.event.call_sid, w.event.seq) for w in outbox.oldest(2000) if isinstance(w.event, StepEvent)]
    assert sorted(stored) == sorted(kept)
    outbox.seal()
    with pytest.raises(OutboxSealed):
        outbox.append(step_events(1, "CAlate"))


def test_an_unexpected_fault_while_appending_leaves_no_thread_waiting(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    insert = Outbox._insert
    transactions = itertools.count()

    def faulty(self: Outbox, bodies: list[str]) -> OutboxUnavailable | None:
        if next(transactions) == 3:
            raise MemoryError("a fault no one planned for")
        return insert(self, bodies)

    monkeypatch.setattr(Outbox, "_insert", faulty)

    def append(thread: int) -> str:
        outcomes = set()
        for event in step_events(50, f"CAthread{thread}"):
            try:
                outbox.append([event])
                outcomes.add("kept")
            except (OutboxUnavailable, MemoryError) as exc:
                outcomes.add(type(exc).__name__)
        return ",".join(sorted(outcomes))

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(append, range(8), timeout=30))
    assert any("MemoryError" in o for o in outcomes) and all("kept" in o for o in outcomes)
    outbox.seal()  # nothing is left under way


def test_while_the_database_is_away_a_worker_keeps_appending_to_one_file_not_a_new_one_each_second(
        tmp_path: Path) -> None:
    _, store = fresh_store(tmp_path)
    folder = tmp_path / "outbox"
    worker = Recorder(store, folder, background=False)
    for second in range(5):  # nothing drains meanwhile
        worker.record(step_events(1, f"CAsecond{second}")[0])
        worker._own_opened -= SEGMENT_SECONDS
        worker.hand_over_if_old()
    assert len(list(folder.glob("*.sqlite3"))) == 2  # the one handed over, waiting, and the one appended to
    assert worker.state().waiting == 5


def a_days_calls() -> list[CallEvent]:
    """Events of three calls as the web edge makes them, in the order they happen."""
    events: list[CallEvent] = []
    for number, (unit_open, status) in enumerate([(True, "completed"), (False, "no-answer"), (True, None)]):
        sid, at = f"CAbatch{number}", AT + timedelta(minutes=number)
        events += [
            StepEvent.make(call_sid=sid, at=at, seq=0, node="start", outcome="menu", landed="language",
                           caller=CALLER, called="+864333622075", out_of_hours=False),
            StepEvent.make(call_sid=sid, at=at, seq=1, node="language", digits="1", outcome="menu",
                           landed="menu:main", language="zh", caller=CALLER),
            StepEvent.make(call_sid=sid, at=at, seq=2, node="menu:main", digits="2", outcome="forwarded",
                           unit_id="marriage_registry", language="zh", forwarded_number="+864333623441",
                           out_of_hours=not unit_open, unit_hours=True, caller=CALLER)]
        if status:
            events += [StepEvent.make(call_sid=sid, at=at + timedelta(seconds=40), seq=3, node="dialed:marriage",
                                      outcome="hangup", dial_status=status, dial_duration=33, caller=CALLER),
                       CallEndedEvent.make(call_sid=sid, at=at + timedelta(seconds=41), call_status="completed",
                                           duration=41, caller=CALLER)]
    return events


@pytest.mark.parametrize("batches", ["one batch", "one event a batch", "split mid-call", "late ones first"])
def test_a_call_comes_out_the_same_whether_its_events_arrive_together_or_one_by_one(
        database_url: str, batches: str) -> None:
    events = a_days_calls()
    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    if batches == "one batch":
        store.apply(events)
    elif batches == "one event a batch":
        for event in events:
            store.apply([event])
    elif batches == "split mid-call":  # the first call's first steps; then the rest, and a step again
        store.apply(events[:2])
        store.apply(events[2:] + events[3:4])
    else:  # two workers' outbox files drained in the wrong order: a call's later events come first
        store.apply(events[::-1][:4])
        store.apply(events[::-1][4:])
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(calls).order_by(calls.c.call_sid)).all()
    engine.dispose()
    found = [{k: v for k, v in row._mapping.items() if k not in ("id",)} for row in rows]
    for row in found:
        for moment in ("started_at", "ended_at"):
            row[moment] = row[moment] and local(row[moment])
    assert found == EXPECTED_CALLS


EXPECTED_CALLS = [
    {"call_sid": "CAbatch0", "caller": CALLER, "called": "+864333622075", "started_at": AT,
     "ended_at": AT + timedelta(seconds=41), "language": "zh", "out_of_hours": False, "last_seq": 3,
     "last_node": "dialed:marriage", "last_outcome": "hangup", "unit_id": "marriage_registry",
     "forwarded_number": "+864333623441", "dial_status": "completed", "dial_duration": 33,
     "call_status": "completed", "duration": 41},
    {"call_sid": "CAbatch1", "caller": CALLER, "called": "+864333622075", "started_at": AT + timedelta(minutes=1),
     "ended_at": AT + timedelta(minutes=1, seconds=41), "language": "zh", "out_of_hours": True, "last_seq": 3,
     "last_node": "dialed:marriage", "last_outcome": "hangup", "unit_id": "marriage_registry",
     "forwarded_number": "+864333623441", "dial_status": "no-answer", "dial_duration": 33,
     "call_status": "completed", "duration": 41},
    {"call_sid": "CAbatch2", "caller": CALLER, "called": "+864333622075", "started_at": AT + timedelta(minutes=2),
     "ended_at": None, "language": "zh", "out_of_hours": False, "last_seq": 2, "last_node": "menu:main",
     "last_outcome": "forwarded", "unit_id": "marriage_registry", "forwarded_number": "+864333623441",
     "dial_status": None, "dial_duration": None, "call_status": None, "duration": None},
]


def test_a_file_left_with_only_an_event_set_aside_does_not_hold_up_the_next_hand_over(tmp_path: Path) -> None:
    url, store = fresh_store(tmp_path)
    folder = tmp_path / "outbox"
    worker = Recorder(store, folder, background=False)
    worker.record(step_events(1, "CAfirst")[0])
    worker.own_outbox()._connection().execute("INSERT INTO waiting (body) VALUES ('not an event')")
    first = worker.own_outbox().path
    worker._own_opened -= SEGMENT_SECONDS
    worker.hand_over_if_old()
    writer = Recorder(Store.from_url(url), folder, background=False)
    assert writer.drain_all() == 2 and first.exists()  # kept for the event set aside there

    worker.record(step_events(1, "CAsecond")[0])
    worker._own_opened -= SEGMENT_SECONDS
    worker.hand_over_if_old()
    assert writer.drain_all() == 1
    assert count(url, steps) == 2 and writer.state().set_aside == 1


def test_an_outbox_takes_more_events_at_once_than_one_statement_holds_in_order(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.append(step_events(ROWS_A_STATEMENT * 2 + 3))  # events held in memory come back all at once
    assert [item.event.seq for item in outbox.oldest(BATCH * 3) if isinstance(item.event, StepEvent)] == list(
        range(ROWS_A_STATEMENT * 2 + 3))
    outbox.close()


def test_an_unreadable_event_is_set_aside_and_blocks_nothing(tmp_path: Path) -> None:
    url, store = fresh_store(tmp_path)
    recorder = Recorder(store, tmp_path / "outbox", background=False)
    recorder.record(step_events(1)[0])
    db = recorder.own_outbox()._connection()
    db.execute("INSERT INTO waiting (body) VALUES (?)", ('{"kind": "step", "call_sid": "CAcut", "at": "2026-11',))
    recorder.record(RecordingEvent.make(call_sid="CAoutbox", at=AT, recording_sid="RE1", unit_id="bureau",
                                        recording_url="https://x/RE1"))
    assert recorder.flush() == 3
    assert [m.recording_sid for m in store.voicemails()] == ["RE1"]
    assert count(url, steps) == 1
    assert (recorder.state().waiting, recorder.state().set_aside) == (0, 1)
    [(_, reason, _, body)] = recorder.set_aside_events()
    assert reason == "the stored event no longer reads as an event" and body.endswith('"at": "2026-11')


def test_a_drain_already_running_in_the_process_is_not_waited_for(tmp_path: Path) -> None:
    _, store = fresh_store(tmp_path)
    recorder = Recorder(store, tmp_path / "outbox", background=False)
    recorder.record(step_events(1)[0])
    with recorder._drain_lock:  # the writer thread is draining
        assert recorder.flush(wait=False) == 0
    assert recorder.flush(wait=False) == 1


def test_the_hotlines_own_goodbye_is_not_counted_as_a_caller_hanging_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    provider = app_on(url, CLOSED_EVENING, tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys("1..."))  # silence until the hotline gives up
    CallSimulator(provider.client.application).call(pressed_keys("16"))  # hangs up in the veterans menu
    settle(provider)
    figures = build_report(Store.from_url(url), date(2026, 11, 26), date(2026, 11, 26))
    assert figures["hang_ups"] == {"menu:veterans": 1}
    assert figures["goodbyes_after_retries"] == 1


def test_one_outbox_per_database_whatever_its_password_or_path_spelling(tmp_path: Path) -> None:
    spool_file = outbox_folder
    assert spool_file(tmp_path, "postgresql+psycopg://ivr:old@db/ivr") == \
        spool_file(tmp_path, "postgresql+psycopg://ivr:new@db/ivr")
    assert spool_file(tmp_path, "postgresql+psycopg://ivr@db/ivr") != spool_file(tmp_path, "sqlite:///x.sqlite3")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert spool_file(tmp_path, f"sqlite:///{tmp_path}/link/ivr.sqlite3") == \
        spool_file(tmp_path, f"sqlite:///{tmp_path}/real/ivr.sqlite3")


@pytest.mark.parametrize(("keys", "outcome", "out_of_hours"), [("12", "connected", False),
                                                               ("18", "closed", True),
                                                               ("1", "menu", True)])
def test_out_of_hours_is_the_unit_reached_not_the_bureau(tmp_path: Path, keys: str, outcome: str,
                                                          out_of_hours: bool) -> None:
    # 12:10 on a Thursday: the bureau and the funeral office are at lunch, the marriage office (no lunch break) is
    # open. Put through to it: in hours; the funeral office closed, or no unit reached (the bureau): out of hours.
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    provider = app_on(url, "2026-11-26T12:10:00+08:00", tmp_path)
    CallSimulator(provider.client.application).call(pressed_keys(keys))
    settle(provider)
    [call] = rows(url, calls)
    assert (call.last_outcome, call.out_of_hours) == (outcome, out_of_hours)


# The most a log checkpointed every WAL_CHECKPOINT_PAGES pages holds (frames of a 4 KiB page and 24 bytes, a few
# pages more for the checkpoint's own transaction), or what is kept of it after one.
LOG_CHECKPOINTED = max(WAL_KEPT_BYTES, (WAL_CHECKPOINT_PAGES + 8) * (4096 + 24) + 32)


def test_a_workers_appends_never_checkpoint_its_log_is_handed_over_at_2_mib_and_checkpointed_when_kept(
        tmp_path: Path) -> None:
    url, store = fresh_store(tmp_path)
    folder = tmp_path / "outbox"
    worker = Recorder(store, folder, background=False)
    writer = Recorder(Store.from_url(url), folder, background=False)
    events = step_events(6000, "CAlog")
    recorded = 0

    def record(how_many: int) -> None:
        nonlocal recorded
        for event in events[recorded:recorded + how_many]:
            worker.record(event)
        recorded += how_many

    first = worker.own_outbox()
    while first.log_bytes() < WAL_HANDOVER_BYTES and recorded < 2000:
        record(10)
    # A checkpoint every 256 pages would have kept the log near 1 MiB: at 2 MiB, no append checkpointed.
    assert first.log_bytes() >= WAL_HANDOVER_BYTES > LOG_CHECKPOINTED
    worker.hand_over_if_old()  # well within its second: handed over for the size of its log
    assert worker.own_outbox() is not first
    assert first.log_bytes() == 0  # sealed: checkpointed and its log truncated
    assert writer.drain_all() == recorded and count(url, steps) == recorded

    # The file handed over next is not drained (the database away): the one after it is kept, and checkpointed.
    second = worker.own_outbox()
    while second.log_bytes() < WAL_HANDOVER_BYTES and recorded < 4000:
        record(10)
    in_second = recorded - count(url, steps)
    worker.hand_over_if_old()
    kept = worker.own_outbox()
    assert kept is not second and second.path.exists()
    record(WAL_CHECKPOINT_PAGES * 3)
    worker.hand_over_if_old()
    assert worker.own_outbox() is kept  # an outage leaves two files, not one a second
    record(WAL_CHECKPOINT_PAGES * 3)
    assert 0 < kept.log_bytes() <= LOG_CHECKPOINTED

    assert writer.drain_all() == in_second  # the database back: the file waiting is taken
    worker._own_opened -= SEGMENT_SECONDS
    worker.hand_over_if_old()  # and the kept one handed over at last
    writer.drain_all()
    assert count(url, steps) == recorded
