"""`ivr serve` started for real in a subprocess, and requests signed the way the provider signs them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from ivr.paths import PROJECT_ROOT
from tests.conftest import SECRET_KEY, TOKEN

IVR = str(Path(sys.executable).with_name("ivr"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServedHotline:
    """One `ivr serve` process tree on a free loopback port."""

    def __init__(self, menus: Path, instance: Path, workers: int = 2, at: str = "2026-11-26T10:00:00+08:00",
                 extra: tuple[str, ...] = (), unset: tuple[str, ...] = (), database_url: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        self.log = instance.parent / f"serve-{self.port}.log"
        env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_SECRET_KEY": SECRET_KEY, "IVR_FROZEN_TIME": at,
               "IVR_INSTANCE_DIR": str(instance), "IVR_MENUS_DIR": str(menus)}
        for name in ("IVR_DATABASE_URL", *unset):
            env.pop(name, None)
        if database_url:  # servers sharing one database; by default each has its instance folder's SQLite
            env["IVR_DATABASE_URL"] = database_url
        self.process = subprocess.Popen(
            [IVR, "serve", "--port", str(self.port), "--workers", str(workers), *extra], cwd=PROJECT_ROOT, env=env,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, seconds: float = 30) -> None:
        """Wait until a worker answers /health, or fail with the server's log."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ivr serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"ivr serve did not answer within {seconds} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                timeout: float = 10) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
        """POST a form signed with the auth token, as the provider does."""
        signature = RequestValidator(TOKEN).compute_signature(self.base + path, form)
        headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, urlencode(form).encode(), headers, timeout)

    def worker_pids(self) -> set[int]:
        """Return the pids of the master's gunicorn worker processes."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and not self._is_helper(stat.parent):
                pids.add(int(stat.parent.name))
        return pids

    @staticmethod
    def _is_helper(process: Path) -> bool:
        """Tell the records writer from gunicorn's workers."""
        try:
            return b"db\x00writer" in (process / "cmdline").read_bytes()
        except OSError:
            return True

    def wait_for_workers(self, count: int, other_than: set[int] = frozenset(), seconds: float = 30) -> set[int]:
        """Wait until the master runs `count` workers none of which is in other_than."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count and not pids & other_than:
                return pids
            time.sleep(0.1)
        raise AssertionError(f"workers did not come back: {self.worker_pids()}\n{self.output()}")

    def stop(self) -> int:
        """Stop the server as an operator would (SIGTERM), and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode
