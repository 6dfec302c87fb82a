"""/metrics: what callers did, counted by every process of `ivr serve --workers 2`, and who may read it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CLOSED_EVENING, Provider, make_app
from tests.served import ServedHotline

CALLER = {"From": "+8613812345678", "To": "+864333622075"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Read Prometheus' text format with prometheus-client's own parser: {(name, labels): value}."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def call_steps(number: int) -> list[tuple[str, dict[str, str]]]:
    """The webhooks of one simulated call: three kinds of call, by number."""
    call = {"CallSid": f"CA{number:032x}", **CALLER}
    steps = [("/voice", call), ("/voice/step?node=language", {**call, "Digits": "1"})]
    if number % 3 == 0:  # key 2: the marriage registry, open; its line is busy
        steps += [("/voice/step?node=menu%3Amain&lang=zh", {**call, "Digits": "2"}),
                  ("/voice/step?node=dialed%3Amarriage_registry&lang=zh", {**call, "DialCallStatus": "busy"})]
    elif number % 3 == 1:  # said: one office clearly meant
        steps += [("/voice/step?node=menu%3Amain&lang=zh", {**call, "SpeechResult": "我想办离婚", "Confidence": "0.9"})]
    else:  # said: no office named
        steps += [("/voice/step?node=menu%3Amain&lang=zh", {**call, "SpeechResult": "你好", "Confidence": "0.9"})]
    return steps


def place(server: ServedHotline, numbers: range) -> int:
    """Place the calls in parallel (each request on a new connection, so both workers take some); return the steps."""
    def one(number: int) -> int:
        for path, form in call_steps(number):
            status, body = server.post(path, form)
            assert status == 200 and body.startswith(b"<?xml"), (status, body[:200])
        return len(call_steps(number))

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, numbers))


def counted_by_process(folder: Path, name: str) -> dict[int, float]:
    """Read each process's own counter file in the multiprocess folder: {pid: the sum of the counter's samples}."""
    found: dict[int, float] = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, count, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            if json.loads(key)[1] == name:
                found[pid] = found.get(pid, 0.0) + count
    return found


def test_two_workers_count_every_call_whichever_answers_the_scrape(menus: Path, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    stale = instance / "metrics" / "counter_999999.db"  # a file of the last run, which `ivr serve` must empty
    stale.parent.mkdir(parents=True)
    last_run = MmapedDict(str(stale))
    last_run.write_value(mmap_key("ivr_calls", "ivr_calls_total", [], [], "Calls started."), 1000.0, 0.0)
    last_run.close()
    server = ServedHotline(menus, instance, workers=2)
    try:
        server.wait_ready()
        workers = server.worker_pids()
        assert len(workers) == 2 and not stale.exists()
        calls = steps = 0
        # Rounds until both workers have counted calls (parallel connections are spread between them; the
        # expected figures below are what was sent, all rounds together).
        while not all(counted_by_process(instance / "metrics", "ivr_calls_total").get(pid) for pid in workers):
            assert calls < 240, "one worker took every call"
            steps += place(server, range(calls, calls + 24))
            calls += 24
        by_worker = counted_by_process(instance / "metrics", "ivr_calls_total")
        assert sum(by_worker[pid] for pid in workers) == calls and all(by_worker[pid] >= 1 for pid in workers)

        scrapes = []
        for _ in range(8):  # each on a new connection: either worker answers, each says the same
            status, body = server.get("/metrics")
            assert status == 200
            scrapes.append(samples(body.decode()))
        found = scrapes[0]
        counted = ("ivr_calls", "ivr_steps", "ivr_forwards", "ivr_spoken_requests", "ivr_step_seconds")
        for scrape in scrapes[1:]:  # what callers did; the events waiting drain meanwhile
            assert {k: v for k, v in scrape.items() if k[0].startswith(counted)} == \
                {k: v for k, v in found.items() if k[0].startswith(counted)}
        third = calls // 3  # calls is a multiple of 24, so each kind of call is exactly a third
        assert value(found, "ivr_calls_total") == calls
        assert value(found, "ivr_calls_out_of_hours_total") == 0  # 10:00 on a Thursday: the bureau is open
        assert value(found, "ivr_steps_total", kind="start") == calls
        assert value(found, "ivr_steps_total", kind="language") == calls
        assert value(found, "ivr_steps_total", kind="menu") == calls
        assert value(found, "ivr_steps_total", kind="dialed") == third
        assert value(found, "ivr_forwards_total", office="marriage_registry", status="busy") == third
        assert value(found, "ivr_spoken_requests_total", verdict="routed") == third
        assert value(found, "ivr_spoken_requests_total", verdict="not_understood") == third
        assert value(found, "ivr_spoken_requests_total", verdict="asked") == 0
        assert value(found, "ivr_step_seconds_count") == steps == 4 * third + 3 * 2 * third
        assert value(found, "ivr_step_seconds_bucket", le="+Inf") == steps
        assert 0 < value(found, "ivr_step_seconds_sum") < steps  # under a second a step, on average
        assert value(found, "ivr_menus_edit_rejected") == 0 and value(found, "ivr_database_up") == 1
        assert value(found, "ivr_voice_messages_waiting") == 0

        # A worker killed outright is replaced; what it counted stays counted.
        os.kill(min(workers), signal.SIGKILL)
        server.wait_for_workers(2, other_than={min(workers)})
        for _ in range(4):
            status, body = server.get("/metrics")
            assert status == 200 and value(samples(body.decode()), "ivr_calls_total") == calls

        # Loopback, but forwarded by a proxy: refused without a token.
        status, _ = server.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert status == 401
    finally:
        server.stop()


def test_events_waiting_are_every_process_s_summed_once(menus: Path, tmp_path: Path) -> None:
    # Nothing listens on port 1: every event waits in the workers' outbox files, which the records writer
    # process cannot empty.
    server = ServedHotline(menus, tmp_path / "instance", workers=2,
                           database_url="postgresql+psycopg://ivr:pw@127.0.0.1:1/ivr")
    try:
        server.wait_ready()
        outbox = tmp_path / "instance"
        steps, by_worker = 0, Tally[int]()
        # The kernel hands connections to whichever worker accepts first: calls are placed until both hold events.
        for batch in range(10):
            steps += place(server, range(batch * 24, (batch + 1) * 24))
            time.sleep(2.5)  # the workers seal their files and hand them over to the writer, which cannot write them
            by_worker = Tally()
            for path in next(outbox.glob("outbox-*")).glob("worker-*.sqlite3"):
                with sqlite3.connect(path) as db:
                    by_worker[int(path.name.split("-")[1])] += db.execute("SELECT count(*) FROM waiting").fetchone()[0]
            if len(+by_worker) == 2:
                break
        assert sum(by_worker.values()) == steps and len(+by_worker) == 2, by_worker
        for _ in range(4):
            found = samples(server.get("/metrics")[1].decode())
            details = json.loads(server.get("/health/details")[1])
            assert value(found, "ivr_events_waiting") == details["events_waiting"] == steps
            assert value(found, "ivr_events_set_aside") == value(found, "ivr_events_in_memory") == 0
            assert value(found, "ivr_database_up") == 0
            assert ("ivr_voice_messages_waiting", ()) not in found  # not known: not made up
    finally:
        server.stop()


def test_a_token_opens_metrics_from_anywhere_and_nothing_else_does() -> None:
    app = make_app(METRICS_TOKEN="scrape-me-7f3a")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401  # loopback is not enough once a token is set
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3b"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "scrape-me-7f3a"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3a\u00e9"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3a",
                                               "X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=")
    assert value(samples(response.data.decode()), "ivr_calls_total") == 0
    # The health details keep their own token.
    assert client.get("/health/details", headers={"Authorization": "Bearer scrape-me-7f3a"}).status_code == 200


def test_without_a_token_only_this_machine_unforwarded_reads_metrics() -> None:
    client = make_app().test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        assert client.get("/metrics", headers={header: "203.0.113.9"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401


def test_out_of_hours_a_closed_office_and_a_forged_office_in_process() -> None:
    app = make_app(FROZEN_TIME=CLOSED_EVENING)
    provider = Provider(app.test_client())
    call = {"CallSid": "CA" + "7" * 32, **CALLER}
    provider.post("/voice", call)
    provider.post("/voice/step?node=menu%3Amain&lang=zh", {**call, "SpeechResult": "我想办离婚", "Confidence": "0.3"})
    provider.post("/voice/step?node=dialed%3Amarriage_registry&lang=zh", {**call, "DialCallStatus": "no-answer"})
    provider.post("/voice/step?node=dialed%3Amarriage_registry&lang=zh", {**call, "DialCallStatus": "<script>"})
    provider.post("/voice/step?node=dialed%3Anot-an-office&lang=zh", {**call, "DialCallStatus": "busy"})
    app.test_client().post("/voice", data=call)  # unsigned: refused, not counted
    found = samples(app.test_client().get("/metrics").data.decode())
    assert value(found, "ivr_calls_total") == 1 and value(found, "ivr_calls_out_of_hours_total") == 1
    assert value(found, "ivr_spoken_requests_total", verdict="asked") == 1  # a low confidence: asked to confirm
    assert value(found, "ivr_forwards_total", office="marriage_registry", status="no-answer") == 1
    assert value(found, "ivr_forwards_total", office="marriage_registry", status="failed") == 1  # unknown status
    assert not [key for key in found if dict(key[1]).get("office") == "not-an-office"]
    assert value(found, "ivr_steps_total", kind="dialed") == 3 and value(found, "ivr_step_seconds_count") == 5


def test_a_rejected_edit_and_the_voice_messages_show(menus: Path) -> None:
    app = make_app(MENUS_DIR=str(menus))
    provider = Provider(app.test_client())
    call = {"CallSid": "CA" + "8" * 32, **CALLER}
    provider.post("/voice/step?node=recorded%3Amarriage_registry&lang=zh",
                  {**call, "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingSid": "RE" + "1" * 32,
                   "RecordingDuration": "12"})
    app.extensions["ivr.recorder"].flush()
    (menus / "units.yaml").write_text("units: [\n", encoding="utf-8")
    time.sleep(2.1)  # the menus are looked at again at most every 2 s
    found = samples(app.test_client().get("/metrics").data.decode())
    assert value(found, "ivr_menus_edit_rejected") == 1
    assert value(found, "ivr_voice_messages_waiting") == 1
    assert value(found, "ivr_steps_total", kind="recorded") == 1


def test_a_preview_call_counts_nothing(tmp_path: Path) -> None:
    from datetime import datetime

    from ivr.web import create_app

    real = make_app()
    preview = create_app(real.extensions["ivr.settings"].for_preview(
        datetime.fromisoformat(CLOSED_EVENING), real.extensions["ivr.settings"].menus_dir, tmp_path))
    assert preview.extensions["ivr.metrics"] is None
    call = {"CallSid": "CA" + "9" * 32, **CALLER}
    token = preview.extensions["ivr.settings"].auth_token
    assert Provider(preview.test_client(), token=token).post("/voice", call).status_code == 200
    assert value(samples(real.test_client().get("/metrics").data.decode()), "ivr_calls_total") == 0


def test_the_readme_s_alert_rules_and_scrape_config_name_what_metrics_serves() -> None:
    import re

    import yaml

    from ivr.paths import PROJECT_ROOT

    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(
        encoding="utf-8"), re.DOTALL)]
    rules = next(b for b in blocks if isinstance(b, dict) and "groups" in b)["groups"][0]["rules"]
    scrape = next(b for b in blocks if isinstance(b, dict) and "scrape_configs" in b)["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == ["127.0.0.1:8000"]  # deploy/ivr-hotline.service's port
    assert [rule["alert"] for rule in rules] == ["IvrEventsWaiting", "IvrMenusEditRejected"]
    served = {name for name, _labels in samples(make_app().test_client().get("/metrics").data.decode())}
    for rule in rules:
        named = set(re.findall(r"\bivr_[a-z_]+", rule["expr"]))
        assert named and named <= served, (rule["expr"], served)
