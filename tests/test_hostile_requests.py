"""Hostile requests against the console, the health check and the webhooks: bad parameters get a 400 page in the
console's layout, a database outage a 503 page, nothing from a request or the provider reaches a page or a CSV
unescaped, /health tells the public only ok/degraded/down, and a flood of unsigned requests costs few log lines."""

from __future__ import annotations

import csv
import html
import http.client
import io
import logging
import math
import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.store.database import Store, upgrade_schema
from ivr.store.report import report_csv
from tests.conftest import TOKEN, Editor, Provider, make_app
from tests.console import console_app, leave_message, log_in, settle
from tests.postgres import PostgresServer
from tests.provider_api import ACCOUNT_SID, provider_api
from tests.served import ServedHotline

BRAND = {"zh": "图们市民政和人社局热线 · 工作台", "ko": "도문시 민정·인력자원사회보장국 안내전화 · 관리대"}
BAD_URL_TITLE = {"zh": "网址有误", "ko": "주소가 잘못되였습니다"}
STORE_DOWN = {"zh": "通话记录数据库现在连不上", "ko": "통화 기록 자료기지에 지금 련결되지 않아"}
CALL = {"CallSid": "CA" + "7" * 32, "From": "+8613812345678", "To": "+864333622075"}


@pytest.fixture(scope="module")
def app() -> Flask:
    return console_app()


@pytest.fixture(scope="module")
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in(client, "admin")
    return client


def console_get_paths(app: Flask) -> list[str]:
    """Every console page a GET reaches, its ids filled with 1."""
    return sorted({re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin") and "GET" in (rule.methods or ())
                   and rule.endpoint != "admin.login"})


# 1. Bad parameters: a 400 page in the console's layout, saying which parameter, what is wrong, what to write.

PARAMETER_WORDS = {"month": {"zh": "网址中的月份“", "ko": "주소의 달 \""},
                   "until": {"zh": "网址中的截止日期“", "ko": "주소의 마감 날짜 \""},
                   "since": {"zh": "网址中的起始日期“", "ko": "주소의 시작 날짜 \""},
                   "date": {"zh": "网址中的日期“", "ko": "주소의 날짜 \""},
                   "show": {"zh": "网址中的要看的版本“", "ko": "주소의 볼 판본 \""},
                   "voicemail_id": {"zh": "网址中的留言编号“", "ko": "주소의 메시지 번호 \""}}

@pytest.mark.parametrize("lang", ["zh", "ko"])
@pytest.mark.parametrize(("url", "parameter", "what"), [
    ("/admin/calendar?month=9999-12", "month",
     {"zh": "请写 2000-01 到 2099-12 之间的月份", "ko": "2000-01부터 2099-12 사이의 달"}),
    ("/admin/figures?since=0001-01-01&until=9999-12-31", "until",
     {"zh": "请写 2000-01-01 到 2099-12-31 之间的日期", "ko": "2000-01-01부터 2099-12-31 사이의 날짜"}),
    ("/admin/figures.csv?since=0001-01-01&until=9999-12-31", "until",
     {"zh": "格式为 年-月-日", "ko": "년-월-일 형식으로"}),
    ("/admin/messages?since=0001-01-01&until=9999-12-31", "since",
     {"zh": "请写 2000-01-01 到 2099-12-31 之间的日期", "ko": "2000-01-01부터 2099-12-31 사이의 날짜"}),
    ("/admin/try?date=0001-01-01", "date", {"zh": "之间的日期", "ko": "사이의 날짜"}),
    ("/admin/versions?show=99999999999999999999", "show",
     {"zh": "请写 1 到 2147483647 之间的整数", "ko": "1부터 2147483647 사이의 옹근수"}),
    ("/admin/messages/99999999999999999999/recording", "voicemail_id",
     {"zh": "请写 1 到 2147483647 之间的整数", "ko": "1부터 2147483647 사이의 옹근수"}),
])
def test_a_bad_parameter_gets_a_400_page_in_the_consoles_layout(
        admin: FlaskClient, url: str, parameter: str, what: dict[str, str], lang: str,
        caplog: pytest.LogCaptureFixture) -> None:
    admin.get(f"/admin/?lang={lang}")
    with caplog.at_level(logging.INFO):
        response = admin.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert response.mimetype == "text/html"
    assert f"<title>{BAD_URL_TITLE[lang]} · {BRAND[lang]}</title>" in page
    assert '<nav aria-label=' in page  # the console's own navigation, for the way back
    problem = re.search(r'<p class="error" role="alert" id="problem">([^<]*)</p>', page)
    assert problem is not None, page
    # The parameter is named in words (the console's pages carry no English), the value as typed.
    said = html.unescape(problem.group(1))
    assert PARAMETER_WORDS[parameter][lang] in said and what[lang] in said
    assert "Traceback" not in page and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("url", ["/admin/calendar?month=2026-13", "/admin/calendar?unit=nowhere",
                                 "/admin/try?date=2026-11-26&time=25:61", "/admin/messages?until=26-11-2026",
                                 "/admin/versions?show=-1", "/admin/figures?since=2026-02-30",
                                 "/admin/versions?show=1e3", "/admin/versions?show=%EF%BC%91",
                                 "/admin/calendar?month=<script>alert(1)</script>",
                                 "/admin/messages?since=\"><img src=x onerror=alert(1)>"])
