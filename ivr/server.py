"""`ivr serve`: the hotline under gunicorn, configured so that slow clients and worker restarts never stop callers."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ivr.redact import mask_number
from ivr.settings import export_metrics_folder
from ivr.web.security import LogThrottle
from ivr.worker import REQUEST_DEADLINE, WholeRequestWorker

__all__ = ["REQUEST_DEADLINE", "ProductionServer", "metrics_folder", "start_records_writer"]

# Threads per worker, each serving one whole request at a time: a slow or stalled client holds none of them
# (the worker's event loop gathers its request, and closes it after REQUEST_DEADLINE seconds).
THREADS = 16
# A worker silent this long is replaced; a step takes milliseconds, so this only catches a stuck worker.
WORKER_TIMEOUT = 30
GRACEFUL_TIMEOUT = 20
KEEPALIVE = 5
# Recycle workers now and then, jittered so they never restart together; each restart is harmless.
MAX_REQUESTS = 20_000
MAX_REQUESTS_JITTER = 2_000
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Anything that looks like a phone number (7 or more digits, maybe after a + or %2B) in a logged request line.
_NUMBER = re.compile(r"(?:\+|%2B)?\d{7,}", re.IGNORECASE)
# A request line longer than this is cut in the access log (a hostile URL may be 4 KB).
LOGGED_REQUEST_LINE = 400


class MaskingLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with caller numbers masked in the access log, as in the call log, and the webhook
    requests refused for want of a signature logged at most once a second (a flood of them costs a line a
    second, with a count of those left out, not a line each)."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self._refusals = LogThrottle()

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Write the access-log line of a request; refused webhook requests are thinned out."""
        if getattr(resp, "status_code", None) == 403 and str(environ.get("PATH_INFO", "")).startswith("/voice"):
            held = self._refusals.allow("refused webhook")
            if held is None:
                return
            if held:
                self.access_log.info("%d more refused webhook requests (403) since the last such line.", held)
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """Return gunicorn's access-log fields with every phone number in the request line masked."""
        fields: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        if isinstance(fields.get("r"), str):  # the request line, the only part of the request ACCESS_LOG_FORMAT shows
            line = _NUMBER.sub(lambda m: mask_number(m.group(0).replace("%2B", "+")), fields["r"])
            fields["r"] = line if len(line) <= LOGGED_REQUEST_LINE else line[:LOGGED_REQUEST_LINE] + "…"
        return fields


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn serving an app factory in each worker, with the project's settings instead of a config file."""

    def __init__(self, make_app: Callable[[], Flask], bind: str, workers: int, threads: int = THREADS,
                 after_fork: Callable[[], None] | None = None, metrics_dir: Path | None = None) -> None:
        self.make_app = make_app
        self.options = {
            "bind": bind,
            "workers": workers,
            "worker_class": WholeRequestWorker,
            "threads": threads,
            "timeout": WORKER_TIMEOUT,
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "keepalive": KEEPALIVE,
            "max_requests": MAX_REQUESTS,
            "max_requests_jitter": MAX_REQUESTS_JITTER,
            "accesslog": "-",
            "errorlog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": MaskingLogger,
            "loglevel": "info",
            "proc_name": "ivr-hotline",
            # gunicorn's control socket lives in the home folder, shared by every server of the user: not ours.
            "control_socket_disable": True,
        }
        if after_fork is not None:
            self.options["post_fork"] = lambda _arbiter, _worker: after_fork()
        if metrics_dir is not None:
            self.options["child_exit"] = lambda _arbiter, worker: _worker_ended(worker.pid, metrics_dir)
        super().__init__()

    def load_config(self) -> None:
        """Hand gunicorn the project's options."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app in each worker (no preloading: threads and database pools must not cross a fork)."""
        app = self.make_app()
        # What the worker built (libraries, menus, tables) lives as long as it does. Out of the cyclic
        # collector's sight, a full collection takes under a millisecond instead of some 70, a pause every
        # caller of the worker would wait through.
        gc.freeze()
        return app


def metrics_folder(instance_dir: Path, given: Path | None = None) -> Path:
    """Prepare prometheus-client's multiprocess folder (`metrics/` in the instance folder unless one is given) for
    a new server: emptied of the last run's files, and named in PROMETHEUS_MULTIPROC_DIR for every process
    started from here on (the workers and the records writer), before any of them imports prometheus-client."""
    folder = given or instance_dir / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):  # the last run's counts: a new server starts from zero, as Prometheus expects
        old.unlink(missing_ok=True)
    export_metrics_folder(folder)
    return folder


def _worker_ended(pid: int, metrics_dir: Path) -> None:
    """gunicorn's child_exit hook: let prometheus-client forget the live gauges of a worker that ended."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(metrics_dir))  # type: ignore[no-untyped-call]


def start_records_writer() -> subprocess.Popen[bytes]:
    """Start `ivr db writer` beside the server: a process of its own, which ends when this one does."""
    return subprocess.Popen([sys.executable, "-m", "ivr", "db", "writer", "--parent", str(os.getpid())])
