"""Logins as a bank does them, on SQLite and PostgreSQL: every try counted in the database before its password is
checked (so a burst over several workers checks at most 5), a lock per account and address that doubles and ends by
itself or by an admin, and sessions that end at a logout, a password change or disabling, even for a saved cookie."""

from __future__ import annotations

import http.client
import http.cookies
import os
import re
import signal
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ivr.cli import main
from ivr.clock import parse_moment
from ivr.store import staff as staff_module
from ivr.store.database import Store, upgrade_schema
from ivr.store.logins import LIMIT, Attempts, LoginAttempts, failed, reserve
from ivr.store.staff import StaffStore
from tests.conftest import BUNDLED_MENUS, make_app
from tests.console import PASSWORDS, WINTER_WEEKDAY_10AM, console_app, csrf_token, leave_message, log_in, records
from tests.console import set_now as move_now

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
RECORDINGS = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/"


@pytest.fixture
def app(database_url: str) -> Flask:
    upgrade_schema(Store.from_url(database_url).engine)
    return console_app(DATABASE_URL=database_url)


def client_at(app: Flask, address: str) -> FlaskClient:
    """A browser at an address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_login(client: FlaskClient, username: str, password: str) -> TestResponse:
    return client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": username,
                                             "password": password})


def audit_actions(app: Flask, action: str) -> list[tuple[str, str | None, str | None]]:
    return [(e.actor, e.detail, e.address) for e in StaffStore(records(app)).audit_entries(1000) if e.action == action]


def counting_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every argon2 verification the service makes (in this process), by the password tried."""
    checked: list[str] = []
    lock = threading.Lock()

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Any:
            with lock:
                checked.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(staff_module, "_hasher", CountingHasher())
    return checked


# The count is shared: a burst over two apps (two workers) and a real `ivr serve --workers 2` ------------------


