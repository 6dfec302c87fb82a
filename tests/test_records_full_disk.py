"""No call record is lost when the disk fills: `ivr serve` on a real small tmpfs, filled and freed under load."""

from __future__ import annotations

import errno
import fcntl
import http.client
import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

import ivr.store.held
import ivr.store.recorder
from ivr.cli import main
from ivr.paths import PROJECT_ROOT
from ivr.store.folder import WRITER_LOCK, RecordCounts, record_counts
from ivr.store.status import MemoryCounts, StatusFile, others
from ivr.store.tables import steps
from tests.conftest import SECRET_KEY, TOKEN, Provider, make_app, twiml
from tests.served import IVR, ServedHotline
from tests.test_store import CALL, count, rows

STEP = "/voice/step?node=menu%3Amain&lang=zh"
LOAD_SECONDS = 12.0
FULL_FROM, FULL_UNTIL = 2.0, 8.0  # the disk is kept full from the 2nd to the 8th second of the load
CLIENTS = 12


@pytest.fixture
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of the size given by the test's parameter, mounted for the test and unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root); this test cannot run here")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={request.param}", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); this test needs `mount -t tmpfs`")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


class Filler:
    """Keeps a disk full for a while, as a runaway log would: whatever space is freed is taken again."""

    def __init__(self, disk: Path) -> None:
        self.path = disk / "runaway.log"
        self.full = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        chunk = b"\0" * 65536
        with self.path.open("wb", buffering=0) as filler:
            while not self.stop.is_set():
                for size in (65536, 4096):  # large chunks, then the last pages
                    try:
                        while filler.write(chunk[:size]):
                            pass
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC, exc
                self.full.set()
                self.stop.wait(0.05)

    def start(self) -> None:
        self.thread.start()
        assert self.full.wait(10), "the disk did not fill"

    def free(self) -> None:
        self.stop.set()
        self.thread.join()
        self.path.unlink()