def test_other_malformed_values_are_refused_too_and_good_ones_still_work(admin: FlaskClient, url: str) -> None:
    admin.get("/admin/?lang=zh")
    refused = admin.get(url)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "<script>alert" not in page and "<img" not in page
    assert "网址有误" in page
    assert admin.get("/admin/calendar?month=2099-12").status_code == 200
    assert admin.get("/admin/figures?since=2000-01-01&until=2099-12-31").status_code == 200


# 2. The records database away: a 503 page that says so, on every console page.

def test_every_console_page_says_503_in_its_layout_while_postgresql_is_down(
        private_postgres: PostgresServer) -> None:
    url = private_postgres.new_database()
    upgrade_schema(Store.from_url(url).engine)
    app = console_app(DATABASE_URL=url)
    client = app.test_client()
    log_in(client, "admin")
    paths = console_get_paths(app)
    assert len(paths) >= 12 and "/admin/figures.csv" in paths and "/admin/versions" in paths
    assert client.get("/admin/figures").status_code == 200
    private_postgres.stop()
    try:
        for lang in ("zh", "ko"):
            client.get(f"/admin/?lang={lang}")
            for path in paths:
                started = time.monotonic()
                response = client.get(path)
                page = response.get_data(as_text=True)
                assert response.status_code == 503, (path, page[:300])
                assert response.headers["Retry-After"] == "30"
                assert STORE_DOWN[lang] in page and BRAND[lang] in page, path
                assert "IVR_DATABASE_URL" in page and "Traceback" not in page
                assert time.monotonic() - started < 5, path
        login = app.test_client()
        form = login.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        refused = login.post("/admin/login", data={"csrf_token": token.group(1), "username": "admin",
                                                   "password": "admin password 1"})
        # The login cannot be checked either: its own form says so (no password is checked unsaid).
        assert refused.status_code == 503 and "数据库没有响应" in refused.get_data(as_text=True)
    finally:
        private_postgres.start()
    assert client.get("/admin/figures").status_code == 200  # back by itself, still logged in


# 3. Nothing from the provider reaches a page unescaped; an address with a space is a 4xx, not a 500.

def leave_signed_message(app: Flask, recording_url: str) -> None:
    provider = Provider(app.test_client())
    answered = provider.post("/voice/recording?unit=marriage_registry",
                             {**CALL, "RecordingSid": "RE" + "1" * 32, "RecordingUrl": recording_url,
                              "RecordingStatus": "completed", "RecordingDuration": "12"})
    assert answered.status_code == 200
    settle(app)


@pytest.mark.parametrize(("address", "status"), [
    ("https://api.twilio.com/2010-04-01/Recordings/<script>alert(1)</script>", 404),
    ("https://api.twilio.com/2010-04-01/Recordings/RE1 2", 404),
    ("https://evil.example/\"><script>alert(1)</script>", 404),
    ("https://evil.example/recording", 502),
])
def test_a_recording_address_from_the_provider_is_escaped_or_refused(address: str, status: int) -> None:
    with provider_api(TOKEN) as api:
        app = console_app(PROVIDER_API_URL=api.base_url, TWILIO_ACCOUNT_SID=ACCOUNT_SID)
        leave_signed_message(app, address)
        client = app.test_client()
        log_in(client, "viewer")
        response = client.get("/admin/messages/1/recording")
        page = response.get_data(as_text=True)
        assert response.status_code == status, page
        assert api.requests == []  # never requested
    assert "<script>" not in page and "<script" not in page.split("</head>")[1]
    if "<script>" in address:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown to staff as the text it is
    assert BRAND["zh"] in page and "录音取不到" in page
    assert "script-src 'nonce-" in response.headers["Content-Security-Policy"]


