"""The production layout in deploy/: nginx's site file run for real in front of `ivr serve`, and the systemd unit."""

from __future__ import annotations

import configparser
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from ivr.paths import PROJECT_ROOT
from tests.conftest import TOKEN
from tests.served import IVR as IVR_COMMAND
from tests.served import ServedHotline, free_port

DEPLOY = PROJECT_ROOT / "deploy"
SITE = DEPLOY / "nginx-ivr-hotline.conf"
UNIT = DEPLOY / "ivr-hotline.service"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
OPENSSL = shutil.which("openssl")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
CALL = {"CallSid": "CA" + "6" * 32, "From": "+8613812345678", "To": "+864333622075", "Digits": "2"}
MARRIAGE = "+864333600003"  # key 2 of the small hotline (tests/fixtures/engine_menus/)
STEP = "/voice/step?node=menu%3Amain&lang=zh"

needs_nginx = pytest.mark.skipif(NGINX is None or OPENSSL is None,
                                 reason="no nginx (or openssl) binary here: `apt-get install nginx-light openssl`, "
                                        "as .ci/run does, to run deploy/'s site file for real")


@dataclass(frozen=True)
class Proxy:
    """nginx running deploy/'s site file on a private prefix, with TLS on a free port."""

    tls_port: int
    plain_port: int
    context: ssl.SSLContext
    log: Path


def site_for_test(tls_port: int, plain_port: int, upstream: int, folder: Path) -> str:
    """Return the shipped site file with its placeholders (ports, certificate paths) pointed at the test's."""
    text = SITE.read_text(encoding="utf-8")
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{plain_port};",
        "listen [::]:443 ssl;": "",
        "listen [::]:80;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/etc/letsencrypt/live/hotline.example.cn/fullchain.pem": str(folder / "cert.pem"),
        "/etc/letsencrypt/live/hotline.example.cn/privkey.pem": str(folder / "key.pem"),
    }
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{SITE.name} no longer has {placeholder!r}"
        text = text.replace(placeholder, value)
    return text


def main_config(folder: Path, site: Path) -> str:
    """A whole nginx.conf of the test's own (never the system's) that includes the site file as Debian does."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers write temp files in the test's folder
    temp = "\n".join(f"    {name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    return (f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\n"
            f"events {{ worker_connections 256; }}\nhttp {{\n    access_log {folder / 'access.log'};\n{temp}\n"
            f"    include {site};\n}}\n")


def self_signed(folder: Path) -> None:
    """Make a certificate for 127.0.0.1 with openssl."""
    subprocess.run([OPENSSL or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)


def start_nginx(folder: Path, upstream: int) -> tuple[subprocess.Popen[bytes], Proxy]:
    """Check the site file with `nginx -t`, then run nginx in the foreground on the test's prefix."""
    folder.mkdir(parents=True, exist_ok=True)
    self_signed(folder)
    tls_port, plain_port = free_port(), free_port()
    site = folder / "ivr-hotline.conf"
    site.write_text(site_for_test(tls_port, plain_port, upstream, folder), encoding="utf-8")
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site), encoding="utf-8")
    command = [NGINX or "nginx", "-p", str(folder), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
    context = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    return process, Proxy(tls_port, plain_port, context, folder / "error.log")


@pytest.fixture
def behind_nginx(town_menus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Proxy,
                                                                                               ServedHotline]]:
    monkeypatch.setenv("IVR_TRUST_PROXY", "1")  # as deploy/ivr.env.example sets it
    monkeypatch.setenv("IVR_METRICS_TOKEN", METRICS_TOKEN)  # as deploy/README.md says, for a scrape through nginx
    server = ServedHotline(town_menus, tmp_path / "instance")  # the engine's small hotline
    server.wait_ready()
    process, proxy = start_nginx(tmp_path / "nginx", server.port)
    yield proxy, server
    process.terminate()
    process.wait(timeout=10)
    server.stop()


METRICS_TOKEN = "deploy-metrics-token-91c2"


def over_tls(proxy: Proxy, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
             source: str = "127.0.0.1") -> tuple[int, bytes]:
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.tls_port, context=proxy.context, timeout=10,
                                             source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def login_form(proxy: Proxy, source: str) -> tuple[str, str]:
    """Open the login page; return its session cookie and CSRF token."""
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.tls_port, context=proxy.context, timeout=10,
                                             source_address=(source, 0))
    try:
        connection.request("GET", "/admin/login")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    finally:
        connection.close()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found and cookie, page
    return cookie, found.group(1)


def audited_addresses(server: ServedHotline) -> list[str]:
    """The addresses in the served instance's audit log."""
    engine = create_engine(f"sqlite:///{server.instance / 'ivr.sqlite3'}")
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(text("SELECT address FROM audit_log"))]
    engine.dispose()
    return found


