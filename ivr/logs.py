"""The service's log: formatted and written by a thread of its own, so a request only hands its lines over.

Many request threads writing to one stream take turns on the handler's lock and the GIL; through a queue
each line costs a request a few microseconds, and the call log of one line per step stays affordable.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sys
from logging.handlers import QueueHandler, QueueListener

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_listener: tuple[int, QueueListener] | None = None


class _InProcessQueueHandler(QueueHandler):
    """Hands the record over as it is: the listener in this process formats it, not the request's thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """Return the record unformatted."""
        return record


def configure(level: int) -> None:
    """Send every log line through a queue to stderr; call again in a forked worker (threads do not survive)."""
    global _listener
    if _listener is not None and _listener[0] == os.getpid():
        logging.getLogger().setLevel(level)
        return
    # Not in any of the service's formats (gunicorn's use the process id, which stays): not worth a lookup a line.
    logging.logThreads = False
    logging.logMultiprocessing = False
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter(LOG_FORMAT))
    listener = QueueListener(lines, stream, respect_handler_level=False)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.addHandler(_InProcessQueueHandler(lines))
    root.setLevel(level)
    listener.start()
    atexit.register(listener.stop)
    _listener = (os.getpid(), listener)
