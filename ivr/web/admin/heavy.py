"""Heavy console work (a try-a-call, the figures) bounded, so staff can never take the threads callers need.

Each worker process runs at most HEAVY_PER_WORKER such requests at once, and each staff member at most one;
any other gets a 429 page in the console's layout asking to try again in a moment. Nothing waits for a turn:
a request that would wait answers at once instead, and the caller's threads stay free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import render_template
from flask.typing import ResponseReturnValue

from ivr.web.admin import me

# Two at once per worker: with gunicorn's 16 threads a worker, at least 14 are left for callers.
HEAVY_PER_WORKER = 2
# Seconds a refused staff member is asked to wait (the Retry-After header); a preview or a report takes about one.
RETRY_AFTER = 2

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
_slots = threading.BoundedSemaphore(HEAVY_PER_WORKER)
_running: set[str] = set()  # the staff members with heavy work running in this worker
_lock = threading.Lock()


def heavy(busy_words: str) -> Callable[[View], View]:
    """Run the view only when this staff member has no other heavy work running and the worker has a slot.

    `busy_words` is the console catalogue's key of the sentence shown when it does not run.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def bounded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            who = me().username
            with _lock:
                if who in _running:
                    return _busy(busy_words)
                if not _slots.acquire(blocking=False):
                    return _busy(busy_words)
                _running.add(who)
            try:
                return view(*args, **kwargs)
            finally:
                with _lock:
                    _running.discard(who)
                _slots.release()

        return bounded  # type: ignore[return-value]

    return decorate


def _busy(busy_words: str) -> ResponseReturnValue:
    """The 429 page: what is running, and to try again in a moment."""
    page = render_template("admin/busy.html", busy_words=busy_words, retry_after=RETRY_AFTER)
    return page, 429, {"Retry-After": str(RETRY_AFTER)}
