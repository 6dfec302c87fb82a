"""The staff console over HTTP: every page needs a login, every form a CSRF token, and recordings stay inside the API.

These tests use Flask's test client against the real app, its SQLite records and a real local HTTP server
standing in for the provider's API.
"""

from __future__ import annotations

import html
import http.client
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ivr.cli import main
from ivr.core.model import Hotline
from ivr.core.speech import menu_seconds
from ivr.recordings import is_within
from ivr.store.staff import StaffStore
from ivr.web import ConfigError, create_app
from tests.conftest import BUNDLED_MENUS, TOKEN, Editor
from tests.console import PASSWORDS, console_app, csrf_token, leave_message, log_in, records, settle
from tests.provider_api import ACCOUNT_SID, RECORDINGS_PATH, provider_api


@pytest.fixture
def app() -> Flask:
    return console_app()


def admin_rules(app: Flask) -> list[tuple[str, str]]:
    """Every console URL with a method it answers, its parameters filled with a message id of 1."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and rule.endpoint != "admin.login":
            path = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
            found += [(method, path) for method in sorted(rule.methods or ()) if method in ("GET", "POST")]
    return found


def test_every_console_url_without_a_login_goes_to_the_login_page(app: Flask) -> None:
    rules = admin_rules(app)
    assert {path for _, path in rules} >= {"/admin/", "/admin/calendar", "/admin/menu", "/admin/try", "/admin/messages",
                                          "/admin/messages/1/recording", "/admin/messages/1/called-back",
                                          "/admin/figures", "/admin/figures.csv", "/admin/health", "/admin/audit",
                                          "/admin/staff", "/admin/staff/1/disable", "/admin/logout", "/admin/password",
                                          "/admin/staff/password", "/admin/staff/1/unlock"}
    client = app.test_client()
    for method, path in rules:
        response = client.open(path, method=method)
        if method == "GET":
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/admin/login"), (method, path)
        else:  # a form without a login is refused (401) and answered with the login form
            assert response.status_code == 401, (method, path)
            assert '<form class="login" method="post" action="/admin/login">' in response.get_data(as_text=True)
    redirected = client.get("/admin/messages?status=new").headers["Location"]
    assert redirected == "/admin/login?next=/admin/messages?status%3Dnew"


def test_a_post_without_the_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    refused = client.post("/admin/login", data={"username": "editor", "password": PASSWORDS["editor"]})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302  # not logged in
    log_in(client, "editor")
    with provider_api(TOKEN) as api:
        leave_message(app, api.recording_url(""))
    assert client.post("/admin/messages/1/called-back").status_code == 400
    assert client.post("/admin/messages/1/called-back", data={"csrf_token": "forged"}).status_code == 400
    assert records(app).voicemails()[0].status == "new"
    accepted = client.post("/admin/messages/1/called-back", data={"csrf_token": csrf_token(client, "/admin/messages")})
    assert accepted.status_code == 302
    assert records(app).voicemails()[0].status == "called back"


def test_the_provider_webhooks_need_no_csrf_token() -> None:
    from tests.conftest import Provider, twiml

    app = console_app()
    root = twiml(Provider(app.test_client()).post("/voice", {"CallSid": "CA" + "2" * 32, "From": "+8613812345678"}))
    assert root.find("Gather") is not None


def test_a_recording_outside_the_provider_api_is_never_fetched(tmp_path: Path) -> None:
    with provider_api(TOKEN) as elsewhere, provider_api(TOKEN) as api:
        app = console_app(PROVIDER_API_URL=api.base_url, TWILIO_ACCOUNT_SID=ACCOUNT_SID)
        leave_message(app, elsewhere.recording_url(""))
        client = app.test_client()
        log_in(client, "viewer")
        response = client.get("/admin/messages/1/recording")
        assert response.status_code == 502
        assert "is not under the provider's API" in html.unescape(response.get_data(as_text=True))
        assert elsewhere.requests == [] and api.requests == []

        # The same message through the command line: refused before any request.
        env = {"IVR_DATABASE_URL": app.extensions["ivr.settings"].database_url, "IVR_PROVIDER_API_URL": api.base_url,
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TOKEN}
        refused = CliRunner().invoke(main, ["voicemail", "fetch", "1", "-o", str(tmp_path / "m.wav")], env=env)
        assert refused.exit_code == 1 and "is not under the provider's API" in refused.output
        assert elsewhere.requests == [] and not (tmp_path / "m.wav").exists()


def test_a_recording_is_fetched_once_with_the_account_credentials_and_served_to_staff(tmp_path: Path) -> None:
    with provider_api(TOKEN) as api:
        app = console_app(PROVIDER_API_URL=api.base_url + "/", TWILIO_ACCOUNT_SID=ACCOUNT_SID)
        sid = leave_message(app, api.recording_url(""))
        client = app.test_client()
        log_in(client, "viewer")
        for _ in range(2):
            response = client.get("/admin/messages/1/recording")
            assert response.status_code == 200 and response.mimetype == "audio/wav"
            assert response.data == api.wav
        assert api.requests == [(RECORDINGS_PATH + sid + ".wav", True)]  # the local copy serves the second
        assert (Path(app.instance_path) / "recordings" / f"{sid}.wav").read_bytes() == api.wav

        env = {"IVR_DATABASE_URL": app.extensions["ivr.settings"].database_url, "IVR_PROVIDER_API_URL": api.base_url,
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TOKEN}
        saved = CliRunner().invoke(main, ["voicemail", "fetch", "1", "-o", str(tmp_path / "m.wav")], env=env)
        assert saved.exit_code == 0, saved.output
        assert saved.output == f"Voice message 1 (15 s) saved to {tmp_path / 'm.wav'}.\n"
        assert (tmp_path / "m.wav").read_bytes() == api.wav
        wrong = CliRunner().invoke(main, ["voicemail", "fetch", "1", "-o", str(tmp_path / "x.wav")],
                                   env={**env, "TWILIO_AUTH_TOKEN": "wrong"})
        assert wrong.exit_code == 1 and "The provider answered 401" in wrong.output


def test_only_urls_under_the_api_base_count_as_inside_it() -> None:
    base = "https://api.twilio.com"
    assert is_within("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", base)
    assert not is_within("http://api.twilio.com/2010-04-01/Recordings/RE1", base)
    assert not is_within("https://api.twilio.com.evil.example/2010-04-01/RE1", base)
    assert not is_within("https://user:pw@api.twilio.com/2010-04-01/RE1", base)
    assert not is_within("https://evil.example/https://api.twilio.com/RE1", base)
    assert is_within("http://127.0.0.1:8080/api/RE1", "http://127.0.0.1:8080/api")
    assert not is_within("http://127.0.0.1:8080/apix/RE1", "http://127.0.0.1:8080/api")
    assert not is_within("http://127.0.0.1:8080/api/../other/RE1", "http://127.0.0.1:8080/api")


def test_a_viewer_cannot_mark_a_message_but_an_editor_can_and_is_named(app: Flask) -> None:
    with provider_api(TOKEN) as api:
        leave_message(app, api.recording_url(""))
    viewer = app.test_client()
    log_in(viewer, "viewer")
    page = viewer.get("/admin/messages").get_data(as_text=True)
    assert "mark-1" not in page
    refused = viewer.post("/admin/messages/1/called-back", data={"csrf_token": csrf_token(viewer, "/admin/messages")})
    assert "这个页面要“编辑员”角色才能使用；您的角色是“查看员”。" in refused.get_data(as_text=True)
    assert records(app).voicemails()[0].status == "new"

    editor = app.test_client()
    log_in(editor, "editor")
    editor.post("/admin/messages/1/called-back", data={"csrf_token": csrf_token(editor, "/admin/messages")})
    [message] = records(app).voicemails()
    assert (message.status, message.called_back_by) == ("called back", "editor")
    assert message.called_back_at is not None and message.called_back_at.isoformat() == "2026-11-26T10:00:00+08:00"
    assert "editor 于 2026-11-26 10:00 回电" in editor.get("/admin/messages").get_data(as_text=True)


def test_logins_failures_and_changes_are_audited_and_failures_are_slowed(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": "editor",
                                                  "password": "not the password"})
        assert wrong.status_code == 401
        assert "用户名或密码不对。" in wrong.get_data(as_text=True)
    # The sixth try on that account is refused even with the right password; another account still logs in.
    slowed = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": "editor",
                                               "password": PASSWORDS["editor"]})
    assert slowed.status_code == 429
    log_in(client, "admin")
    entries = StaffStore(records(app)).audit_entries()
    assert [(e.actor, e.action) for e in entries][:7] == [("admin", "login")] + [("editor", "login_slowed")] + \
        [("editor", "login_failed")] * 5
    assert all(e.at.isoformat() == "2026-11-26T10:00:00+08:00" and e.address == "127.0.0.1" for e in entries[:7])
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "<td>登录失败</td>" in audit_page  # the action in words
    viewer = app.test_client()
    log_in(viewer, "viewer")
    assert viewer.get("/admin/audit").status_code == 403  # admins only


def test_session_cookies_are_http_only_same_site_secure_and_expire_when_idle(app: Flask) -> None:
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    client = app.test_client()
    response = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": "viewer",
                                                 "password": PASSWORDS["viewer"]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Expires=" in cookie
    development = console_app(DEVELOPMENT=True)
    assert development.config["SESSION_COOKIE_SECURE"] is False


def test_a_disabled_account_is_logged_out_at_its_next_request(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    assert client.get("/admin/").status_code == 200
    StaffStore(records(app)).disable("viewer")
    assert client.get("/admin/").status_code == 302
    refused = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": "viewer",
                                                "password": PASSWORDS["viewer"]})
    assert refused.status_code == 401


def test_after_login_only_console_paths_are_followed(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    form = {"csrf_token": token, "username": "viewer", "password": PASSWORDS["viewer"]}
    assert client.post("/admin/login?next=/admin/menu", data=form).headers["Location"] == "/admin/menu"
    client = app.test_client()
    form["csrf_token"] = csrf_token(client)
    assert client.post("/admin/login?next=//evil.example/", data=form).headers["Location"] == "/admin/"


def test_outside_development_the_service_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="IVR_SECRET_KEY is not set"):
        create_app({"TWILIO_AUTH_TOKEN": TOKEN, "MENUS_DIR": str(BUNDLED_MENUS)})


def test_the_now_page_honours_the_frozen_time_and_the_language_switch() -> None:
    app = console_app(FROZEN_TIME="2026-10-01T10:00:00+08:00")
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/").get_data(as_text=True)
    assert "今天是国庆节假期，各单位不办公。" in page
    assert 'id="unit-marriage_registry" data-open="no"' in page
    assert "10月8日星期四上午8点30分" in page
    korean = client.get("/admin/?lang=ko").get_data(as_text=True)
    assert '<html lang="ko">' in korean and "10월 8일 목요일 오전 8시 30분" in korean
    assert '<html lang="ko">' in client.get("/admin/menu").get_data(as_text=True)  # the choice is kept


def test_the_calendar_shows_holidays_and_make_up_days(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/calendar?unit=marriage_registry&month=2026-10").get_data(as_text=True)
    kinds = dict(re.findall(r'data-date="([\d-]+)" data-kind="(\w+)"', page))
    assert kinds["2026-10-01"] == kinds["2026-10-07"] == "holiday"
    assert kinds["2026-10-10"] == "makeup"  # Saturday, a make-up working day
    assert kinds["2026-10-09"] == "open" and kinds["2026-10-11"] == "weekend"
    assert len(kinds) == 31


def test_the_menu_page_shows_both_languages_recordings_and_speaking_times(app: Flask, hotline: Hotline) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/menu").get_data(as_text=True)
    assert "婚姻登记" in page and "혼인등기" in page and str(hotline.units["marriage_registry"].phone) in page
    main_menu = page[page.index('id="menu-main"'):].split("</section>")[0]
    seconds = dict(re.findall(r'data-lang="(\w\w)" data-seconds="([\d.]+)"', main_menu))
    for lang in ("zh", "ko"):  # the core's estimate of what a caller listens to at the main menu
        expected = menu_seconds(hotline.menus["main"], hotline.prompts, lang)
        assert float(seconds[lang]) == pytest.approx(expected, abs=0.05)
    assert float(seconds["zh"]) > 10
    assert 'src="/audio/zh/greeting.wav"' in page
    keys = re.findall(r'<th scope="row" class="keys">([^<]*)</th>', page)
    assert keys[:9] == [str(n) for n in range(1, 10)] and "11" in keys  # the keys a caller presses from the main menu
    assert "<h2" in page and ">1 · 社会救助 / " in page


def test_the_figures_page_and_csv_use_names(app: Flask) -> None:
    from ivr.simulator import CallSimulator, pressed_keys

    CallSimulator(app).call(pressed_keys("12"), dial_status="busy")
    settle(app)
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/figures?since=2026-11-01&until=2026-11-30").get_data(as_text=True)
    assert "图们市民政局婚姻登记处" in page and "主菜单 · 2 婚姻登记" in page
    assert "menu:main" not in page and "marriage_registry" not in page
    csv_text = client.get("/admin/figures.csv?since=2026-11-01&until=2026-11-30").get_data(as_text=True)
    assert "各单位来电,marriage_registry,图们市民政局婚姻登记处,占线,1" in csv_text.splitlines()


def test_the_health_page_uses_the_health_status(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/health").get_data(as_text=True)
    assert 'id="health-database">正常<' in page and 'id="health-events_waiting">0<' in page
    assert 'id="health-events_set_aside">0<' in page
    assert client.get("/health").get_json()["status"] == "ok"


def test_the_health_page_shows_a_rejected_edit_with_its_file_and_line(town_menus: Path, town_edit: Editor) -> None:
    app = console_app(MENUS_DIR=str(town_menus))
    client = app.test_client()
    log_in(client, "viewer")
    line = town_edit("units.yaml", "phone: 0433-3600003", "phone: 0433-360000")
    page = client.get("/admin/health").get_data(as_text=True)
    assert 'id="health-status" class="closed">降级运行<' in page
    # In the console's language, as `ivr validate --lang zh` says it: the file and line, the line, what is wrong.
    assert f"units.yaml 第{line}行「phone: 0433-360000」" in page and "“0433-360000”不是有效的中国电话号码" in page


def test_messages_are_filtered_by_unit_status_and_date(app: Flask) -> None:
    with provider_api(TOKEN) as api:
        leave_message(app, api.recording_url(""), caller="+8613700000001", at="2026-11-24T19:00:00+08:00")
        leave_message(app, api.recording_url(""), caller="+8613700000002", unit="funeral_office",
                      at="2026-11-25T19:00:00+08:00")
        leave_message(app, api.recording_url(""), caller="+8613700000003", at="2026-11-26T07:00:00+08:00")
    records(app).mark_called_back(3, records(app).voicemails()[0].received_at, by="editor")
    client = app.test_client()
    log_in(client, "viewer")

    def callers(query: str) -> list[str]:
        page = client.get("/admin/messages" + query).get_data(as_text=True)
        return re.findall(r'href="tel:(\+\d+)"', page)

    assert callers("") == ["+8613700000003", "+8613700000002", "+8613700000001"]  # newest first
    assert callers("?unit=marriage_registry") == ["+8613700000003", "+8613700000001"]
    assert callers("?status=new") == ["+8613700000002", "+8613700000001"]
    assert callers("?status=called+back") == ["+8613700000003"]
    assert callers("?since=2026-11-25&until=2026-11-25") == ["+8613700000002"]
    assert callers("?since=2026-11-25") == ["+8613700000003", "+8613700000002"]
    refused = client.get("/admin/messages?until=not-a-date&unit=funeral_office")  # said, not ignored
    assert refused.status_code == 400 and "网址中的截止日期“not-a-date”不能用" in refused.get_data(as_text=True)


def test_a_rehearsed_call_says_how_it_ends_and_keeps_its_keys_in_the_form(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    form = {"csrf_token": csrf_token(client, "/admin/try"), "date": "2026-10-01", "time": "09:00",
            "caller_lang": "ko", "dial_status": "completed"}

    def press(keys: str, key: str) -> str:
        page = client.post("/admin/try", data={**form, "keys": keys, "key": key}).get_data(as_text=True)
        return re.sub(r"\s+", " ", page)

    closed = press("", "2")
    assert 'data-kind="closed"' in closed and '<input type="hidden" name="keys" value="2">' in closed
    assert "10월 8일 목요일 오전 8시 30분" in closed  # the caller's language in the transcript
    message = press("2", "2")
    assert 'data-kind="voicemail"' in message and "给图们市民政局婚姻登记处留言" in message
    restarted = client.post("/admin/try", data={**form, "keys": "22", "restart": "1"}).get_data(as_text=True)
    assert 'name="keys" value=""' in restarted and 'data-kind="waiting"' in restarted
    settle(app)
    assert records(app).voicemails() == []  # the message was left in the preview's scratch records only


def test_a_login_holds_across_the_workers_of_a_development_server(menus: Path, tmp_path: Path) -> None:
    import http.cookies

    from ivr.store.database import Store, prepare_embedded_sqlite
    from tests.served import ServedHotline

    instance = tmp_path / "instance"
    store = Store.from_url(f"sqlite:///{instance / 'ivr.sqlite3'}")
    prepare_embedded_sqlite(store)
    StaffStore(store).add("viewer", PASSWORDS["viewer"], "viewer", datetime.now(UTC))
    # No auth token and no secret key: `ivr serve` runs in development mode and makes one key for its workers.
    server = ServedHotline(menus, instance, workers=2, unset=("TWILIO_AUTH_TOKEN", "IVR_SECRET_KEY"))
    try:
        server.wait_ready()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/admin/login")
        login_page = connection.getresponse()
        cookie = http.cookies.SimpleCookie(login_page.getheader("Set-Cookie"))["session"].value
        found = re.search(r'name="csrf_token" value="([^"]+)"', login_page.read().decode())
        assert found is not None
        token = found.group(1)
        connection.close()
        form = urlencode({"csrf_token": token, "username": "viewer", "password": PASSWORDS["viewer"]})
        status, headers = fresh_request(server.port, "POST", "/admin/login", cookie, form)
        assert status == 302, headers
        cookie = http.cookies.SimpleCookie(headers["Set-Cookie"])["session"].value
        # Each request on a new connection: the two workers take turns, and both know the login.
        assert [fresh_request(server.port, "GET", "/admin/", cookie)[0] for _ in range(20)] == [200] * 20
    finally:
        assert server.stop() == 0


def fresh_request(port: int, method: str, path: str, cookie: str, body: str = "") -> tuple[int, dict[str, str]]:
    """Send one request on its own connection with the session cookie; return the status and headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        connection.request(method, path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def add_account(client: FlaskClient, username: str, password: str, role: str = "editor",
                again: str | None = None) -> TestResponse:
    """Send the add-account form of /admin/staff as an admin's browser does."""
    return client.post("/admin/staff", data={"csrf_token": csrf_token(client, "/admin/staff"), "username": username,
                                             "role": role, "password": password,
                                             "password2": password if again is None else again})


def staff_changes(app: Flask) -> list[tuple[str, str, str | None]]:
    """The audit log's account changes, newest first: who, what, and to whom."""
    return [(e.actor, e.action, e.detail) for e in StaffStore(records(app)).audit_entries()
            if e.action.startswith("staff_")]


def test_an_admin_adds_an_account_that_can_then_log_in(app: Flask) -> None:
    admin = app.test_client()
    log_in(admin, "admin")
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)" data-active="yes"', page) == ["admin", "editor", "viewer"]
    assert 'id="disable-1"' not in page and 'id="disable-2"' in page  # no button to disable oneself
    assert '<label for="new-password2">再输入一次密码</label>' in page
    added = add_account(admin, "li.wei", "a long password 4", role="editor")
    assert added.status_code == 302 and added.headers["Location"] == "/admin/staff"
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "已添加账号 li.wei。" in page
    row = page[page.index('data-username="li.wei"'):].split("</tr>")[0]
    assert "编辑员" in row and "可以登录" in row and "2026-11-26 10:00" in row
    assert staff_changes(app) == [("admin", "staff_add", "li.wei as editor")]

    newcomer = app.test_client()
    response = newcomer.post("/admin/login", data={"csrf_token": csrf_token(newcomer), "username": "li.wei",
                                                   "password": "a long password 4"})
    assert response.status_code == 302
    assert newcomer.get("/admin/edit").status_code == 200 and newcomer.get("/admin/staff").status_code == 403
    korean = admin.get("/admin/staff?lang=ko").get_data(as_text=True)
    assert "직원 계정" in korean and "편집자" in korean and "암호 다시 입력" in korean


