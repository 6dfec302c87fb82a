"""Benchmark: how long the hotline's webhooks take to answer, against a bare Flask+TwiML baseline in the same run.

The provider waits at most 15 s for TwiML; we aim far lower: a step should cost no more than a few
times a trivial Flask view that returns fixed TwiML, measured here on the same machine in the same run.
Run: python bench/webhooks.py [--steps N]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from flask import Flask, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core.decision import Decision, NodeKind
from ivr.settings import Settings
from ivr.web import create_app
from ivr.web.metrics import counts_for

TOKEN = "bench-token"
CALL = {"CallSid": "CAbench", "From": "+8613812345678", "To": "+864333622075"}
STEPS = [
    ("/voice", {}),
    ("/voice/step?node=language", {"Digits": "1"}),
    ("/voice/step?node=menu%3Amain&lang=zh", {"Digits": "2"}),
    ("/voice/step?node=menu%3Amain&lang=zh", {"Digits": "1"}),
    ("/voice/step?node=closed%3Amarriage_registry&lang=ko", {"Digits": "1"}),
    ("/voice/step?node=menu%3Amain&lang=zh&input=none", {"SpeechResult": "我想办离婚", "Confidence": "0.9"}),
]


def baseline_app() -> Flask:
    app = Flask("baseline")

    @app.post("/voice")
    @app.post("/voice/step")
    def fixed() -> Response:
        response = VoiceResponse()
        response.say("您好", voice="Polly.Zhiyu", language="cmn-CN")
        return Response(str(response.to_xml()), content_type="text/xml; charset=utf-8")

    return app


def measure(app: Flask, rounds: int) -> list[float]:
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    timings = []
    for i in range(rounds):
        url, extra = STEPS[i % len(STEPS)]
        form = {**CALL, **extra}
        signature = validator.compute_signature("http://localhost" + url, form)
        started = time.perf_counter()
        response = client.post(url, data=form, headers={"X-Twilio-Signature": signature})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.data
    return timings


def summary(name: str, timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    print(f"{name:<22} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   over {len(timings)} requests")
    return p50, p95


def counting_cost(folder: Path, rounds: int = 20_000) -> None:
    """Print what counting one step for /metrics costs: in memory (one process), and in prometheus-client's
    memory-mapped files (multiprocess mode, as under `ivr serve`), for a dial result and a spoken request."""
    dialed = Decision((), "not_connected", "marriage_registry")
    spoken = Decision((), "forwarded", "marriage_registry", out_of_hours=False, offered=("marriage_registry",))
    base = Settings.from_mapping({"INSTANCE_DIR": str(folder)})
    (folder / "metrics").mkdir()
    for mode, config in (("in memory", base), ("multiprocess files", base.but(metrics_dir=folder / "metrics"))):
        counts = counts_for(config)
        assert counts is not None
        started = time.perf_counter()
        for i in range(rounds):
            counts.step(NodeKind.DIALED, dialed, "busy", 0.003) if i % 2 else counts.step(NodeKind.MENU, spoken,
                                                                                           None, 0.002)
        each = (time.perf_counter() - started) / rounds * 1e6
        print(f"counting a step ({mode}): {each:.1f} us")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)  # the per-step call log would drown the figures
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    rounds = parser.parse_args().steps
    folder = Path(tempfile.mkdtemp(prefix="ivr-bench-"))
    tracemalloc.start()
    hotline = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": TOKEN, "FROZEN_TIME": "2026-11-26T09:00+08:00",
                          "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                          "OUTBOX_DIR": str(folder / "outbox"), "INSTANCE_DIR": str(folder)})
    _, app_peak = tracemalloc.get_traced_memory()
    measure(hotline, 20)  # warm up both
    measure(baseline_app(), 20)
    base50, base95 = summary("baseline (fixed TwiML)", measure(baseline_app(), rounds))
    ivr50, ivr95 = summary("hotline (SQLite store)", measure(hotline, rounds))
    _, peak = tracemalloc.get_traced_memory()
    print(f"ratio hotline/baseline: p50 {ivr50 / base50:.1f}x, p95 {ivr95 / base95:.1f}x")
    print(f"memory: {app_peak / 2**20:.1f} MiB to build the app, {peak / 2**20:.1f} MiB peak while serving")
    tracemalloc.stop()
    counting_cost(folder)  # last: multiprocess mode, once on, holds for the rest of the process


if __name__ == "__main__":
    main()