def load(server: ServedHotline, prefix: str, seconds: float, answered: list[str], refused: list[int]) -> None:
    """One client: signed steps on a kept-alive connection, each with a CallSid of its own, for `seconds`."""
    validator = RequestValidator(TOKEN)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    deadline, number = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        number += 1
        form = {"CallSid": f"CA{prefix}{number:08d}", "From": "+8613812345678", "To": "+864333622075",
                "Digits": "2"}
        headers = {"X-Twilio-Signature": validator.compute_signature(server.base + STEP, form),
                   "Content-Type": "application/x-www-form-urlencoded"}
        try:
            connection.request("POST", STEP, urlencode(form).encode(), headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            refused.append(0)
            continue
        (answered.append(form["CallSid"]) if response.status == 200 else refused.append(response.status))


def health(server: ServedHotline) -> dict[str, object]:
    status, body = server.get("/health/details")
    assert status == 200, body
    found: dict[str, object] = json.loads(body)
    return found


def steps_by_call(database: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return {row[0]: int(row[1]) for row in
                    connection.execute(text("SELECT call_sid, count(*) FROM steps GROUP BY call_sid"))}
    finally:
        engine.dispose()


# 64 MB: the instance folder, with the outbox and the embedded SQLite records, on the disk that fills. 8 MB: the
# outbox alone there, the records elsewhere (a small local disk, the records on another disk or PostgreSQL); on 8 MB
# the records of a 12 s load would not fit at all once the disk was freed.
@pytest.mark.parametrize(("small_disk", "records_elsewhere"), [("8m", True), ("64m", False)], indirect=["small_disk"])
def test_every_answered_step_is_recorded_once_after_the_disk_was_full(small_disk: Path, records_elsewhere: bool,
                                                                       menus: Path, tmp_path: Path) -> None:
    database = tmp_path / "records.sqlite3" if records_elsewhere else small_disk / "ivr.sqlite3"
    server = ServedHotline(menus, small_disk, workers=2, database_url=f"sqlite:///{database}")
    server.wait_ready()
    filler = Filler(small_disk)
    answered: list[str] = []
    refused: list[int] = []
    in_memory_seen = 0
    try:
        clients = [threading.Thread(target=load, args=(server, f"{n:02d}", LOAD_SECONDS, answered, refused))
                   for n in range(CLIENTS)]
        started = time.monotonic()
        for client in clients:
            client.start()
        time.sleep(FULL_FROM)
        filler.start()
        while time.monotonic() - started < FULL_UNTIL:
            in_memory_seen = max(in_memory_seen, int(health(server)["events_in_memory"]))  # type: ignore[call-overload]
            time.sleep(0.5)
        filler.free()
        for client in clients:
            client.join()
        # The workers write back what they held, and the writer catches up, while the server runs.
        deadline, report = time.monotonic() + 30, health(server)
        while time.monotonic() < deadline and (report["events_in_memory"] or report["events_waiting"]):
            time.sleep(0.5)
            report = health(server)
    finally:
        if filler.thread.is_alive():
            filler.free()
        assert server.stop() == 0, server.output()
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_SECRET_KEY": SECRET_KEY,
           "IVR_INSTANCE_DIR": str(small_disk), "IVR_MENUS_DIR": str(menus)}
    env["IVR_DATABASE_URL"] = f"sqlite:///{database}"
    flushed = subprocess.run([IVR, "db", "flush"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    recorded = steps_by_call(database)
    lost = [sid for sid in answered if sid not in recorded]
    doubled = [sid for sid in answered if recorded.get(sid, 0) > 1]
    layout = "8 MB, records elsewhere" if records_elsewhere else "64 MB, records on it too"
    print(f"{layout}: {len(answered)} steps answered 200, {len(refused)} not; "
          f"{sum(recorded.get(sid, 0) for sid in answered)} records of them; {len(lost)} lost, {len(doubled)} doubled; "
          f"at most {in_memory_seen} events in memory during the fill; flush: {flushed.stdout.strip()}")
    assert len(answered) > 500, (len(answered), refused[:20], server.output()[-3000:])
    assert in_memory_seen > 0  # the disk really refused the outbox, and /health said so
    assert (len(lost), len(doubled)) == (0, 0), (flushed.stdout, flushed.stderr, server.output()[-5000:])
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert (report["events_in_memory"], report["events_dropped"]) == (0, 0), report


def post_steps(provider: Provider, first: int, many: int) -> None:
    for seq in range(first, first + many):
        twiml(provider.post(f"/voice/step?node=menu%3Amain&lang=zh&seq={seq}", {**CALL, "Digits": "#"}))


def test_events_held_in_memory_reach_the_database_while_a_writer_process_holds_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, folder = f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "outbox"
    folder.mkdir()
    writer_lock = (folder / WRITER_LOCK).with_name(WRITER_LOCK + ".owner").open("a")
    fcntl.flock(writer_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `ivr db writer` does: the workers leave draining
    app = make_app(DATABASE_URL=url, OUTBOX_DIR=str(folder))
    provider = Provider(app.test_client())
    try:
        post_steps(provider, 0, 1)  # into the outbox: the writer process's to drain
        monkeypatch.setattr(ivr.store.recorder, "LOW_DISK_BYTES", 1 << 62)  # the disk now counts as full
        time.sleep(1.5)  # the worker's writer thread notices within a second
        post_steps(provider, 1, 5)
        assert provider.client.get("/health/details").get_json()["events_in_memory"] >= 1  # held, not appended
        deadline = time.monotonic() + 5
        while count(url, steps) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        # The five held events went straight into the database, by the worker itself; the one in the outbox waits
        # for the writer process, which holds the folder.
        assert sorted(step.seq for step in rows(url, steps)) == [1, 2, 3, 4, 5]
        health = provider.client.get("/health/details").get_json()
        assert (health["events_in_memory"], health["events_waiting"], health["events_dropped"]) == (0, 1, 0)
    finally:
        app.extensions["ivr.recorder"].stop()
        writer_lock.close()


def test_health_sums_every_live_process_and_forgets_a_dead_one_after_logging_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "outbox"
    ready = multiprocessing.get_context("fork").Event()

    def other_worker() -> None:
        status = StatusFile(folder)
        assert status.open()
        status.write(MemoryCounts(in_memory=7, dropped=3))
        ready.set()
        time.sleep(60)  # a worker at work, until it is killed

    child = multiprocessing.get_context("fork").Process(target=other_worker)
    child.start()
    try:
        assert ready.wait(10)
        own = StatusFile(folder)
        assert own.open()
        own.write(MemoryCounts(in_memory=100, dropped=100))  # this process's: counted from its memory, not here
        assert record_counts(folder) == RecordCounts(waiting=0, set_aside=0, in_memory=107, dropped=103)
        assert others(folder, own) == MemoryCounts(in_memory=7, dropped=3)
        flushed = CliRunner().invoke(main, ["db", "flush", "--outbox", str(folder)],
                                     env={"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        assert flushed.exit_code == 1  # not all in the database yet
        assert flushed.stdout.splitlines()[1] == (
            "107 more are held in the memory of running workers, which write them back within a second of the "
            "outbox or the database taking them; 103 were dropped (see the log).")
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        with caplog.at_level(logging.ERROR, logger="ivr.store.status"):
            assert others(folder, own) == MemoryCounts(0, 0)
            assert others(folder, own) == MemoryCounts(0, 0)
        [line] = [r.getMessage() for r in caplog.records if r.name == "ivr.store.status"]
        assert f"Process {child.pid} ended holding 7 call events in memory" in line and "(3 had been" in line
        assert [p.name for p in (folder / "processes").iterdir()] == [own.path.name if own.path else ""]
        own.close()
        assert list((folder / "processes").iterdir()) == []
    finally:
        if child.is_alive():
            child.kill()
        child.join(10)


def test_events_beyond_the_memory_bound_are_counted_and_logged_once_in_a_while(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(ivr.store.held, "MEMORY_LIMIT", 3)
    blocked = tmp_path / "full-disk"
    blocked.write_text("a file where the folders should be")  # neither outbox nor database can be created
    app = make_app(DATABASE_URL=f"sqlite:///{blocked}/db/ivr.sqlite3", OUTBOX_DIR=str(blocked / "outbox"))
    provider = Provider(app.test_client())
    with caplog.at_level(logging.CRITICAL, logger="ivr.store.recorder"):
        post_steps(provider, 0, 8)
    health = provider.client.get("/health/details").get_json()
    assert (health["events_in_memory"], health["events_dropped"], health["status"]) == (3, 5, "degraded")
    dropped = [r.getMessage() for r in caplog.records if "were dropped" in r.getMessage()]
    assert dropped == ["1 call events were dropped (1 since the last report): neither the outbox nor the database "
                       "could be written for a long time, and memory holds at most 3."]
    app.extensions["ivr.recorder"].stop()


EXITING_WORKER = """
import sys
from datetime import datetime, timezone
from pathlib import Path
import ivr.store.recorder as recorder
from ivr.events import StepEvent
from ivr.store.database import Store, prepare_embedded_sqlite
recorder.GATHER_SECONDS = 60  # the writer thread would not write them back before the exit
store = Store.from_url(sys.argv[1])
prepare_embedded_sqlite(store)
kept = recorder.Recorder(store, Path(sys.argv[2]))
for seq in range(3):
    kept.record(StepEvent.make(call_sid="CAexit", at=datetime.now(timezone.utc), seq=seq, node="menu:main",
                               outcome="menu"))
assert kept.memory_counts().in_memory == 3
"""


def test_a_worker_exiting_cleanly_writes_back_what_its_memory_holds(tmp_path: Path) -> None:
    blocked = tmp_path / "full-disk"
    blocked.write_text("a file where the outbox folder should be")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    ended = subprocess.run([sys.executable, "-c", EXITING_WORKER, url, str(blocked / "outbox")],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert ended.returncode == 0, ended.stderr
    assert "3 call events held in memory are kept again; 0 still wait there." in ended.stderr
    assert sorted(step.seq for step in rows(url, steps)) == [0, 1, 2]