@pytest.mark.parametrize(("username", "password", "again", "role", "field", "message"), [
    ("viewer", "a long password 5", None, "viewer", "username", "已经有名为 viewer 的账号，没有添加。"),
    ("kim", "short", None, "viewer", "password", "密码太短，至少要 10 个字符；没有添加账号。"),
    ("kim", "a long password 5", "a long password 6", "viewer", "password2", "两次输入的密码不一样，没有添加账号。"),
    ("kim lee", "a long password 5", None, "viewer", "username", "不能用作用户名"),
    ("kim", "a long password 5", None, "root", "role", "请选择一个角色。"),
])
def test_a_refused_account_shows_why_at_its_field_and_creates_nothing(
        app: Flask, username: str, password: str, again: str | None, role: str, field: str, message: str) -> None:
    admin = app.test_client()
    log_in(admin, "admin")
    refused = add_account(admin, username, password, role=role, again=again)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert f'<p class="field-error" id="new-{field}-error">' in page and message in page
    described = re.search(rf'id="new-{field}"[^>]*aria-describedby="([^"]+)"', page)
    assert described is not None and f"new-{field}-error" in described.group(1).split()
    assert re.findall(r'id="new-(\w+)"[^>]*aria-invalid="true"', page) == [field]  # only that field is marked
    assert password not in page  # a password is never sent back
    assert [a.username for a in StaffStore(records(app)).all()] == ["admin", "editor", "viewer"]
    assert staff_changes(app) == []