# 4. A CSV cell a spreadsheet would run as a formula is written as text.

def test_csv_cells_that_start_like_a_formula_get_a_leading_quote() -> None:
    hostile = {"=cmd|' /C calc'!A0": 1, "+1+1": 2, "-2+3": 3, "@SUM(A1)": 4, "\t=x": 5, "\r=y": 6, "menu:main": 7}
    report = {"calls": 7, "out_of_hours": {"share": 0.5, "calls": 3}, "messages_waiting": {"total": 0},
              "goodbyes_after_retries": 0, "calls_per_day": {}, "calls_per_hour": {}, "hang_ups": hostile,
              "menu_choices": {"=cmd": {"=1+2": 4}}, "forwarding": {}}
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert [row[1] for row in rows if row[0] == "hang_ups"] == [
        "'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1)", "'\t=x", "'\r=y", "menu:main"]
    assert ["menu_choices", "'=cmd", "'=1+2", "4"] in rows
    assert ["out_of_hours", "", "share", "0.5"] in rows  # numbers stay numbers


# 5. A next= with CR/LF after a right password goes to the console's start.

@pytest.mark.parametrize("target", ["/admin/figures\r\nSet-Cookie: planted=1", "/admin/\nLocation: //evil.example",
                                    "/admin/messages\x00", "/admin/\u2028x"])
