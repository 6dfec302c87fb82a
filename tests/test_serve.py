"""`ivr serve` as an operator runs it: workers killed, broken edits, restarts and slow clients never stop callers."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from ivr.cli import main
from tests.served import ServedHotline
from tests.test_hostile_menus import ALIAS_BOMB

CALL = {"CallSid": "CA" + "7" * 32, "From": "+8613812345678", "To": "+864333622075"}
MARRIAGE = "+864333623441"


@pytest.fixture
def served(menus: Path, tmp_path: Path) -> Iterator[ServedHotline]:
    server = ServedHotline(menus, tmp_path / "instance")
    server.wait_ready()
    yield server
    server.stop()


def forwards_the_marriage_office(server: ServedHotline) -> bool:
    status, body = server.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"})
    assert status == 200, body
    return ET.fromstring(body).findtext("Dial/Number") == MARRIAGE


def answered_after_a_restart(server: ServedHotline) -> bool:
    """A killed worker's socket may refuse one connection; the provider retries, so do we, once."""
    try:
        return forwards_the_marriage_office(server)
    except (ConnectionError, http.client.HTTPException):
        time.sleep(0.5)
        return forwards_the_marriage_office(server)


def test_killed_workers_and_a_restart_on_a_broken_folder_keep_the_last_good_menus(
        served: ServedHotline, menus: Path, tmp_path: Path) -> None:
    assert forwards_the_marriage_office(served)
    (menus / "menu.yaml").write_text("main: [unclosed\n", encoding="utf-8")
    time.sleep(2.5)  # the workers notice the edit and refuse it
    assert forwards_the_marriage_office(served)

    workers = served.wait_for_workers(2)
    for pid in sorted(workers):
        os.kill(pid, signal.SIGKILL)
        served.wait_for_workers(2, other_than={pid})
        assert answered_after_a_restart(served)
    assert served.process.poll() is None, served.output()
    assert "Worker failed to boot" not in served.output()

    assert served.stop() == 0
    again = ServedHotline(menus, tmp_path / "instance")
    try:
        again.wait_ready()
        assert forwards_the_marriage_office(again)
        health = again.get("/health/details")[1].decode()
        assert '"saved_copy":true' in health.replace(" ", "")
        assert "callers hear the last good copy" in again.output()
    finally:
        again.stop()


def test_serve_refuses_to_start_when_no_good_menus_ever_existed(menus: Path, tmp_path: Path) -> None:
    (menus / "menu.yaml").write_text("main: [unclosed\n", encoding="utf-8")
    server = ServedHotline(menus, tmp_path / "fresh-instance")
    assert server.process.wait(timeout=30) == 1
    output = server.output()
    assert f"{menus}/menu.yaml:1 the '[' opened on this line is never closed" in output
    assert "no good version of them has ever been saved" in output
    assert "Traceback" not in output


def test_hostile_files_saved_while_serving_never_slow_a_step_past_a_second(served: ServedHotline, menus: Path) -> None:
    calendar = menus / "calendar.yaml"
    good = calendar.read_text(encoding="utf-8")
    for hostile in (good + ALIAS_BOMB, good + "deep: " + "[" * 5000 + "]" * 5000 + "\n",
                    good + ("# " + "x" * 1000 + "\n") * 50_000):
        calendar.write_text(hostile, encoding="utf-8")
        deadline = time.monotonic() + 3  # past the 2 s between looks at the files
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert forwards_the_marriage_office(served)
            assert time.monotonic() - started < 1
            time.sleep(0.2)
    assert served.process.poll() is None
    assert "Worker failed to boot" not in served.output()


def trickle(port: int, stop: threading.Event) -> None:
    """A client that sends one byte of a request every 2 s and never finishes it."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        request = b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 100_000
        for byte in request:
            if stop.wait(2):
                return
            try:
                connection.send(bytes([byte]))
            except OSError:
                return


def test_four_trickling_clients_do_not_delay_the_provider(served: ServedHotline) -> None:
    stop = threading.Event()
    clients = [threading.Thread(target=trickle, args=(served.port, stop), daemon=True) for _ in range(4)]
    for client in clients:
        client.start()
    time.sleep(1)
    slowest = 0.0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, body = served.post("/voice", CALL, timeout=5)
            slowest = max(slowest, time.monotonic() - started)
            assert status == 200
            assert ET.fromstring(body).find("Gather") is not None
            time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    finally:
        stop.set()
    assert slowest < 2, f"the slowest signed /voice took {slowest:.2f} s"


def test_a_worker_killed_under_load_loses_no_answered_step(served: ServedHotline, tmp_path: Path) -> None:
    answered: list[str] = []
    stop = threading.Event()

    def caller(number: int) -> None:
        sequence = 0
        while not stop.is_set():
            sid = f"CA{number:02d}{sequence:030d}"
            sequence += 1
            try:
                status, body = served.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "CallSid": sid,
                                                                                   "Digits": "2"}, timeout=5)
            except (OSError, http.client.HTTPException):
                continue  # the killed worker's connection: the provider never got TwiML for it
            if status == 200 and ET.fromstring(body).findtext("Dial/Number") == MARRIAGE:
                answered.append(sid)

    callers = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(6)]
    for thread in callers:
        thread.start()
    time.sleep(2)
    victim = min(served.wait_for_workers(2))
    os.kill(victim, signal.SIGKILL)
    time.sleep(3)
    stop.set()
    for thread in callers:
        thread.join(timeout=10)
    assert served.stop() == 0
    assert len(answered) > 100

    env = {"IVR_INSTANCE_DIR": str(tmp_path / "instance"), "IVR_DATABASE_URL": ""}
    flushed = CliRunner().invoke(main, ["db", "flush"], env=env)
    assert flushed.exit_code == 0, flushed.output
    database = f"sqlite:///{tmp_path / 'instance' / 'ivr.sqlite3'}"
    engine = create_engine(database)
    with engine.connect() as connection:
        recorded = {row[0] for row in connection.execute(text("SELECT call_sid FROM calls"))}
        steps_kept = connection.execute(text("SELECT count(*) FROM steps")).scalar_one()
    engine.dispose()
    assert set(answered) <= recorded, f"{len(set(answered) - recorded)} answered steps are missing"
    assert steps_kept == len(recorded)  # one step per call here: none doubled


def calls_recorded(server_instance: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{server_instance / 'ivr.sqlite3'}")
    with engine.connect() as connection:
        found = {row[0] for row in connection.execute(text("SELECT call_sid FROM calls"))}
    engine.dispose()
    return found


def wait_until_recorded(instance: Path, sid: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sid in calls_recorded(instance):
            return True
        time.sleep(0.2)
    return False


def test_the_records_writer_process_writes_steps_and_the_workers_take_over_when_it_dies(
        served: ServedHotline, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    assert forwards_the_marriage_office(served)
    assert wait_until_recorded(instance, CALL["CallSid"])
    writers = {int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
               if b"db\x00writer" in _cmdline(stat.parent) and _parent_of(stat.parent) == served.process.pid}
    assert len(writers) == 1, writers
    os.kill(writers.pop(), signal.SIGKILL)
    second = {**CALL, "CallSid": "CA" + "8" * 32}
    status, _ = served.post("/voice/step?node=menu%3Amain&lang=zh", {**second, "Digits": "2"})
    assert status == 200
    assert wait_until_recorded(instance, second["CallSid"])  # a worker's own writer took over


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


def _parent_of(process: Path) -> int:
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1