def test_an_admin_disables_an_account_whose_session_ends_but_not_their_own(app: Flask) -> None:
    viewer = app.test_client()
    log_in(viewer, "viewer")
    admin = app.test_client()
    log_in(admin, "admin")
    accounts = StaffStore(records(app))
    target, me = accounts.get("viewer"), accounts.get("admin")
    assert target is not None and me is not None
    token = csrf_token(admin, "/admin/staff")
    disabled = admin.post(f"/admin/staff/{target.id}/disable", data={"csrf_token": token})
    assert disabled.status_code == 302
    assert "已停用账号 viewer" in admin.get("/admin/staff").get_data(as_text=True)
    assert viewer.get("/admin/").status_code == 302  # logged out at its next request
    again = viewer.post("/admin/login", data={"csrf_token": csrf_token(viewer), "username": "viewer",
                                              "password": PASSWORDS["viewer"]})
    assert again.status_code == 401

    refused = admin.post(f"/admin/staff/{me.id}/disable", data={"csrf_token": token})
    assert refused.status_code == 400 and "不能停用自己的账号。" in refused.get_data(as_text=True)
    assert admin.post("/admin/staff/999/disable", data={"csrf_token": token}).status_code == 404
    assert admin.post(f"/admin/staff/{target.id}/disable", data={"csrf_token": token}).status_code == 302  # again
    assert [(a.username, a.active) for a in accounts.all()] == [("admin", True), ("editor", True), ("viewer", False)]
    assert staff_changes(app) == [("admin", "staff_disable", "viewer")]