def test_a_next_with_control_characters_goes_to_the_start_after_the_login(app: Flask, target: str) -> None:
    client = app.test_client()
    form = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post("/admin/login", query_string={"next": target},
                           data={"csrf_token": token.group(1), "username": "editor", "password": "editor password 2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "planted" not in str(response.headers)


def test_called_back_with_control_characters_in_back_returns_to_the_list(app: Flask) -> None:
    with provider_api(TOKEN) as api:
        leave_message(app, api.recording_url(""))
    editor = app.test_client()
    log_in(editor, "editor")
    page = editor.get("/admin/messages").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    marked = editor.post("/admin/messages/1/called-back",
                         data={"csrf_token": token.group(1), "back": "/admin/messages?x=1\r\nSet-Cookie: planted=1"})
    assert marked.status_code == 302 and marked.headers["Location"] == "/admin/messages?marked=1"


# 6. /health tells the public only the status; the details need the token (or this machine).

def test_health_shows_anyone_only_the_status_and_the_details_to_the_token(town_menus: Path, town_edit: Editor,
                                                                         tmp_path: Path) -> None:
    menus = town_menus
    app = make_app(menus, HEALTH_TOKEN="s3cret-health-token")
    client = app.test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    town_edit("units.yaml", "phone: 0433-3600003", "phone: 0433-360000")
    public = client.get("/health")
    assert public.status_code == 200 and public.get_json() == {"status": "degraded"}
    assert str(menus) not in public.get_data(as_text=True)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-health-token"}):
        refused = client.get("/health/details", headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert str(menus) not in refused.get_data(as_text=True)
    details = client.get("/health/details", headers={"Authorization": "Bearer s3cret-health-token"}).get_json()
    assert details["status"] == "degraded" and details["database"] == "ok"
    assert "'0433-360000' is not a valid Chinese phone number" in details["menus"]["rejected_edit"]


def test_without_a_health_token_only_this_machine_unproxied_sees_the_details(town_app: Flask) -> None:
    client = town_app.test_client()
    assert client.get("/health/details").get_json()["menus"]["units"] == 4  # 127.0.0.1, as the test client
    assert client.get("/health/details", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 401
    assert client.get("/health/details", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 401
    assert client.get("/health", environ_base={"REMOTE_ADDR": "203.0.113.5"}).get_json() == {"status": "ok"}


def test_health_says_down_with_503_when_the_check_itself_fails(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("the instance folder vanished")

    monkeypatch.setattr(app.extensions["ivr.menus"], "state", broken)
    response = app.test_client().get("/health")
    assert (response.status_code, response.get_json()) == (503, {"status": "down"})


# 7. A flood of unsigned requests writes a bounded log.

def test_a_flood_of_unsigned_requests_writes_a_line_a_second_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    client = make_app().test_client()
    flood = 5000
    with caplog.at_level(logging.INFO, logger="ivr"):
        started = time.monotonic()
        for n in range(flood):
            headers = {"X-Twilio-Signature": "forged"} if n % 2 else {}
            assert client.post("/voice", data={**CALL, "Digits": "1" * 500}, headers=headers).status_code == 403
        elapsed = time.monotonic() - started
        time.sleep(1.1)
        for headers in ({}, {"X-Twilio-Signature": "forged"}):  # a second later: a line each, with the count
            assert client.post("/voice", data=CALL, headers=headers).status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused an")]
    most = 2 * (math.ceil(elapsed) + 2)
    assert 4 <= len(lines) <= most, (len(lines), elapsed)
    assert sum(len(line.encode()) for line in lines) <= most * 200
    assert len(caplog.text.encode()) < most * 400  # nothing else was logged per request
    held = sum(int(m.group(1)) for line in lines for m in [re.search(r"; (\d+) more ", line)] if m)
    assert held + len(lines) == flood + 2  # every refusal is a line or counted in one
    assert {line.split(" request")[0] for line in lines} == {"Refused an unsigned", "Refused an wrongly signed"}


def test_a_flood_of_unsigned_requests_to_ivr_serve_writes_a_bounded_log(menus: Path, tmp_path: Path) -> None:
    served = ServedHotline(menus, tmp_path / "instance", workers=1)
    try:
        served.wait_ready()
        before = len(served.output().encode())
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        path = "/voice/step?node=menu%3Amain&lang=zh&junk=" + "x" * 2000  # a long request line, each time
        flood, started = 3000, time.monotonic()
        for _ in range(flood):
            connection.request("POST", path, body=b"CallSid=CA1&Digits=1",
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": "forged"})
            response = connection.getresponse()
            response.read()
            assert response.status == 403
        elapsed = time.monotonic() - started
        connection.close()
        time.sleep(1.2)
        assert served.request("POST", path, b"CallSid=CA1", {"X-Twilio-Signature": "forged"})[0] == 403
        time.sleep(0.5)
        written = served.output().encode()[before:].decode()
    finally:
        served.stop()
    most = math.ceil(elapsed) + 3  # lines of each kind: one a second, and the last one
    access = [line for line in written.splitlines() if '" 403 ' in line]
    app_lines = [line for line in written.splitlines() if "Refused an wrongly signed request" in line]
    assert 2 <= len(access) <= most and 2 <= len(app_lines) <= most, (elapsed, len(access), len(app_lines))
    assert len(written.encode()) <= most * 2 * 1000, len(written.encode())  # 3000 lines of 2 KB before
    held_access = sum(int(n) for n in re.findall(r"(\d+) more refused webhook requests \(403\)", written))
    held_app = sum(int(n) for n in re.findall(r"; (\d+) more wrongly signed requests", written))
    assert held_access + len(access) == flood + 1 and held_app + len(app_lines) == flood + 1
    assert all(len(line) < 700 for line in access)  # the request line is cut


# 8. A Content-Security-Policy on every console page, which the pages' own scripts and styles satisfy.

def test_every_console_page_has_a_strict_content_security_policy(app: Flask, admin: FlaskClient) -> None:
    admin.get("/admin/?lang=zh")
    checked = 0
    for path in console_get_paths(app):
        response = admin.get(path)
        if response.status_code in (302, 404):
            continue
        policy = response.headers["Content-Security-Policy"]
        nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'", policy)
        assert nonce is not None, (path, policy)
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", page):
                assert f'nonce="{nonce.group(1)}"' in tag, (path, tag)
            assert not re.search(r"\sstyle=|\son[a-z]+=", page), path  # no inline styles or handlers
        checked += 1
    assert checked >= 10
    other = admin.get("/admin/").headers["Content-Security-Policy"]
    assert other != admin.get("/admin/").headers["Content-Security-Policy"]  # a fresh nonce for every page
