"""Slow and stalled clients against `ivr serve` itself: none of them ever holds a caller's thread."""

from __future__ import annotations

import contextlib
import selectors
import socket
import statistics
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.server import REQUEST_DEADLINE
from tests.served import ServedHotline

CALL = {"CallSid": "CA" + "5" * 32, "From": "+8613812345678", "To": "+864333622075"}
MARRIAGE = "+864333623441"
STALLED_BODY = b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" \
               b"Content-Length: 1000\r\n\r\n" + b"CallSid=CA"
STALLED_HEAD = b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: "
# The loop that closes expired requests looks at them at least once a second: a little slack on top.
CLOSE_SLACK = 1.5


@pytest.fixture
def served(menus: Path, tmp_path: Path) -> Iterator[ServedHotline]:
    server = ServedHotline(menus, tmp_path / "instance")
    server.wait_ready()
    yield server
    server.stop()


@dataclass
class Stalled:
    """A connection that sent part of a request and then went quiet (or trickles a byte a second)."""

    sock: socket.socket
    opened: float
    trickle: bool
    closed: float | None = None
    answer: bytes = b""


@dataclass
class Attack:
    """Many stalled connections watched from one thread, noting when and how the server closes each."""

    port: int
    connections: list[Stalled] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def open(self, payload: bytes, count: int, trickle: bool = False) -> None:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", self.port))
            sock.sendall(payload)
            self.connections.append(Stalled(sock, time.monotonic(), trickle))

    def watch(self, seconds: float) -> None:
        """Read what the server sends each connection until it closes it, trickling where asked."""
        selector = selectors.DefaultSelector()
        for connection in self.connections:
            connection.sock.setblocking(False)
            selector.register(connection.sock, selectors.EVENT_READ, connection)
        deadline = time.monotonic() + seconds
        next_trickle = time.monotonic() + 1
        while selector.get_map() and time.monotonic() < deadline and not self.stop.is_set():
            for key, _ in selector.select(timeout=0.05):
                connection = key.data
                try:
                    data = connection.sock.recv(4096)
                except ConnectionResetError:
                    data = b""
                connection.answer += data
                if not data:
                    connection.closed = time.monotonic()
                    selector.unregister(connection.sock)
            if time.monotonic() >= next_trickle:
                next_trickle += 1
                for connection in self.connections:
                    if connection.trickle and connection.closed is None:
                        with contextlib.suppress(OSError):
                            connection.sock.send(b"a")
        selector.close()

    def close(self) -> None:
        self.stop.set()
        for connection in self.connections:
            connection.sock.close()


def signed_step(server: ServedHotline) -> float:
    """One signed caller step (key 2 at the main menu): assert its TwiML and return how long it took."""
    started = time.monotonic()
    status, body = server.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"}, timeout=15)
    took = time.monotonic() - started
    assert status == 200, body
    assert ET.fromstring(body).findtext("Dial/Number") == MARRIAGE
    return took


def test_forty_stalled_bodies_and_forty_stalled_headers_never_delay_a_caller(served: ServedHotline) -> None:
    attack = Attack(served.port)
    attack.open(STALLED_BODY, 40)
    attack.open(STALLED_HEAD, 20)
    attack.open(STALLED_HEAD, 20, trickle=True)  # a byte a second: each byte must not buy more time
    watcher = threading.Thread(target=attack.watch, args=(REQUEST_DEADLINE + 10,), daemon=True)
    watcher.start()
    latencies: list[float] = []
    try:
        until = time.monotonic() + REQUEST_DEADLINE + 3
        while time.monotonic() < until:
            latencies.append(signed_step(served))
            time.sleep(0.1)
        watcher.join(timeout=REQUEST_DEADLINE + 10)
    finally:
        attack.close()
    print(f"\n{len(latencies)} steps beside 80 stalled connections: "
          f"median {statistics.median(latencies) * 1000:.1f} ms, slowest {max(latencies) * 1000:.1f} ms")
    assert len(latencies) >= 20
    assert max(latencies) < 2, f"the slowest step took {max(latencies):.2f} s"

    for connection in attack.connections:
        assert connection.closed is not None, "a stalled connection was never closed"
        held = connection.closed - connection.opened
        assert REQUEST_DEADLINE - 0.5 < held < REQUEST_DEADLINE + CLOSE_SLACK, f"closed after {held:.2f} s"
        assert connection.answer.startswith(b"HTTP/1.1 408 "), connection.answer[:80]
    log = served.output()
    assert "did not send a whole request within" in log
    assert log.count("did not send a whole request within") <= 3  # summed up, not one line each


