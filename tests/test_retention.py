"""Retention: calls older than IVR_KEEP_DAYS go, messages still waiting for a call back stay, in short batches.

Every store test runs on SQLite and on a real PostgreSQL server (the `database_url` fixture), with "now" given.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ivr.cli import main
from ivr.clock import parse_moment
from ivr.events import CallEvent, RecordingEvent, StepEvent
from ivr.settings import ConfigError, Settings
from ivr.store.database import Store, upgrade_schema
from ivr.store.retention import EVERY_SECONDS, Removed, Retention, remove_expired
from ivr.store.staff import StaffStore
from ivr.store.tables import calls, steps, voicemails

NOW = parse_moment("2026-12-04T03:00:00+08:00")  # the writer's purge runs at night
CALLER = "+8613812345678"


def sid(kind: str, number: int) -> str:
    return f"{kind}{number:032d}"


def a_call(number: int, at: str, steps_taken: int = 3) -> list[CallEvent]:
    """A call of `steps_taken` steps starting at a moment."""
    start = parse_moment(at)
    return [StepEvent.make(call_sid=sid("CA", number), at=start + timedelta(seconds=10 * seq), seq=seq,
                           node="start" if seq == 0 else "menu:main", outcome="menu", caller=CALLER,
                           called="+864333622075", language="zh") for seq in range(steps_taken)]


def a_message(number: int, at: str) -> list[CallEvent]:
    """A call that leaves a voice message for the funeral office."""
    return [*a_call(number, at, 2), RecordingEvent.make(
        call_sid=sid("CA", number), at=parse_moment(at) + timedelta(seconds=30), recording_sid=sid("RE", number),
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{sid('RE', number)}",
        duration=20, caller=CALLER, unit_id="funeral_office")]


@pytest.fixture
def store(database_url: str) -> Store:
    opened = Store.from_url(database_url)
    upgrade_schema(opened.engine)
    return opened


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as connection:
        return tuple(int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                     for table in (calls, steps, voicemails))


def kept_calls(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return sorted(connection.execute(select(calls.c.call_sid)).scalars())


def test_calls_older_than_the_days_kept_go_with_their_steps_and_a_message_still_waiting_stays(
        store: Store, tmp_path: Path) -> None:
    # IVR_KEEP_DAYS=365 on 2026-12-04 03:00: everything that started before 2025-12-04 03:00 is too old.
    store.apply(a_call(1, "2025-01-10T09:00+08:00"))                    # a year and more: goes
    store.apply(a_call(2, "2025-12-04T02:59:59+08:00"))                 # one second too old: goes
    store.apply(a_call(3, "2025-12-04T03:00:01+08:00"))                 # one second young enough: stays
    store.apply(a_call(4, "2026-11-30T10:00+08:00"))                    # last week: stays
    store.apply(a_message(5, "2025-03-01T19:00+08:00"))                 # old, called back long ago: goes
    store.apply(a_message(6, "2025-03-02T19:00+08:00"))                 # old, never called back: stays, with its call
    store.apply(a_message(7, "2025-11-20T19:00+08:00"))                 # called back 2025-12-10: its days still run
    store.apply(a_message(8, "2025-06-01T19:00+08:00"))                 # called back 2025-06-02: goes
    by_sid = {m.recording_sid: m.id for m in store.voicemails()}
    store.mark_called_back(by_sid[sid("RE", 5)], parse_moment("2025-03-03T09:00+08:00"), by="li.wei")
    store.mark_called_back(by_sid[sid("RE", 7)], parse_moment("2025-12-10T09:00+08:00"), by="li.wei")
    store.mark_called_back(by_sid[sid("RE", 8)], parse_moment("2025-06-02T09:00+08:00"), by="li.wei")
    assert counts(store) == (8, 3 + 3 + 3 + 3 + 2 * 4, 4)
    recordings = tmp_path / "instance" / "recordings"  # the console's local copies of messages it played
    recordings.mkdir(parents=True)
    for number in (5, 6, 7):
        (recordings / f"{sid('RE', number)}.wav").write_bytes(b"RIFF")

    removed = remove_expired(store, NOW, keep_days=365, recordings=recordings)

    # Calls 1, 2, 5, 7's call (it started 2025-11-20) and 8; call 6 stays with its message waiting for a call back.
    assert removed == Removed(calls=5, steps=3 + 3 + 2 + 2 + 2, voicemails=2)
    assert kept_calls(store) == [sid("CA", 3), sid("CA", 4), sid("CA", 6)]
    assert sorted(m.recording_sid for m in store.voicemails()) == [sid("RE", 6), sid("RE", 7)]
    [waiting] = store.voicemails(status="new")
    assert (waiting.recording_sid, waiting.language, waiting.caller) == (sid("RE", 6), "zh", CALLER)
    assert counts(store) == (3, 3 + 3 + 2, 2)
    assert sorted(p.name for p in recordings.iterdir()) == [f"{sid('RE', 6)}.wav", f"{sid('RE', 7)}.wav"]
    assert remove_expired(store, NOW, keep_days=365) == Removed()  # a second purge finds nothing


def test_a_years_first_purge_goes_in_batches_one_tick_at_a_time_and_is_audited(
        store: Store, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    for number in range(7):
        store.apply(a_call(number, f"2025-01-{number + 1:02d}T09:00+08:00", 2))
    store.apply(a_call(99, "2026-12-01T09:00+08:00", 2))
    ticks = iter(float(n) for n in range(1000))  # a monotonic clock that moves one second a reading
    retention = Retention(store, 365, lambda: NOW, tmp_path / "outbox", batch=3, tick_seconds=0,
                          monotonic=lambda: next(ticks))
    caplog.set_level(logging.INFO, logger="ivr.store.retention")

    # One batch of at most 3 calls a tick, the writer draining between ticks.
    assert retention.tick() is None and counts(store)[0] == 8 - 3
    assert retention.tick() is None and counts(store)[0] == 8 - 6
    assert retention.tick() == Removed(calls=7, steps=14, voicemails=0)
    assert kept_calls(store) == [sid("CA", 99)]
    [line] = [r.getMessage() for r in caplog.records if r.name == "ivr.store.retention"]
    assert line == ("Retention: removed 7 calls, 14 steps and 0 voice messages called back from before "
                    "2025-12-04 03:00 (IVR_KEEP_DAYS=365); voice messages not yet called back are kept.")
    [entry] = StaffStore(store).audit_entries()
    assert (entry.actor, entry.action, entry.at) == ("records writer", "retention", NOW)
    assert entry.detail is not None and entry.detail.startswith("removed 7 calls, 14 steps")

    # Done for today: ticks before a day has passed do nothing, even with a new old call.
    store.apply(a_call(50, "2025-02-01T09:00+08:00", 2))
    assert all(retention.tick() is None for _ in range(5))
    assert counts(store)[0] == 2


def test_the_next_purge_comes_a_day_later(store: Store, tmp_path: Path) -> None:
    clock = [0.0]
    today = [NOW]
    retention = Retention(store, 30, lambda: today[0], tmp_path / "outbox", monotonic=lambda: clock[0])
    assert retention.tick() == Removed()  # at the writer's start: nothing old yet
    store.apply(a_call(1, "2026-11-20T09:00+08:00"))
    clock[0], today[0] = EVERY_SECONDS - 1, NOW + timedelta(days=30)
    assert retention.tick() is None and kept_calls(store) == [sid("CA", 1)]
    clock[0] = EVERY_SECONDS
    assert retention.tick() == Removed(calls=1, steps=3)  # 2026-11-20 is before 2026-12-04 (2027-01-03 - 30 days)
    assert StaffStore(store).audit_entries()[0].detail == (
        "removed 1 calls, 3 steps and 0 voice messages called back from before 2026-12-04 03:00 (IVR_KEEP_DAYS=30); "
        "voice messages not yet called back are kept")


def test_a_database_away_during_the_purge_is_tried_again_and_the_writer_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    database = tmp_path / "records.sqlite3"
    store = Store.from_url(f"sqlite:///{database}")
    upgrade_schema(store.engine)
    store.apply(a_call(1, "2025-01-01T09:00+08:00"))
    clock = [0.0]
    retention = Retention(store, 365, lambda: NOW, tmp_path / "outbox", monotonic=lambda: clock[0])
    (tmp_path / "moved").mkdir()
    database.rename(tmp_path / "moved" / database.name)
    store.engine.dispose()
    database.mkdir()  # a folder where the file was: SQLite cannot open it
    assert retention.tick() is None  # no exception reaches the writer's loop
    assert "it goes on in 60 s" in caplog.text
    database.rmdir()
    (tmp_path / "moved" / database.name).rename(database)
    clock[0] = 59
    assert retention.tick() is None
    clock[0] = 60
    assert retention.tick() == Removed(calls=1, steps=3)


def test_one_process_of_a_server_purges_while_the_others_stand_aside(store: Store, tmp_path: Path) -> None:
    for number in range(4):
        store.apply(a_call(number, "2025-01-01T09:00+08:00", 1))
    first = Retention(store, 365, lambda: NOW, tmp_path / "outbox", batch=2, tick_seconds=0)
    second = Retention(store, 365, lambda: NOW, tmp_path / "outbox", batch=2, tick_seconds=0)
    assert first.tick() is None  # under way, holding the lock
    assert second.tick() is None  # stands aside for the day
    assert counts(store)[0] == 2
    assert first.tick() is None and counts(store)[0] == 0  # a full batch: it looks again at the next tick
    assert first.tick() == Removed(calls=4, steps=4)


@pytest.mark.parametrize("value", ["0", "-30", "a year", "365.5", "36501"])
def test_a_keep_days_that_is_not_a_sensible_number_of_days_is_refused_at_start(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_mapping({"KEEP_DAYS": value})
    assert str(refused.value) == (
        f"KEEP_DAYS: '{value}' is not a number of days to keep the call records; write a whole number of days from "
        "1 to 36500 (e.g. IVR_KEEP_DAYS=365, the default), or leave it unset.")
    result = CliRunner().invoke(main, ["db", "backup", "x.sqlite3"], env={"IVR_KEEP_DAYS": value})
    assert result.exit_code == 1 and result.output == f"Error: {refused.value}\n"


def test_keep_days_defaults_to_a_year() -> None:
    assert Settings.from_mapping({}).keep_days == 365
    assert Settings.from_mapping({"KEEP_DAYS": " 90 "}).keep_days == 90


def test_the_records_writer_process_purges_at_its_start(tmp_path: Path) -> None:
    """`ivr db writer` (which `ivr serve` starts) removes what is too old as soon as it runs."""
    import subprocess
    import sys
    import time

    database = tmp_path / "instance" / "ivr.sqlite3"
    database.parent.mkdir()
    store = Store.from_url(f"sqlite:///{database}")
    upgrade_schema(store.engine)
    store.apply(a_call(1, "2026-01-01T09:00+08:00"))
    store.apply(a_call(2, "2026-11-01T09:00+08:00"))
    env = {"IVR_INSTANCE_DIR": str(tmp_path / "instance"), "IVR_FROZEN_TIME": NOW.isoformat(),
           "IVR_KEEP_DAYS": "90", "PATH": "/usr/bin:/bin"}
    # The writer stops when its parent (this sleeping shell) is gone.
    parent = subprocess.Popen(["sh", "-c", f"{sys.executable} -m ivr db writer & sleep 30"], env=env,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and kept_calls(store) != [sid("CA", 2)]:
            time.sleep(0.2)
        assert kept_calls(store) == [sid("CA", 2)]
        assert StaffStore(store).audit_entries()[0].detail == (
            "removed 1 calls, 3 steps and 0 voice messages called back from before 2026-09-05 03:00 "
            "(IVR_KEEP_DAYS=90); voice messages not yet called back are kept")
    finally:
        import os
        import signal

        os.killpg(parent.pid, signal.SIGTERM)
        parent.wait(timeout=10)


def test_the_moment_is_the_writers_now_in_asia_shanghai() -> None:
    from ivr.store.retention import expiry

    assert expiry(datetime.fromisoformat("2026-12-03T19:00:00+00:00"), 365) == parse_moment(
        "2025-12-04T03:00:00+08:00")


def test_voice_message_exports_mask_caller_numbers_when_asked_or_by_default(database_url: str, store: Store,
                                                                             tmp_path: Path) -> None:
    store.apply(a_message(1, "2026-11-26T19:00+08:00"))
    env = {"IVR_DATABASE_URL": database_url, "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
           "IVR_FROZEN_TIME": NOW.isoformat()}

    def listed(*options: str, **more: str) -> str:
        result = CliRunner().invoke(main, ["voicemail", "list", *options], env={**env, **more})
        assert result.exit_code == 0, result.output
        return result.output

    assert json.loads(listed("--format", "json"))[0]["caller"] == CALLER  # staff calling back need the number
    assert json.loads(listed("--format", "json", "--mask-numbers"))[0]["caller"] == "+86138*****678"
    rows = list(csv.DictReader(io.StringIO(listed("--format", "csv", "--mask-numbers"))))
    assert [(r["caller"], r["unit"], r["status"], r["called_back_at"]) for r in rows] == [
        ("+86138*****678", "funeral_office", "new", "")]
    assert "+86138*****678" in listed("--mask-numbers")
    # IVR_MASK_NUMBERS=1 makes masking the default; --show-numbers is the one-off exception.
    masked_by_default = listed("--format", "csv", IVR_MASK_NUMBERS="1")
    assert "+86138*****678" in masked_by_default and "13812345678" not in masked_by_default
    assert json.loads(listed("--format", "json", "--show-numbers", IVR_MASK_NUMBERS="1"))[0]["caller"] == CALLER
    assert listed("--format", "csv", "--status", "called back").splitlines() == [
        "id,caller,unit,language,recording_url,duration,status,received_at,call_sid,recording_sid,called_back_at,"
        "called_back_by"]