@needs_nginx
def test_a_signed_step_through_nginx_gets_its_twiml(behind_nginx: tuple[Proxy, ServedHotline]) -> None:
    proxy, server = behind_nginx
    # The provider signs the public https URL it calls; nginx passes the scheme and host on.
    public = f"https://127.0.0.1:{proxy.tls_port}"
    signature = RequestValidator(TOKEN).compute_signature(public + STEP, CALL)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    status, body = over_tls(proxy, "POST", STEP, urlencode(CALL).encode(), headers)
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "Response"
    assert root.findtext("Dial/Number") == MARRIAGE

    # Signed for plain http (what ivr serve sees on its own socket), the same request is refused.
    wrong = RequestValidator(TOKEN).compute_signature(f"http://127.0.0.1:{server.port}" + STEP, CALL)
    assert over_tls(proxy, "POST", STEP, urlencode(CALL).encode(), {**headers, "X-Twilio-Signature": wrong})[0] == 403

    # Plain http is sent to https; the console is behind the proxy too.
    plain = http.client.HTTPConnection("127.0.0.1", proxy.plain_port, timeout=10)
    plain.request("GET", "/admin/")
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://127.0.0.1/admin/"
    plain.close()
    status, page = over_tls(proxy, "GET", "/admin/login")
    assert status == 200 and b'name="csrf_token"' in page

    # A failed login is kept with the staff member's address, which nginx passes on, not nginx's own.
    cookie, token = login_form(proxy, source="127.0.0.2")
    form = urlencode({"csrf_token": token, "username": "nobody", "password": "wrong password"}).encode()
    browser = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
               "Referer": f"https://127.0.0.1:{proxy.tls_port}/admin/login"}  # checked on https (Flask-WTF)
    status, _ = over_tls(proxy, "POST", "/admin/login", form, browser, "127.0.0.2")
    assert status in (200, 401)  # the login page again, saying the login failed
    assert audited_addresses(server) == ["127.0.0.2"]

    # /metrics only from this host's loopback address; another address (127.0.0.2 here) is refused by nginx,
    # even with the token; through nginx (a forwarded request) ivr serve asks for the token.
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert over_tls(proxy, "GET", "/metrics", headers=bearer, source="127.0.0.2")[0] == 403
    assert over_tls(proxy, "GET", "/metrics")[0] == 401
    status, body = over_tls(proxy, "GET", "/metrics", headers=bearer)
    assert status == 200 and b"\nivr_calls_total " in body and b"ivr_events_waiting" in body
    # A body over client_max_body_size never reaches ivr serve.
    assert over_tls(proxy, "POST", "/voice", b"x" * (1024 * 1024 + 1), headers)[0] == 413


@needs_nginx
def test_nginx_holds_a_stalled_body_so_ivr_serve_never_sees_it(behind_nginx: tuple[Proxy, ServedHotline]) -> None:
    proxy, server = behind_nginx
    raw = socket.create_connection(("127.0.0.1", proxy.tls_port), timeout=10)
    stalled = proxy.context.wrap_socket(raw, server_hostname="127.0.0.1")
    stalled.sendall(b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n" + b"CallSid=CA")
    started = time.monotonic()
    answer = stalled.recv(4096)  # nginx closes it after client_body_timeout (5 s), answering 408 or nothing
    held = time.monotonic() - started
    stalled.close()
    assert 4 < held < 8, f"nginx closed the stalled body after {held:.1f} s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    assert "POST /voice" not in server.output()  # never passed on


def test_the_systemd_unit_restarts_ivr_serve_as_its_own_user_behind_the_proxy() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert service["User"] == "ivr" and service["Group"] == "ivr"
    assert service["EnvironmentFile"] == "/etc/ivr/ivr.env"
    assert service["ExecStart"].split()[1:] == ["serve", "--host", "127.0.0.1", "--port", "8000", "--workers", "2"]
    assert service["ExecStart"].startswith("/srv/ivr/.venv/bin/ivr ")
    # nginx's upstream is the port the unit serves on, and the env file names what `ivr serve` reads.
    assert "server 127.0.0.1:8000;" in SITE.read_text(encoding="utf-8")
    example = (DEPLOY / "ivr.env.example").read_text(encoding="utf-8")
    for name in ("TWILIO_AUTH_TOKEN=", "IVR_SECRET_KEY=", "IVR_PUBLIC_URL=", "IVR_TRUST_PROXY=1"):
        assert name in example
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "CapabilityBoundingSet"):
        assert hardening in service, hardening
    assert service["ProtectSystem"] == "strict" and service["StateDirectory"] == "ivr"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="no systemd-analyze here (Debian's systemd package has it)")
def test_systemd_accepts_the_unit_and_rates_its_hardening(tmp_path: Path) -> None:
    # The unit as installed, but starting this checkout's `ivr` (systemd checks that the command exists).
    here = str(Path(IVR_COMMAND))
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/srv/ivr/.venv/bin/ivr", here), encoding="utf-8")
    verified = subprocess.run([SYSTEMD_ANALYZE or "", "verify", str(unit)], capture_output=True, text=True,
                              timeout=60)
    assert verified.returncode == 0, verified.stderr
    rated = subprocess.run([SYSTEMD_ANALYZE or "", "security", "--offline=true", str(unit)], capture_output=True,
                           text=True, timeout=60)
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", rated.stdout)
    assert exposure, rated.stdout[-500:]
    assert float(exposure.group(1)) < 4.0  # systemd's scale: 10 is an unprotected service, below 4 "OK"
