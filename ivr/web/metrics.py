"""`GET /metrics` for Prometheus: what callers did, counted on their path, and how the service is, read at scrape time.

What callers did (calls, steps, forwards, spoken requests, step latency) is counted by prometheus-client as each
step is answered: a few microseconds. Under `ivr serve` each process counts into its own memory-mapped files in
prometheus-client's multiprocess folder (PROMETHEUS_MULTIPROC_DIR, in the instance folder), and a scrape,
whichever worker answers it, sums them all; elsewhere each app counts in a registry of its own. How the service
is (call events waiting, voice messages waiting, the menus served) is read when Prometheus asks: these figures
already cover every process (see record_counts) or are one worker's view, so they are never summed again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ivr.core.decision import DIAL_STATUSES, Decision, NodeKind
from ivr.settings import Settings, export_metrics_folder
from ivr.store.database import StoreRefused, StoreUnavailable
from ivr.store.recorder import Recorder
from ivr.web import settings
from ivr.web.health import operator_may_read
from ivr.web.menus import MenuStore

bp = Blueprint("metrics", __name__)
# Step latency buckets, in seconds: a step takes milliseconds; the provider gives up after 15 s.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
# The voice messages waiting are counted in the database at most this often (per worker).
VOICE_MESSAGES_EVERY = 30.0
# What a spoken request's decision says about it (see Decision.offered).
ROUTED, ASKED, NOT_UNDERSTOOD = "routed", "asked", "not_understood"
_SHARED_LOCK = threading.Lock()
_SHARED: list[Counts] = []  # the process's one set in multiprocess mode (its files are the process's own)


class Counts:
    """The counters and the latency histogram of what callers did: one set per process in multiprocess mode."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.registry = registry  # None in multiprocess mode: collected from the files
        self.calls = Counter("ivr_calls", "Calls started (the provider's first webhook of a call).",
                             registry=registry)
        self.out_of_hours = Counter("ivr_calls_out_of_hours", "Calls started while the bureau (the operator's "
                                    "schedule) was closed.", registry=registry)
        self.steps = Counter("ivr_steps", "Steps answered, by the kind of place the call was at (start: the call's "
                             "first webhook).", ["kind"], registry=registry)
        self.forwards = Counter("ivr_forwards", "Callers put through to an office, by office and the provider's "
                                "dial status (completed, busy, no-answer, failed, canceled).", ["office", "status"],
                                registry=registry)
        self.spoken = Counter("ivr_spoken_requests", "Sentences said at a menu, by what the router made of them: "
                              "routed to one office, asked (confirm one or choose among two or three), "
                              "not_understood (named no office).", ["verdict"], registry=registry)
        self.step_seconds = Histogram("ivr_step_seconds", "Time to answer a step of a call, from its signature "
                                      "check to its TwiML.", buckets=STEP_BUCKETS, registry=registry)
        # Children looked up once: counting a step is then a few increments, with no label lookup.
        self._steps = {kind: self.steps.labels(kind.value) for kind in NodeKind}
        self._spoken = {verdict: self.spoken.labels(verdict) for verdict in (ROUTED, ASKED, NOT_UNDERSTOOD)}

    def step(self, kind: NodeKind, decision: Decision, dial_status: str | None, seconds: float) -> None:
        """Count a step answered: its kind, a call started, a dial result, a spoken request, its time."""
        self._steps[kind].inc()
        if kind is NodeKind.START:
            self.calls.inc()
            if decision.out_of_hours:
                self.out_of_hours.inc()
        elif kind is NodeKind.DIALED and decision.unit_id and decision.outcome in ("connected", "not_connected"):
            # The office is one the menus have (the flow checked it), never a label a forged URL chose.
            status = dial_status if dial_status in DIAL_STATUSES else "failed"
            self.forwards.labels(decision.unit_id, status).inc()
        if decision.offered is not None:
            verdict = NOT_UNDERSTOOD if not decision.offered else ASKED if decision.outcome == "confirm" else ROUTED
            self._spoken[verdict].inc()
        self.step_seconds.observe(seconds)


def init_app(app: Flask, config: Settings) -> None:
    """Give the app its counts (none for a preview) and the /metrics page."""
    app.extensions["ivr.metrics"] = counts_for(config)
    app.extensions["ivr.metrics.voicemails"] = _VoicemailsWaiting()
    app.register_blueprint(bp)


def counts_for(config: Settings) -> Counts | None:
    """Return the counts an app adds to: the process's shared ones in multiprocess mode, else its own."""
    if not config.metrics:
        return None
    # No *_created samples: the same text whether one process counts or several.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    if config.metrics_dir is None:
        return Counts(CollectorRegistry(auto_describe=True))
    with _SHARED_LOCK:
        if not _SHARED:
            # prometheus-client picks memory-mapped values when it is first imported with the variable set; an
            # import made earlier in this process (before `ivr serve` set it) must not leave them in memory only.
            # Its files go where the variable says (`ivr serve` sets it; a test's settings may name the folder alone).
            export_metrics_folder(config.metrics_dir)
            if not getattr(values.ValueClass, "_multiprocess", False):
                values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
            _SHARED.append(Counts(None))  # collected from the files, not from a registry
        return _SHARED[0]


def app_counts() -> Counts | None:
    """Return the counts of the app handling the current request (None for a preview)."""
    counts: Counts | None = current_app.extensions.get("ivr.metrics")
    return counts


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus' text format, for `Authorization: Bearer IVR_METRICS_TOKEN`; without that setting, for a request
    from this machine that no proxy forwarded."""
    if not operator_may_read(settings().metrics_token):
        return jsonify({"error": "Send Authorization: Bearer <IVR_METRICS_TOKEN> to read the metrics."}), \
            401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    counted = CollectorRegistry()
    config = settings()
    counts = app_counts()
    if config.metrics_dir is not None:
        multiprocess.MultiProcessCollector(counted, path=str(config.metrics_dir))  # type: ignore[no-untyped-call]
    elif counts is not None and counts.registry is not None:
        counted = counts.registry
    now = CollectorRegistry()
    now.register(_ServiceNow(current_app.extensions["ivr.recorder"], current_app.extensions["ivr.menus"],
                             current_app.extensions["ivr.metrics.voicemails"]))
    return Response(generate_latest(counted) + generate_latest(now), content_type=CONTENT_TYPE_LATEST)


class _VoicemailsWaiting:
    """The voice messages waiting for a call back, counted in the database at most every 30 s."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -VOICE_MESSAGES_EVERY
        self._count: int | None = None

    def get(self, recorder: Recorder) -> int | None:
        """Return the count (None when the database did not answer), from the database or the last 30 s."""
        with self._lock:
            if time.monotonic() - self._at >= VOICE_MESSAGES_EVERY:
                try:
                    self._count = recorder.store.voicemails_waiting()
                except (StoreUnavailable, StoreRefused):
                    self._count = None
                self._at = time.monotonic()
            return self._count


class _ServiceNow(Collector):
    """The figures read at scrape time: call events, voice messages waiting, the menus served."""

    def __init__(self, recorder: Recorder, menus: MenuStore, voicemails: _VoicemailsWaiting) -> None:
        self.recorder, self.menus, self.voicemails = recorder, menus, voicemails

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the gauges, each computed now."""
        events = self.recorder.counts()  # every process's, summed there once
        for name, value, meaning in (
                ("waiting", events.waiting, "in the outbox files for the database (-1: the outbox cannot be read)"),
                ("set_aside", events.set_aside, "the database refused for their content, kept aside"),
                ("in_memory", events.in_memory, "held in a live process's memory (the outbox could not be written)"),
                ("dropped", events.dropped, "dropped beyond the memory bound, by live processes")):
            yield GaugeMetricFamily(f"ivr_events_{name}", f"Call events {meaning}, summed over every process.",
                                    value=value)
        waiting = self.voicemails.get(self.recorder)
        yield GaugeMetricFamily("ivr_database_up", "1 when the database answered the last count of voice messages "
                                "(at most 30 s old), else 0.", value=0 if waiting is None else 1)
        if waiting is not None:
            yield GaugeMetricFamily("ivr_voice_messages_waiting", "Voice messages not yet called back (counted at "
                                    "most every 30 s).", value=waiting)
        self.menus.refresh(wait=True)
        state = self.menus.state()
        yield GaugeMetricFamily("ivr_menus_version", "The published menus version this worker serves (0: none "
                                "known, the folder alone).", value=state.version or 0)
        yield GaugeMetricFamily("ivr_menus_edit_rejected", "1 while an edit of the menus was rejected (callers keep "
                                "the last good menus), else 0.", value=1 if state.rejected_edit else 0)
        yield GaugeMetricFamily("ivr_menus_saved_copy", "1 while this worker serves the saved last good copy because "
                                "the folder does not load, else 0.", value=1 if state.saved_copy else 0)