def test_a_request_sent_in_pieces_within_the_deadline_is_answered(served: ServedHotline) -> None:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from tests.conftest import TOKEN

    path = "/voice/step?node=menu%3Amain&lang=zh"
    form = {**CALL, "Digits": "2"}
    body = urlencode(form).encode()
    signature = RequestValidator(TOKEN).compute_signature(served.base + path, form)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nX-Twilio-Signature: {signature}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        for piece in (head[:20], head[20:], body[:30], body[30:]):
            sock.sendall(piece)
            time.sleep(0.5)
        answer = b""
        while b"</Response>" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert MARRIAGE.encode() in answer
        # The same connection is kept alive and serves a second request sent whole.
        sock.sendall(head + body)
        again = b""
        while b"</Response>" not in again:
            chunk = sock.recv(4096)
            assert chunk, again
            again += chunk
        assert again.startswith(b"HTTP/1.1 200 ")


def read_answers(sock: socket.socket, count: int) -> bytes:
    """Read until `count` TwiML documents (or the connection's end) arrived."""
    answer = b""
    while answer.count(b"</Response>") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def signed_request(server: ServedHotline, extra_headers: str = "") -> tuple[bytes, bytes]:
    """Return the head and body of a signed step (key 2 at the main menu) as raw HTTP/1.1."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from tests.conftest import TOKEN

    path = "/voice/step?node=menu%3Amain&lang=zh"
    form = {**CALL, "Digits": "2"}
    body = urlencode(form).encode()
    signature = RequestValidator(TOKEN).compute_signature(server.base + path, form)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-Twilio-Signature: {signature}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"{extra_headers}\r\n").encode()
    return head, body


def test_pipelined_requests_and_expect_continue_are_served(served: ServedHotline) -> None:
    head, body = signed_request(served)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall((head + body) * 2 + head + body[:5])  # two whole requests and the start of a third
        answer = read_answers(sock, 2)
        assert answer.count(b"HTTP/1.1 200 ") == 2
        assert answer.count(MARRIAGE.encode()) == 2
        sock.sendall(body[5:])  # the third completes on the same connection
        assert MARRIAGE.encode() in read_answers(sock, 1)

    head, body = signed_request(served, "Expect: 100-continue\r\n")
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")  # the client may now send the body
        sock.sendall(body)
        answer = read_answers(sock, 1)
        assert b"HTTP/1.1 200 " in answer and MARRIAGE.encode() in answer


@pytest.mark.parametrize(("head", "status"), [
    (b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", b"413"),
    (b"POST /voice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", b"411"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70_000, b"431"),
])
def test_requests_refused_from_their_head_are_answered_at_once(served: ServedHotline, head: bytes,
                                                               status: bytes) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(head)
        answer = read_answers(sock, 1)
        assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer[:80]
        assert time.monotonic() - started < 1
    assert served.get("/health")[0] == 200
    time.sleep(1.5)  # the worker's loop looks at its counts at least once a second
    assert "and refused 1 requests from their head (411, 413, 431)" in served.output()


def test_request_length_reads_the_framing_only() -> None:
    from ivr.worker import MAX_BODY_BYTES, Refused, request_length

    assert request_length(b"GET / HTTP/1.1\r\nHost: x\r\n") is None  # the head is not finished
    assert request_length(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 27
    assert request_length(b"POST / HTTP/1.1\r\ncOnTeNt-LeNgTh:  12 \r\n\r\nab") == 41 + 12
    # Two lengths, or one that is not a number: gunicorn answers 400 from the head, so no body is awaited.
    for head in (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\n",
                 b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        assert request_length(head + b"body") == len(head)
    # Where the loop looked already is not looked at again, but a head end split across two reads is found.
    split = b"GET / HTTP/1.1\r\nHost: x\r\n\r"
    assert request_length(split, 0) is None
    assert request_length(split + b"\n", len(split) - 3) == len(split) + 1
    assert request_length(b"GET / HTTP/1.1\r\n\r\n", 17) is None  # (the loop never starts past an end it saw)
    with pytest.raises(Refused) as refused:
        request_length(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1))
    assert refused.value.status == 413
    with pytest.raises(Refused) as refused:
        request_length(b"POST / HTTP/1.1\r\ntransfer-encoding : chunked\r\n\r\n")
    assert refused.value.status == 411