def test_staff_forms_without_the_csrf_token_are_refused(app: Flask) -> None:
    admin = app.test_client()
    log_in(admin, "admin")
    form = {"username": "kim", "role": "viewer", "password": "a long password 5", "password2": "a long password 5"}
    assert admin.post("/admin/staff", data=form).status_code == 400
    assert admin.post("/admin/staff", data={**form, "csrf_token": "forged"}).status_code == 400
    assert admin.post("/admin/staff/3/disable").status_code == 400
    assert [(a.username, a.active) for a in StaffStore(records(app)).all()] == \
        [("admin", True), ("editor", True), ("viewer", True)]
    assert staff_changes(app) == []


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_viewers_and_editors_may_not_manage_staff(app: Flask, role: str) -> None:
    client = app.test_client()
    log_in(client, role)
    assert 'href="/admin/staff"' not in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/staff").status_code == 403
    token = csrf_token(client, "/admin/")
    refused = client.post("/admin/staff", data={"csrf_token": token, "username": "kim", "role": "admin",
                                                "password": "a long password 5", "password2": "a long password 5"})
    assert refused.status_code == 403 and "这个页面要“管理员”角色才能使用；" in refused.get_data(as_text=True)
    assert client.post("/admin/staff/1/disable", data={"csrf_token": token}).status_code == 403
    assert [(a.username, a.active) for a in StaffStore(records(app)).all()] == \
        [("admin", True), ("editor", True), ("viewer", True)]
    admin = app.test_client()
    log_in(admin, "admin")
    assert 'href="/admin/staff"' in admin.get("/admin/").get_data(as_text=True)


def test_the_console_extensions_hooks_run_for_the_console_only(app: Flask) -> None:
    assert not app.before_request_funcs.get(None) and not app.after_request_funcs.get(None)
    assert [hook.__name__ for hook in app.before_request_funcs["admin"]] == ["csrf_protect", "guard"]
    assert "_update_remember_cookie" in [hook.__name__ for hook in app.after_request_funcs["admin"]]
