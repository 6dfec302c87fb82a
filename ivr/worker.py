"""The gunicorn worker of `ivr serve`: a request reaches a thread only once it has arrived whole.

gunicorn's threaded worker gives a connection to a thread as soon as its first byte arrives, and the thread
then waits on the socket for the rest of the headers and the body: forty clients that send part of a request
and go quiet hold every thread, and callers wait. Here the worker's event loop (one thread, non-blocking
sockets) gathers each request until its head and the body its Content-Length announces are in, within
REQUEST_DEADLINE seconds of its first byte (of the connection, for a new one); only then does a thread parse
it, from memory, and run the app. A request that misses the deadline is answered 408 and closed.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import struct
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import ThreadWorker

# Seconds a request may take to arrive whole, headers and body. The provider and a proxy in front send a
# webhook's few hundred bytes at once; only a slow or hostile client needs more.
REQUEST_DEADLINE = 5.0
# A head longer than this without its blank line is refused (431); gunicorn's own limits are stricter per line.
MAX_HEAD_BYTES = 64 * 1024
# A body larger than this is refused (413): webhooks and the console's largest form (a menus file in the raw
# editor) are tens of kilobytes. The proxy's client_max_body_size says the same.
MAX_BODY_BYTES = 1024 * 1024
# At most one log line a worker per this many seconds about requests closed at the deadline.
REPORT_EVERY = 10.0
# A response the client does not read for this long is abandoned (SO_SNDTIMEO): no thread waits on a reader.
SEND_TIMEOUT = 10
_SEND_TIMEOUT = struct.pack("ll", SEND_TIMEOUT, 0)  # the struct timeval that SO_SNDTIMEO takes

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]{1,18})[ \t]*(?=\r\n)", re.IGNORECASE)
_TRANSFER_ENCODING = re.compile(rb"\r\ntransfer-encoding[ \t]*:", re.IGNORECASE)
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)
_REASONS = {408: b"Request Timeout", 411: b"Length Required", 413: b"Content Too Large",
            431: b"Request Header Fields Too Large"}


class Refused(Exception):
    """A request refused from its head alone, with the HTTP status to answer."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def request_length(received: bytes | bytearray, start: int = 0) -> int | None:
    """Return how many bytes the request at the start of `received` takes, or None while its head is unfinished.

    `start` is where to look for the head's end (the bytes before it were looked at already: a head trickled a
    byte at a time costs the loop one pass over it, not one per byte). Only the framing is read here; gunicorn's
    parser checks everything else afterwards. Should the two ever disagree, the thread's parser meets the end of
    the bytes received, never a socket to wait on.
    """
    end = received.find(_HEAD_END, start)
    if end < 0:
        if len(received) > MAX_HEAD_BYTES:
            raise Refused(431)
        return None
    head = bytes(received[:end + 2])  # up to the last header line's CRLF
    if _TRANSFER_ENCODING.search(head):
        raise Refused(411)  # chunked bodies have no length to wait for; the proxy sends Content-Length
    lengths = _CONTENT_LENGTH.findall(head)
    body = int(lengths[0]) if len(lengths) == 1 else 0  # several: gunicorn answers 400 from the head alone
    if body > MAX_BODY_BYTES:
        raise Refused(413)
    return end + len(_HEAD_END) + body


def refusal(status: int) -> bytes:
    """Return a whole, empty HTTP response with this status that closes the connection."""
    return b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" % (status, _REASONS[status])


class ReceivedBytes(Unreader):  # type: ignore[misc]
    """gunicorn's parser input made of the bytes the event loop received: reading past them finds the end."""

    def chunk(self, size_hint: int | None = None) -> bytes:
        """Return nothing more: a request reaches a thread whole, so its thread never reads the socket."""
        return b""

    def feed(self, data: bytes) -> None:
        """Append a request the event loop gathered."""
        self.buf.seek(0, 2)
        self.buf.write(data)


class WholeRequestWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, with each request gathered by the event loop before a thread takes it."""

    deadline = REQUEST_DEADLINE

    def init_process(self) -> None:
        """Prepare the queue of requests still arriving, then start gunicorn's loop."""
        # (deadline, connection) in the order they were started, hence of deadline; an entry whose connection
        # has since been handed over or closed is skipped when it comes up.
        self.arriving: deque[tuple[float, Any]] = deque()
        self.timed_out = 0  # requests closed at the deadline, and refused from their head, since the last report
        self.refused = 0
        self.reported = 0.0
        super().init_process()

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Refuse TLS and HTTP/2 here: the proxy in front terminates them, and this worker reads plain HTTP/1."""
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.http2_cleartext != "off":
            raise RuntimeError("ivr serve reads plain HTTP/1.1; let the proxy in front terminate TLS and HTTP/2.")

    def enqueue_req(self, conn: Any) -> None:
        """Start gathering the connection's next request (new, kept alive, or read ahead) in the event loop."""
        leftover = b""
        if conn.parser is not None:
            leftover = conn.parser.unreader.take_buffered()
        conn.sock.setblocking(False)
        conn.received = bytearray(leftover)
        conn.length = None  # the whole request's length, once its head is in
        conn.scanned = 0  # how far the head's end was looked for
        conn.arrive_by = time.monotonic() + self.deadline
        conn.watched = False
        if not conn.initialized:
            # Once per connection: a response its client does not read is abandoned rather than waited on.
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _SEND_TIMEOUT)
        self.gather(conn)

    def gather(self, conn: Any) -> None:
        """Read what has arrived; hand the request to a thread when whole, else wait for more in the loop."""
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data == b"":
            self.drop(conn)  # the client went away
            return
        received = conn.received
        if conn.length is None:
            if data:
                received += data
            try:
                conn.length = request_length(received, conn.scanned)
            except Refused as refused:
                self.answer_and_drop(conn, refused.status)
                return
            conn.scanned = max(0, len(received) - len(_HEAD_END) + 1)
            if (conn.length is not None and len(received) < conn.length
                    and _EXPECT_CONTINUE.search(received, 0, received.find(_HEAD_END) + 2)):
                self.send_quietly(conn, b"HTTP/1.1 100 Continue\r\n\r\n")  # the client waits for it to send the body
        elif data:
            received += data
        if conn.length is not None and len(received) >= conn.length:
            if conn.watched:
                self.poller.unregister(conn.sock)
                conn.watched = False
            conn.whole = received
            conn.received = None
            super().enqueue_req(conn)
            return
        if not conn.watched:
            conn.watched = True
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_arriving, conn))
            self.arriving.append((conn.arrive_by, conn))

    def on_arriving(self, conn: Any, _sock: Any) -> None:
        """More of a request has arrived (the poller's callback)."""
        self.gather(conn)

    def handle(self, conn: Any) -> Any:
        """Parse and serve a whole request in a thread, from the bytes the event loop gathered."""
        if not conn.initialized:
            conn.init()
            conn.parser.unreader = ReceivedBytes()
        conn.parser.unreader.feed(conn.whole)
        conn.whole = None
        conn.data_ready = True
        return super().handle(conn)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Wait no later than the first deadline, then close every request that missed its own."""
        if self.arriving:
            timeout = max(0.0, min(timeout, self.arriving[0][0] - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        now = time.monotonic()
        while self.arriving and self.arriving[0][0] <= now:
            arrive_by, conn = self.arriving.popleft()
            if conn.received is None or conn.arrive_by != arrive_by or not conn.watched:
                continue  # handed over or closed since; or a later request on the same connection
            if conn.received:
                self.send_quietly(conn, refusal(408))
            self.drop(conn)
            self.timed_out += 1
        if (self.timed_out or self.refused) and now - self.reported >= REPORT_EVERY:
            self.log.warning("closed %d connections that did not send a whole request within %.0f s (slow or "
                             "stalled clients; a buffering proxy in front absorbs them) and refused %d requests "
                             "from their head (411, 413, 431); at most one such line every %.0f s",
                             self.timed_out, self.deadline, self.refused, REPORT_EVERY)
            self.timed_out = self.refused = 0
            self.reported = now

    def answer_and_drop(self, conn: Any, status: int) -> None:
        """Refuse a request from its head and close the connection."""
        self.send_quietly(conn, refusal(status))
        self.drop(conn)
        self.refused += 1  # logged with the requests closed at the deadline, at a bounded rate

    @staticmethod
    def send_quietly(conn: Any, data: bytes) -> None:
        """Send a short answer if the socket takes it now; a client that cannot take it is not waited for."""
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def drop(self, conn: Any) -> None:
        """Close a connection whose request never reached a thread."""
        if conn.watched:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)
            conn.watched = False
        conn.received = None
        self.nr_conns -= 1
        conn.close()