def test_a_burst_of_100_wrong_tries_over_two_apps_checks_5_passwords(
        app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    other_worker = make_app(DATABASE_URL=database_url, FROZEN_TIME=WINTER_WEEKDAY_10AM)
    checked = counting_password_checks(monkeypatch)

    def attack(n: int) -> int:
        client = client_at(app if n % 2 else other_worker, ATTACKER)
        return try_login(client, "editor", f"guess number {n}").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = Counter(pool.map(attack, range(100)))
    assert statuses == Counter({401: LIMIT, 429: 100 - LIMIT})
    assert len(checked) == LIMIT  # the 95 others were refused before any password was checked
    assert len(audit_actions(app, "login_failed")) == LIMIT
    assert len(audit_actions(app, "login_slowed")) == 95
    # Locked at that address until 10:15, even with the right password, on both apps.
    for worker in (app, other_worker):
        locked = try_login(client_at(worker, ATTACKER), "editor", PASSWORDS["editor"])
        assert locked.status_code == 429
        assert "此账号在这个地址暂停登录到 2026-11-26 10:15" in locked.get_data(as_text=True)
    assert len(checked) == LIMIT
    # The owner at another address logs in at once, on either app.
    assert try_login(client_at(other_worker, OWNER), "editor", PASSWORDS["editor"]).status_code == 302
    assert LoginAttempts(records(app)).state("editor", ATTACKER).locked_until == \
        parse_moment("2026-11-26T10:15:00+08:00")


def test_a_burst_on_a_real_server_with_two_workers_checks_5_passwords_and_ivr_staff_unlock_ends_the_lock(
        menus: Path, tmp_path: Path, database_url: str) -> None:
    from tests.served import ServedHotline

    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    accounts = StaffStore(store)
    accounts.add("li.wei", "the right password 1", "editor", parse_moment(WINTER_WEEKDAY_10AM))
    server = ServedHotline(menus, tmp_path / "instance", workers=2, database_url=database_url)
    try:
        server.wait_ready()
        assert len(server.wait_for_workers(2)) == 2
        cookie, token = login_form(server.port)

        def attempt(password: str) -> int:
            form = urlencode({"csrf_token": token, "username": "li.wei", "password": password})
            return send(server.port, "POST", "/admin/login", cookie, form)[0]

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = Counter(pool.map(attempt, [f"wrong guess {n}" for n in range(100)]))
        assert statuses == Counter({401: LIMIT, 429: 100 - LIMIT}), server.output()[-3000:]
        entries = accounts.audit_entries(1000)
        assert sum(1 for e in entries if e.action == "login_failed") == LIMIT
        assert sum(1 for e in entries if e.action == "login_slowed") == 95
        assert attempt("the right password 1") == 429  # the owner at the attacker's address waits, or asks an admin
        # Killed workers forget nothing: their replacements read the same count and lock.
        killed = server.worker_pids()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        server.wait_for_workers(2, other_than=killed)
        assert [attempt(f"after the restart {n}") for n in range(10)] == [429] * 10
        assert sum(1 for e in accounts.audit_entries(1000) if e.action == "login_failed") == LIMIT

        env = {"IVR_DATABASE_URL": database_url, "IVR_INSTANCE_DIR": str(tmp_path / "cli"),
               "IVR_MENUS_DIR": str(BUNDLED_MENUS), "IVR_FROZEN_TIME": WINTER_WEEKDAY_10AM}
        unlocked = CliRunner().invoke(main, ["staff", "unlock", "li.wei"], env=env)
        assert unlocked.exit_code == 0, unlocked.output
        assert unlocked.output == \
            "Staff account 'li.wei' is unlocked (1 locked addresses); it may log in from anywhere.\n"
        assert attempt("the right password 1") == 302
        [entry] = [e for e in accounts.audit_entries() if e.action == "staff_unlock"]
        assert (entry.detail, entry.address) == ("li.wei (1 locked addresses)", "command line")
        unknown = CliRunner().invoke(main, ["staff", "unlock", "nobody"], env=env)
        assert unknown.exit_code == 1 and "There is no staff account 'nobody'" in unknown.output
    finally:
        assert server.stop() == 0


def login_form(port: int) -> tuple[str, str]:
    """Open the login page; return its session cookie and CSRF token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/admin/login")
        page = connection.getresponse()
        cookie = http.cookies.SimpleCookie(page.getheader("Set-Cookie"))["session"].value
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert found is not None
        return cookie, found.group(1)
    finally:
        connection.close()


def send(port: int, method: str, path: str, cookie: str, body: str = "") -> tuple[int, str]:
    """Send one request on its own connection with a session cookie; return the status and the page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        connection.request(method, path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


# The lock: per account and address, growing, ending by itself or by an admin ---------------------------------


def test_the_lock_ends_by_itself_and_doubles_and_the_owner_elsewhere_is_never_locked_out(app: Flask) -> None:
    attacker, owner = client_at(app, ATTACKER), client_at(app, OWNER)
    for _ in range(LIMIT):
        assert try_login(attacker, "viewer", "a wrong password").status_code == 401
    assert audit_actions(app, "login_failed")[0] == ("viewer", "locked until 2026-11-26 10:15", ATTACKER)
    assert try_login(attacker, "viewer", PASSWORDS["viewer"]).status_code == 429
    assert try_login(owner, "viewer", PASSWORDS["viewer"]).status_code == 302
    assert owner.get("/admin/").status_code == 200

    move_now(app, "2026-11-26T10:14:59+08:00")
    assert try_login(attacker, "viewer", "a wrong password").status_code == 429
    move_now(app, "2026-11-26T10:15:00+08:00")  # the lock has ended by itself: 5 more tries, then twice as long
    for _ in range(LIMIT):
        assert try_login(attacker, "viewer", "another wrong one").status_code == 401
    assert audit_actions(app, "login_failed")[0][1] == "locked until 2026-11-26 10:45"
    move_now(app, "2026-11-26T10:44:00+08:00")
    refused = try_login(attacker, "viewer", PASSWORDS["viewer"])
    assert refused.status_code == 429 and "暂停登录到 2026-11-26 10:45" in refused.get_data(as_text=True)
    in_korean = client_at(app, ATTACKER)
    in_korean.get("/admin/login?lang=ko")
    korean = try_login(in_korean, "viewer", PASSWORDS["viewer"]).get_data(as_text=True)
    assert "이 주소에서 이 계정의 로그인을 2026-11-26 10:45까지 멈추었습니다." in korean
    move_now(app, "2026-11-26T10:45:00+08:00")
    assert try_login(attacker, "viewer", PASSWORDS["viewer"]).status_code == 302  # success clears the count
    assert LoginAttempts(records(app)).state("viewer", ATTACKER) == Attempts()


def test_an_admin_sees_the_lock_on_the_staff_page_and_unlocks_it(app: Flask) -> None:
    attacker = client_at(app, ATTACKER)
    for _ in range(LIMIT):
        try_login(attacker, "Editor", "a wrong password")  # the name as typed, counted case-folded
    admin = client_at(app, OWNER)
    log_in(admin, "admin")
    page = admin.get("/admin/staff").get_data(as_text=True)
    editor = StaffStore(records(app)).get("editor")
    assert editor is not None
    row = page[page.index('data-username="editor"'):].split("</tr>")[0]
    assert f'data-locked="{ATTACKER}"' in row and f"在 {ATTACKER} 暂停登录到 2026-11-26 10:15" in row
    assert f'id="unlock-{editor.id}"' in row and 'id="unlock-' not in page.split('data-username="editor"')[0]
    korean = admin.get("/admin/staff?lang=ko").get_data(as_text=True)
    assert f"{ATTACKER}에서 2026-11-26 10:15까지 로그인 멈춤" in korean and "editor 잠금 해제" in korean
    admin.get("/admin/staff?lang=zh")
    unlocked = admin.post(f"/admin/staff/{editor.id}/unlock", data={"csrf_token": csrf_token(admin, "/admin/staff")})
    assert unlocked.status_code == 302
    assert "已解锁 editor，可以从任何地址再次登录。" in admin.get("/admin/staff").get_data(as_text=True)
    assert audit_actions(app, "staff_unlock") == [("admin", "editor (1 locked addresses)", OWNER)]
    assert try_login(attacker, "editor", PASSWORDS["editor"]).status_code == 302
    viewer = client_at(app, OWNER)
    log_in(viewer, "viewer")
    assert viewer.post(f"/admin/staff/{editor.id}/unlock",
                       data={"csrf_token": csrf_token(viewer, "/admin/")}).status_code == 403


def test_the_lock_policy_doubles_up_to_a_day_forgives_a_quiet_day_and_counts_lost_tries() -> None:
    at = parse_moment("2026-11-26T10:00:00+08:00")
    state, lengths = Attempts(), []
    for _ in range(9):
        for _ in range(LIMIT):
            reserved = reserve(state, at)
            assert reserved is not None
            state = failed(reserved, at)
        assert state.locked_until is not None and reserve(state, at) is None
        lengths.append(int((state.locked_until - at) / timedelta(minutes=1)))
        at = state.locked_until
    assert lengths == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]
    # A day after the last lock ended, without a failure, the account starts again from a 15-minute lock.
    forgiven = reserve(state, at + timedelta(days=1))
    assert forgiven == Attempts(failures=1, last_failure_at=at + timedelta(days=1))

    # Five tries reserved whose processes were killed before they answered: refused while they could still be
    # running, then counted as wrong passwords (a lock from the last of them), never as a way around the limit.
    start, lost = parse_moment("2026-11-26T10:00:00+08:00"), Attempts()
    for _ in range(LIMIT):
        next_state = reserve(lost, start)
        assert next_state is not None
        lost = next_state
    assert reserve(lost, start + timedelta(seconds=59)) is None
    assert reserve(lost, start + timedelta(minutes=14)) is None
    assert reserve(lost, start + timedelta(minutes=15)) == Attempts(
        failures=1, locks=1, locked_until=start + timedelta(minutes=15), last_failure_at=start + timedelta(minutes=15))


# Sessions that end -------------------------------------------------------------------------------------------


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replaying(app: Flask, cookie: str) -> FlaskClient:
    """Another browser that replays a saved session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_after_logout_the_saved_cookie_opens_nothing_and_changes_nothing(app: Flask, database_url: str) -> None:
    leave_message(app, RECORDINGS)
    editor = app.test_client()
    log_in(editor, "editor")
    token = csrf_token(editor, "/admin/messages")
    cookie = saved_cookie(editor)
    assert replaying(app, cookie).get("/admin/edit").status_code == 200  # the cookie works while logged in
    assert editor.post("/admin/logout", data={"csrf_token": token}).headers["Location"] == "/admin/login"

    second_server = make_app(DATABASE_URL=database_url, FROZEN_TIME=WINTER_WEEKDAY_10AM)
    for server in (app, second_server):
        thief = replaying(server, cookie)
        opened = thief.get("/admin/edit")
        assert opened.status_code == 302 and opened.headers["Location"].startswith("/admin/login")
        marked = thief.post("/admin/messages/1/called-back", data={"csrf_token": token})
        assert marked.status_code == 401
        assert "您的登录已结束" in marked.get_data(as_text=True)
    [message] = records(app).voicemails()
    assert (message.status, message.called_back_by, message.called_back_at) == ("new", None, None)
    assert audit_actions(app, "logout") == [("editor", None, "127.0.0.1")]
    # A new login works, and the new cookie does.
    log_in(editor, "editor")
    assert editor.get("/admin/edit").status_code == 200


def test_a_logout_ends_the_accounts_other_sessions_too(app: Flask) -> None:
    office, phone = app.test_client(), app.test_client()
    log_in(office, "viewer")
    log_in(phone, "viewer")
    phone.post("/admin/logout", data={"csrf_token": csrf_token(phone, "/admin/")})
    assert office.get("/admin/").status_code == 302


def change_password(client: FlaskClient, current: str, new: str, again: str | None = None) -> TestResponse:
    return client.post("/admin/password", data={"csrf_token": csrf_token(client, "/admin/password"),
                                                "current": current, "new": new,
                                                "new2": new if again is None else again})


def test_a_password_change_keeps_this_session_and_ends_the_others(app: Flask) -> None:
    office, phone = app.test_client(), app.test_client()
    log_in(office, "viewer")
    log_in(phone, "viewer")
    old_cookie = saved_cookie(office)
    page = office.get("/admin/password").get_data(as_text=True)
    assert '<label for="current">当前密码</label>' in page and 'id="password-link"' in page
    assert "새 암호 다시 입력" in office.get("/admin/password?lang=ko").get_data(as_text=True)
    office.get("/admin/password?lang=zh")

    changed = change_password(office, PASSWORDS["viewer"], "a brand new password 7")
    assert changed.status_code == 302 and changed.headers["Location"] == "/admin/password"
    assert "密码已修改；此账号的其他登录都已退出。" in office.get("/admin/password").get_data(as_text=True)
    assert office.get("/admin/").status_code == 200  # this session goes on
    assert phone.get("/admin/").status_code == 302  # the other ended
    assert replaying(app, old_cookie).get("/admin/").status_code == 302  # and so did this one's cookie from before
    assert audit_actions(app, "password_change") == [("viewer", None, "127.0.0.1")]
    assert try_login(app.test_client(), "viewer", PASSWORDS["viewer"]).status_code == 401
    assert try_login(app.test_client(), "viewer", "a brand new password 7").status_code == 302


@pytest.mark.parametrize(("current", "new", "again", "field", "words"), [
    ("viewer password 3", "short", None, "new", "新密码太短，至少要 10 个字符；密码没有修改。"),
    ("viewer password 3", "a long new password", "a long new passw0rd", "new2", "两次输入的新密码不一样"),
    ("not my password", "a long new password", None, "current", "当前密码不对，密码没有修改。"),
])
def test_a_refused_password_change_says_why_at_its_field_and_changes_nothing(
        app: Flask, current: str, new: str, again: str | None, field: str, words: str) -> None:
    viewer = app.test_client()
    log_in(viewer, "viewer")
    refused = change_password(viewer, current, new, again)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">{words}' in page
    assert re.findall(r'id="(\w+)"[^>]*aria-invalid="true"', page) == [field]
    assert new not in page and current not in page
    assert audit_actions(app, "password_change") == []
    assert StaffStore(records(app)).authenticate("viewer", PASSWORDS["viewer"]) is not None
    assert viewer.get("/admin/").status_code == 200


def test_guessing_the_current_password_from_a_stolen_session_is_locked_like_a_login(app: Flask) -> None:
    thief = client_at(app, ATTACKER)
    log_in(thief, "viewer")
    for n in range(LIMIT):
        assert change_password(thief, f"guess {n}", "a long new password").status_code == 400
    refused = change_password(thief, PASSWORDS["viewer"], "a long new password")
    assert refused.status_code == 429 and "暂停登录到 2026-11-26 10:15" in refused.get_data(as_text=True)
    assert len(audit_actions(app, "password_failed")) == LIMIT
    assert StaffStore(records(app)).authenticate("viewer", PASSWORDS["viewer"]) is not None
    assert try_login(client_at(app, ATTACKER), "viewer", PASSWORDS["viewer"]).status_code == 429


def test_an_admin_resets_a_password_and_the_accounts_sessions_end(app: Flask) -> None:
    editor = app.test_client()
    log_in(editor, "editor")
    admin = app.test_client()
    log_in(admin, "admin")

    def reset(account: str, password: str, again: str | None = None) -> TestResponse:
        return admin.post("/admin/staff/password", data={
            "csrf_token": csrf_token(admin, "/admin/staff"), "account": account, "password": password,
            "password2": password if again is None else again})

    short = reset("editor", "short")
    assert short.status_code == 400 and '<p class="field-error" id="reset-password-error">' in short.get_data(
        as_text=True)
    assert reset("editor", "a long password 8", "a long password 9").status_code == 400
    assert reset("nobody", "a long password 8").status_code == 400
    assert editor.get("/admin/").status_code == 200 and audit_actions(app, "staff_password") == []

    done = reset("editor", "a long password 8")
    assert done.status_code == 302
    assert "已重设 editor 的密码，其登录立即失效。" in admin.get("/admin/staff").get_data(as_text=True)
    assert editor.get("/admin/").status_code == 302
    assert audit_actions(app, "staff_password") == [("admin", "editor", "127.0.0.1")]
    assert try_login(app.test_client(), "editor", "a long password 8").status_code == 302
    assert reset("admin", "my own new password").status_code == 302  # one's own: this session goes on
    assert admin.get("/admin/staff").status_code == 200


def test_disabling_ends_the_sessions_at_once(app: Flask) -> None:
    leave_message(app, RECORDINGS)
    editor = app.test_client()
    log_in(editor, "editor")
    token = csrf_token(editor, "/admin/messages")
    accounts = StaffStore(records(app))
    before = accounts.get("editor")
    assert before is not None
    assert accounts.disable("editor")
    after = accounts.get("editor")
    assert after is not None and after.generation == before.generation + 1
    assert editor.post("/admin/messages/1/called-back", data={"csrf_token": token}).status_code == 401
    assert records(app).voicemails()[0].status == "new"


def test_ivr_staff_password_ends_the_sessions(app: Flask, database_url: str, tmp_path: Path) -> None:
    viewer = app.test_client()
    log_in(viewer, "viewer")
    env = {"IVR_DATABASE_URL": database_url, "IVR_INSTANCE_DIR": str(tmp_path / "cli"),
           "IVR_MENUS_DIR": str(BUNDLED_MENUS), "IVR_FROZEN_TIME": WINTER_WEEKDAY_10AM}
    run: Callable[..., Any] = CliRunner().invoke
    short = run(main, ["staff", "password", "viewer"], env=env, input="short\n")
    assert short.exit_code == 1 and "The password is too short; use at least 10 characters." in short.output
    assert viewer.get("/admin/").status_code == 200
    unknown = run(main, ["staff", "password", "nobody"], env=env, input="a long password 10\n")
    assert unknown.exit_code == 1 and "There is no staff account 'nobody'" in unknown.output
    done = run(main, ["staff", "password", "viewer"], env=env, input="a long password 10\n")
    assert done.exit_code == 0, done.output
    assert done.output == "Staff account 'viewer' has a new password; its open sessions have ended.\n"
    assert viewer.get("/admin/").status_code == 302
    assert try_login(app.test_client(), "viewer", "a long password 10").status_code == 302
    [entry] = [e for e in StaffStore(records(app)).audit_entries() if e.action == "staff_password"]
    assert (entry.detail, entry.address, entry.at) == ("viewer", "command line", parse_moment(WINTER_WEEKDAY_10AM))


def test_a_cookie_from_before_session_generations_is_logged_out(app: Flask) -> None:
    staff = StaffStore(records(app)).get("viewer")
    assert staff is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    for user_id in (str(staff.id), f"{staff.id}.{staff.generation}"):  # before the generations, and now
        cookie = serializer.dumps({"_user_id": user_id, "_fresh": True})
        assert replaying(app, cookie).get("/admin/").status_code == (302 if "." not in user_id else 200)


def test_a_try_the_database_cannot_count_is_refused_without_checking_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    monkeypatch.setattr("ivr.store.logins.QUEUE_SECONDS", 1)
    database = tmp_path / "records.sqlite3"
    app = console_app(DATABASE_URL=f"sqlite:///{database}")
    checked = counting_password_checks(monkeypatch)
    client = client_at(app, ATTACKER)
    token = csrf_token(client)
    other_process = sqlite3.connect(database, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # another writer holds the database's write lock
    try:
        refused = client.post("/admin/login", data={"csrf_token": token, "username": "viewer",
                                                    "password": PASSWORDS["viewer"]})
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert refused.status_code == 503
    assert "现在无法核对登录（数据库没有响应），请过一会儿再试。" in refused.get_data(as_text=True)
    assert checked == []
    assert try_login(client, "viewer", PASSWORDS["viewer"]).status_code == 302


def test_the_migration_keeps_existing_accounts_and_their_logins(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from ivr.store.database import MIGRATIONS

    store = Store.from_url(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    assert "login_attempts" not in inspect(store.engine).get_table_names()
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO staff (username, password_hash, role, active, created_at) "
                                "VALUES ('kim', :hash, 'viewer', 1, '2026-11-01 09:00:00')"),
                           {"hash": PasswordHasher().hash("kim's old password")})
    upgrade_schema(store.engine)
    kim = StaffStore(store).authenticate("kim", "kim's old password")
    assert kim is not None and kim.generation == 0
    assert {c["name"] for c in inspect(store.engine).get_columns("login_attempts")} >= {
        "username", "address", "failures", "locks", "locked_until", "last_failure_at", "version"}
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert "login_attempts" not in inspect(store.engine).get_table_names()
    assert "session_generation" not in {c["name"] for c in inspect(store.engine).get_columns("staff")}


def test_behind_the_proxy_the_lock_is_by_the_address_it_forwards(database_url: str) -> None:
    upgrade_schema(Store.from_url(database_url).engine)
    app = console_app(DATABASE_URL=database_url, TRUST_PROXY=True)

    def via_proxy(client_address: str) -> FlaskClient:
        client = client_at(app, "127.0.0.1")  # every request comes from nginx on the same machine
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        return client

    attacker = via_proxy(ATTACKER)
    for _ in range(LIMIT):
        assert try_login(attacker, "editor", "a wrong password").status_code == 401
    assert try_login(attacker, "editor", PASSWORDS["editor"]).status_code == 429
    assert try_login(via_proxy(OWNER), "editor", PASSWORDS["editor"]).status_code == 302
    assert {address for _, _, address in audit_actions(app, "login_failed")} == {ATTACKER}
    assert [lock.address for lock in LoginAttempts(records(app)).locks(parse_moment(WINTER_WEEKDAY_10AM))] == \
        [ATTACKER]
