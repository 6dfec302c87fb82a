"""The service's log: formatted and written by a thread of its own, so a request only hands its lines over.

Many request threads writing to one stream take turns on the handler's lock and the GIL. Through a queue a
request only appends its record; the log thread takes what gathered a few times a second rather than being
woken for every line (each wake-up costs a request thread the GIL and a system call), so the call log of one
line per step stays affordable.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections import deque
from logging.handlers import QueueHandler

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# How long a line may wait for the log thread.
WRITE_EVERY_SECONDS = 0.05
_writer: tuple[int, _LogWriter] | None = None


class _Lines(deque[logging.LogRecord]):
    """Records waiting for the log thread: appending one wakes nobody."""

    def put_nowait(self, record: logging.LogRecord) -> None:
        """Add a record (QueueHandler's call)."""
        self.append(record)


class _BatchStream(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes many records with one write and one flush."""

    def emit_all(self, records: list[logging.LogRecord]) -> None:
        """Write the records, in order."""
        text = []
        for record in records:
            try:
                text.append(self.format(record) + self.terminator)
            except Exception:  # logging's own rule: a record that cannot be formatted is reported, not raised
                self.handleError(record)
        if text:
            with self.lock:  # type: ignore[union-attr]
                self.stream.write("".join(text))
                self.flush()


class _LogWriter(threading.Thread):
    """The log thread: every few hundredths of a second it writes the records that gathered, in order."""

    def __init__(self, lines: _Lines, handler: _BatchStream) -> None:
        super().__init__(name="ivr-log", daemon=True)
        self.lines = lines
        self.handler = handler
        self._stopping = threading.Event()

    def run(self) -> None:
        """Write what gathered until stopped, then what is left."""
        while not self._stopping.wait(WRITE_EVERY_SECONDS):
            self.write()
        self.write()

    def write(self) -> None:
        """Write every record waiting now."""
        records = []
        while self.lines:
            records.append(self.lines.popleft())
        self.handler.emit_all(records)

    def stop(self) -> None:
        """Write what is left and end the thread (at exit)."""
        self._stopping.set()
        self.join(timeout=5)


class _InProcessQueueHandler(QueueHandler):
    """Hands the record over as it is: the log thread formats it, not the request's thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """Return the record unformatted."""
        return record

    def handle(self, record: logging.LogRecord) -> bool:
        """Hand the record over without taking the handler's lock, which sixteen request threads would queue
        on for every line: appending to the deque needs no lock."""
        passed = self.filter(record)
        if passed:
            self.enqueue(record)
        return bool(passed)


def configure(level: int) -> None:
    """Send every log line through a queue to stderr; call again in a forked worker (threads do not survive)."""
    global _writer
    if _writer is not None and _writer[0] == os.getpid():
        logging.getLogger().setLevel(level)
        return
    # Not in any of the service's formats (gunicorn's use the process id, which stays): not worth a lookup a line.
    # The logging HOWTO's own knobs ("Optimization"); _srcfile = None skips finding the calling file and line.
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    lines = _Lines()
    stream = _BatchStream(sys.stderr)
    stream.setFormatter(logging.Formatter(LOG_FORMAT))
    writer = _LogWriter(lines, stream)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.addHandler(_InProcessQueueHandler(lines))  # type: ignore[arg-type]
    root.setLevel(level)
    writer.start()
    atexit.register(writer.stop)
    _writer = (os.getpid(), writer)
