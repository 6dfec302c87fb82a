"""Published menus versions: publish after the same checks as `ivr validate`, history with its diff, restore in one
step, and every server sharing the database serving the newest version within 5 seconds."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

import ivr.web.menus
from ivr.cli import main
from ivr.publishing import publish, restore
from ivr.store.database import Store, local, upgrade_schema
from ivr.store.versions import PublishedVersions, unified_diff
from ivr.web.admin.phones import staff_phone
from tests.conftest import Provider, make_app
from tests.postgres import PostgresServer
from tests.served import ServedHotline
from tests.test_never_down import CALL, MARRIAGE, marriage_office_number

NEW_MARRIAGE = "+864333623442" if MARRIAGE != "+864333623442" else "+864333623443"
OLD, NEW = staff_phone(MARRIAGE), staff_phone(NEW_MARRIAGE)  # as units.yaml writes them
BROKEN = OLD[:-1]  # a digit short
HAND_EDIT = f"file edit on {socket.gethostname()}"


def new_marriage_line(menus: Path) -> dict[str, str]:
    """units.yaml with the marriage office's new number, everything else (comments too) as it is."""
    text = (menus / "units.yaml").read_text(encoding="utf-8")
    old, new = f"phone: {OLD}", f"phone: {NEW}"
    assert text.count(old) == 1
    return {"units.yaml": text.replace(old, new)}


def server_folder(bundled_copy: Path, where: Path) -> Path:
    """Another server's own menus and audio folders, copied from the test's private copy."""
    shutil.copytree(bundled_copy, where / "menus")
    shutil.copytree(bundled_copy.parent / "audio", where / "audio")
    return where / "menus"


def start_server(menus: Path, database_url: str, instance: Path) -> Flask:
    return make_app(MENUS_DIR=str(menus), DATABASE_URL=database_url, INSTANCE_DIR=str(instance))


def versions_of(database_url: str) -> PublishedVersions:
    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    return PublishedVersions(store)


def served_within(app: Flask, number: str, seconds: float = 5) -> float:
    """Place calls (each one the server's real refresh) until the marriage office is `number`; return how long."""
    provider = Provider(app.test_client())
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if marriage_office_number(provider) == number:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the server still forwards to {marriage_office_number(provider)} after {seconds} s")


@pytest.fixture
def refresh_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the folder and the database on every call instead of every 2 s (one test keeps the real interval)."""
    monkeypatch.setattr(ivr.web.menus, "CHECK_EVERY_SECONDS", 0.0)


@pytest.mark.usefixtures("refresh_at_once")
def test_a_published_change_shows_in_history_with_its_diff_reaches_callers_and_is_restored_in_one_step(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    server = start_server(menus, url, tmp_path / "instance")
    versions = PublishedVersions(Store.from_url(url))
    change = new_marriage_line(menus)

    result = publish(versions, menus, change, "张三", "婚姻登记处换了号码", base=1)

    assert result.errors == () and result.created and result.version is not None
    assert (menus / "units.yaml").read_text(encoding="utf-8") == change["units.yaml"]  # comments and layout kept
    assert [(v.id, v.author, v.note) for v in versions.history()] == [
        (2, "张三", "婚姻登记处换了号码"), (1, HAND_EDIT, f"the first version, from {menus}")]
    diff = versions.diff(2)
    assert diff is not None and diff.startswith("--- version 1/units.yaml\n+++ version 2/units.yaml\n")
    assert f"\n-    phone: {OLD}\n+    phone: {NEW}\n" in diff
    served_within(server, NEW_MARRIAGE, seconds=1)

    restored = restore(versions, menus, 1, "张三", 2)

    assert restored.version is not None and restored.version.id == 3
    assert restored.version.note == "restore of version 1"
    newest = versions.newest()
    first = versions.get(1)
    assert newest is not None and first is not None and newest.files == first.files
    served_within(server, MARRIAGE, seconds=1)
    assert len(versions.history()) == 3  # following its own publishes published nothing more


def test_a_broken_change_is_refused_with_the_lines_ivr_validate_prints_and_nothing_is_stored_or_written(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    start_server(menus, url, tmp_path / "instance")
    versions = PublishedVersions(Store.from_url(url))
    before = {path.name: path.read_bytes() for path in menus.iterdir()}
    units = (menus / "units.yaml").read_text(encoding="utf-8")
    broken = units.replace(f"phone: {OLD}", f"phone: {BROKEN}")

    result = publish(versions, menus, {"units.yaml": broken}, "张三", base=1)

    assert result.version is None
    assert [v.id for v in versions.history()] == [1]
    assert {path.name: path.read_bytes() for path in menus.iterdir()} == before
    assert not list(menus.parent.glob(".menus.checking-*"))
    (menus / "units.yaml").write_text(broken, encoding="utf-8")
    validated = CliRunner().invoke(main, ["validate", "--menus", str(menus)])
    assert validated.exit_code == 1
    assert [str(p) for p in result.problems] == validated.stderr.splitlines()
    line = units[:units.index(f"phone: {OLD}")].count("\n") + 1
    assert validated.stderr.startswith(f"{menus}/units.yaml:{line} units.marriage_registry.phone: '{BROKEN}' is not")

    published = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", str(menus)],
                                   env={"IVR_DATABASE_URL": url})

    assert published.exit_code == 1
    assert published.stderr == validated.stderr
    assert published.stdout == f"{menus}: 1 error; nothing was published, fix the errors above.\n"
    assert [v.id for v in versions.history()] == [1]


@pytest.mark.usefixtures("refresh_at_once")
def test_a_version_published_on_one_server_is_served_by_the_other_and_a_hand_edit_there_comes_back(
        menus: Path, tmp_path: Path, database_url: str) -> None:
    versions = versions_of(database_url)
    first = start_server(menus, database_url, tmp_path / "first-instance")
    second_menus = server_folder(menus, tmp_path / "second")
    second = start_server(second_menus, database_url, tmp_path / "second-instance")

    change = new_marriage_line(menus)
    publish(versions, menus, change, "张三", "新号码", base=1)

    assert served_within(second, NEW_MARRIAGE) < 5
    assert (second_menus / "units.yaml").read_text(encoding="utf-8") == change["units.yaml"]
    units = second_menus / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace(NEW, OLD), encoding="utf-8")
    served_within(second, MARRIAGE, seconds=1)  # its next call takes the edit, and publishes it in the background
    assert served_within(first, MARRIAGE) < 5
    assert [(v.id, v.author) for v in versions.history()] == [(3, HAND_EDIT), (2, "张三"), (1, HAND_EDIT)]
    assert first.test_client().get("/health/details").get_json()["menus"]["version"] == 3


def test_a_second_server_serves_a_new_version_within_5_seconds_at_the_real_interval(
        menus: Path, tmp_path: Path) -> None:
    assert ivr.web.menus.CHECK_EVERY_SECONDS == 2.0
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    start_server(menus, url, tmp_path / "first-instance")
    second = start_server(server_folder(menus, tmp_path / "second"), url, tmp_path / "second-instance")
    marriage_office_number(Provider(second.test_client()))  # a call now: the next look is 2 s away

    published_at = time.monotonic()
    publish(versions, menus, new_marriage_line(menus), "张三", base=1)
    served_within(second, NEW_MARRIAGE)

    assert time.monotonic() - published_at < 5


@pytest.mark.usefixtures("refresh_at_once")
def test_a_broken_hand_edit_is_not_published_and_the_other_server_keeps_its_menus(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    first = start_server(menus, url, tmp_path / "first-instance")
    second_menus = server_folder(menus, tmp_path / "second")
    second = start_server(second_menus, url, tmp_path / "second-instance")
    units = second_menus / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace(OLD, BROKEN), encoding="utf-8")

    assert marriage_office_number(Provider(second.test_client())) == MARRIAGE
    wait_for_syncs(second, first)

    rejected = second.test_client().get("/health/details").get_json()["menus"]["rejected_edit"]
    assert rejected.startswith(f"{second_menus}/units.yaml:191 ")
    assert [v.id for v in versions.history()] == [1]
    assert marriage_office_number(Provider(first.test_client())) == MARRIAGE


def test_a_restarted_server_takes_the_newest_version_and_publishes_an_edit_made_while_it_was_stopped(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    start_server(menus, url, tmp_path / "first-instance")
    second_menus = server_folder(menus, tmp_path / "second")
    start_server(second_menus, url, tmp_path / "second-instance")  # then it stops, its folder left behind
    publish(versions, menus, new_marriage_line(menus), "张三", base=1)

    restarted = start_server(second_menus, url, tmp_path / "second-instance")

    assert marriage_office_number(Provider(restarted.test_client())) == NEW_MARRIAGE
    assert [v.id for v in versions.history()] == [2, 1]  # its old folder was not published back
    calendar = second_menus / "calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8") + "# 停机时编辑\n", encoding="utf-8")
    start_server(second_menus, url, tmp_path / "second-instance")
    newest = versions.newest()
    assert newest is not None and newest.info.id == 3 and newest.info.author == HAND_EDIT
    assert newest.files["calendar.yaml"].endswith("# 停机时编辑\n")


@pytest.mark.usefixtures("refresh_at_once")
def test_with_the_database_down_the_server_starts_and_serves_logs_once_and_publishing_says_so(
        private_postgres: PostgresServer, menus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = private_postgres.new_database()
    versions = versions_of(url)
    private_postgres.stop()
    try:
        with caplog.at_level(logging.INFO, logger="ivr.web.menus"):
            server = start_server(menus, url, tmp_path / "instance")
            provider = Provider(server.test_client())
            edit = menus / "calendar.yaml"
            edit.write_text(edit.read_text(encoding="utf-8") + "# 数据库停机时编辑\n", encoding="utf-8")
            for _ in range(3):
                assert marriage_office_number(provider) == MARRIAGE
                wait_for_syncs(server)
        down = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
        assert len(down) == 1
        assert down[0].startswith("The database of published menus versions cannot be reached (")

        published = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", str(menus)],
                                       env={"IVR_DATABASE_URL": url})

        assert published.exit_code == 1
        assert published.stderr.startswith("Error: The database postgresql+psycopg://")
        assert published.stderr.endswith("), so no menus version was read or published; check IVR_DATABASE_URL "
                                         "and that the database server runs (`ivr db upgrade` creates the tables).\n")
        assert published.stderr.count("\n") == 1
    finally:
        private_postgres.start()
    wait_for_syncs(server)  # the database is back: the edit made meanwhile is published
    assert [(v.id, v.author) for v in versions.history()] == [(1, HAND_EDIT)]
    newest = versions.newest()
    assert newest is not None and newest.files["calendar.yaml"].endswith("# 数据库停机时编辑\n")


def wait_for_syncs(*apps: Flask) -> None:
    """Sync each app with the database now, after any sync its refresh started in the background."""
    for app in apps:
        app.extensions["ivr.menus"].sync()


# The store on small texts, on both databases -----------------------------------------------------------------

SMALL = {name: f"# {name}\n" for name in ("hotline.yaml", "schedules.yaml", "units.yaml", "menu.yaml",
                                          "prompts.yaml", "calendar.yaml")}


def test_the_store_keeps_versions_newest_first_and_does_not_store_the_same_texts_twice(database_url: str) -> None:
    versions = versions_of(database_url)
    at = local(datetime.fromisoformat("2026-11-27T17:00:00+08:00"))
    first = versions.publish(SMALL, "张三\nforged line", "note\x1b[31m one", at, None)
    again = versions.publish(dict(SMALL), "李四", "the same texts", at, None)
    second = versions.publish({**SMALL, "menu.yaml": "# menu.yaml\nmain: x"}, "李四", "", at, 1)

    assert (first.created, again.created, second.created) == (True, False, True)
    assert again.version == first.version
    head = versions.head()
    assert head is not None and (head.id, head.digest) == (second.version.id, second.version.digest)
    assert [(v.author, v.note) for v in versions.history()] == [("李四", ""), ("张三 forged line", "note [31m one")]
    assert versions.history()[1].published_at == at
    assert versions.knows(first.version.digest) and not versions.knows("0" * 64)
    assert versions.get(99) is None and versions.diff(99) is None
    assert versions.diff(second.version.id) == (
        "--- version 1/menu.yaml\n+++ version 2/menu.yaml\n@@ -1 +1,2 @@\n # menu.yaml\n+main: x\n")


def test_servers_publishing_the_same_texts_at_once_store_one_version(database_url: str) -> None:
    versions_of(database_url)  # the schema, made once as `ivr serve` does before any worker
    servers = [PublishedVersions(Store.from_url(database_url)) for _ in range(6)]  # one engine each, as processes
    at = local(datetime.fromisoformat("2026-11-27T17:00:00+08:00"))
    start = threading.Barrier(len(servers))

    def publish_first_version(versions: PublishedVersions) -> bool:
        start.wait()
        return versions.publish(SMALL, HAND_EDIT, "the first version", at, None).created

    with ThreadPoolExecutor(len(servers)) as pool:
        created = list(pool.map(publish_first_version, servers))

    assert created.count(True) == 1
    assert [(v.id, v.author) for v in servers[0].history()] == [(1, HAND_EDIT)]


def test_a_diff_of_files_without_a_last_newline_keeps_every_header_on_its_own_line() -> None:
    older = {**SMALL, "units.yaml": "a: 1", "menu.yaml": "b: 1"}
    newer = {**SMALL, "units.yaml": "a: 2", "menu.yaml": "b: 2"}

    lines = unified_diff(older, newer, "old", "new").splitlines()

    assert [line for line in lines if line.startswith(("---", "+++"))] == [
        "--- old/units.yaml", "+++ new/units.yaml", "--- old/menu.yaml", "+++ new/menu.yaml"]



@pytest.mark.usefixtures("refresh_at_once")
def test_two_workers_of_one_server_publish_a_hand_edit_once_and_write_nothing_back(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    workers = [start_server(menus, url, tmp_path / "instance") for _ in range(2)]
    units = menus / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    edited = units.stat().st_mtime_ns

    for worker in workers * 3:
        assert marriage_office_number(Provider(worker.test_client())) == NEW_MARRIAGE
        wait_for_syncs(worker)

    assert [(v.id, v.author) for v in versions.history()] == [(2, HAND_EDIT), (1, HAND_EDIT)]
    assert units.stat().st_mtime_ns == edited  # no worker wrote the version it was already serving


def test_the_menus_commands_publish_list_show_and_restore(menus: Path, tmp_path: Path) -> None:
    # The folder is named as `ivr validate` names it: relative to the working directory, where the copy is.
    env = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}", "IVR_MENUS_DIR": str(menus)}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["menus", *args], env=env)

    assert run("history").stdout == ("No menus version has been published yet; `ivr menus publish --as NAME` "
                                     "publishes the folder.\n")
    assert run("publish", "--as", "张三").stdout == (
        "Published menus as version 1; every server sharing this database serves it within 5 seconds.\n")
    (menus / "units.yaml").write_text(new_marriage_line(menus)["units.yaml"], encoding="utf-8")
    assert run("publish", "--as", "李四", "--note", "婚姻登记处\n换号").exit_code == 0
    assert run("publish", "--as", "李四").stdout == (
        "menus is already the newest version, 2; nothing new was published.\n")

    history = run("history")
    listed = json.loads(run("history", "--json").stdout)
    shown = run("show", "2", "--diff")
    files = run("show", "1")
    restored = run("restore", "1", "--as", "王五")
    missing = run("restore", "9", "--as", "王五")

    when = [datetime.fromisoformat(v["published_at"]) for v in listed]
    assert history.stdout == (f"    2  {when[0]:%Y-%m-%d %H:%M:%S}  李四  婚姻登记处 换号\n"
                              f"    1  {when[1]:%Y-%m-%d %H:%M:%S}  张三\n")
    assert [(v["id"], v["author"], v["note"]) for v in listed] == [(2, "李四", "婚姻登记处 换号"), (1, "张三", "")]
    assert shown.stdout.splitlines()[1:3] == ["--- version 1/units.yaml", "+++ version 2/units.yaml"]
    assert f"-    phone: {OLD}\n+    phone: {NEW}\n" in shown.stdout
    assert files.stdout.count("==> ") == 6 and f"    phone: {OLD}\n" in files.stdout
    assert restored.stdout == (
        "Published menus as version 3; every server sharing this database serves it within 5 seconds.\n")
    assert f"    phone: {OLD}\n" in (menus / "units.yaml").read_text(encoding="utf-8")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: There is no menus version 9; `ivr menus history` lists them.\n"


def test_two_ivr_serve_servers_of_two_workers_each_follow_a_hand_edit_published_once(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    second_menus = server_folder(menus, tmp_path / "second")
    servers = [ServedHotline(menus, tmp_path / "first-instance", database_url=url),
               ServedHotline(second_menus, tmp_path / "second-instance", database_url=url)]
    try:
        for server in servers:
            server.wait_ready()
        units = menus / "units.yaml"
        units.write_text(units.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
        edited = time.monotonic()
        while time.monotonic() - edited < 5 and not all(forwarded_to(s) == NEW_MARRIAGE for s in servers * 2):
            time.sleep(0.1)
        assert [forwarded_to(s) for s in servers * 2] == [NEW_MARRIAGE] * 4, servers[1].output()
        assert time.monotonic() - edited < 5
        history = CliRunner().invoke(main, ["menus", "history", "--json"], env={"IVR_DATABASE_URL": url})
        assert [(v["id"], v["author"]) for v in json.loads(history.stdout)] == [(2, HAND_EDIT), (1, HAND_EDIT)]
    finally:
        for server in servers:
            server.stop()


def forwarded_to(server: ServedHotline) -> str | None:
    """The number a caller pressing 2 (marriage registration) is forwarded to by a served hotline."""
    status, body = server.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"})
    assert status == 200, body
    return ET.fromstring(body).findtext("Dial/Number")
