"""Two editors, one version: a publish names the version it was made from and is refused when another was
published since, on one server or two sharing the database; the refused edit is kept, made again on the newest.
And a server that cannot load the newest version (a recording it lacks) serves the newest one it can, says why
in /health, and takes the newest once it loads there."""

from __future__ import annotations

import html
import re
import shutil
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import ivr.web.following
import ivr.web.menus
from ivr.cli import main
from ivr.clock import parse_moment
from ivr.publishing import folder_version, publish, restore
from ivr.store.staff import StaffStore
from ivr.store.versions import NewerVersion
from tests.conftest import Provider, make_app
from tests.console import console_app, csrf_token, records
from tests.test_menu_versions import server_folder, versions_of
from tests.test_never_down import MARRIAGE, marriage_office_number

HAND_EDIT = f"file edit on {socket.gethostname()}"
EDITORS = {"wang.fang": "wang fang's password 1", "li.wei": "li wei's password 2"}
# Two changes of units.yaml on different lines: the marriage office's and the funeral home's numbers.
CHANGES = {"wang.fang": ("marriage_registry", "0433-3623442"), "li.wei": ("funeral_office", "0433-3624943")}
OLD_LINES = {"marriage_registry": "phone: 0433-3623441", "funeral_office": "phone: 0433-3624942"}


@pytest.fixture(autouse=True)
def refresh_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the folder and the database on every call instead of every 2 s."""
    monkeypatch.setattr(ivr.web.menus, "CHECK_EVERY_SECONDS", 0.0)


def two_servers(menus: Path, tmp_path: Path, database_url: str) -> tuple[Flask, Flask]:
    """Two app servers, each with its own menus, audio and instance folders, sharing one database."""
    versions_of(database_url)  # the schema, made once as `ivr db upgrade` does
    first = console_app(MENUS_DIR=str(menus), DATABASE_URL=database_url, INSTANCE_DIR=str(tmp_path / "first"))
    second_menus = server_folder(menus, tmp_path / "second")
    second = make_app(MENUS_DIR=str(second_menus), DATABASE_URL=database_url, INSTANCE_DIR=str(tmp_path / "i2"),
                      FROZEN_TIME="2026-11-26T10:00:00+08:00")
    accounts = StaffStore(records(first))
    for name, password in EDITORS.items():
        accounts.add(name, password, "editor", parse_moment("2026-11-01T00:00"))
    return first, second


def logged_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": name,
                                                  "password": EDITORS[name]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def page_text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def checked_draft(client: FlaskClient, unit: str, phone: str) -> tuple[str, str]:
    """Open a unit's form, change its phone, check it; return the hidden base the form carried and the draft."""
    path = f"/admin/edit/unit/{unit}"
    opened = page_text(client.get(path))
    base = re.search(r'name="base" value="(\d*)"', opened)
    assert base, opened
    checked = client.post(path, data={"csrf_token": csrf_token(client, path), "base": base.group(1), "phone": phone,
                                      "schedule": "marriage" if unit == "marriage_registry" else "standard"},
                          follow_redirects=True)
    page = page_text(checked)
    assert checked.status_code == 200 and 'id="valid"' in page, page
    draft = re.search(r'name="draft" value="([^"]+)"', page)
    assert draft, page
    return base.group(1), draft.group(1)


def units_text(folder: Path) -> str:
    return (folder / "units.yaml").read_text(encoding="utf-8")


def test_two_editors_on_two_servers_publishing_the_same_file_at_once_one_is_refused_and_nothing_is_undone(
        menus: Path, tmp_path: Path, database_url: str) -> None:
    first, second = two_servers(menus, tmp_path, database_url)
    second_menus = tmp_path / "second" / "menus"
    versions = versions_of(database_url)
    clients = {"wang.fang": logged_in(first, "wang.fang"), "li.wei": logged_in(second, "li.wei")}
    drafts = {}
    for name, client in clients.items():
        base, drafts[name] = checked_draft(client, *CHANGES[name])
        assert base == "1"  # both forms were opened on version 1, the first published
    start = threading.Barrier(len(clients))
    answers: dict[str, TestResponse] = {}

    def publish_at_once(name: str) -> None:
        client = clients[name]
        token = csrf_token(client, "/admin/edit")
        start.wait()
        answers[name] = client.post("/admin/edit/publish", data={"csrf_token": token, "draft": drafts[name]})

    threads = [threading.Thread(target=publish_at_once, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers.values()) == [302, 409]
    winner = next(name for name, answer in answers.items() if answer.status_code == 302)
    loser = next(name for name in clients if name != winner)
    history = versions.history()
    assert [(v.id, v.author) for v in history] == [(2, winner), (1, HAND_EDIT)]  # exactly one was published
    refused = page_text(answers[loser])
    assert (f"{winner} 在 {history[0].published_at:%Y-%m-%d %H:%M} 发布了第 2 版，当时您正在编辑"
            "（您的修改是在第 1 版上做的）。您的修改没有发布，也没有丢失") in refused
    # The winner's change is shown, and the loser's, each as a diff.
    won_unit, won_phone = CHANGES[winner]
    lost_unit, lost_phone = CHANGES[loser]
    theirs = re.search(r'<pre class="diff" id="theirs"[^>]*>(.*?)</pre>', refused, re.S)
    yours = re.search(r'<pre class="diff" id="yours"[^>]*>(.*?)</pre>', refused, re.S)
    assert theirs and yours
    assert f"-    {OLD_LINES[won_unit]}\n+    phone: {won_phone}\n" in theirs.group(1)
    assert theirs.group(1).startswith("--- 第 1 版/units.yaml\n+++ 第 2 版/units.yaml\n")  # versions named in words
    assert f"-    {OLD_LINES[lost_unit]}\n+    phone: {lost_phone}\n" in yours.group(1)
    # Nothing is undone: both servers' folders hold the winner's change, and not the loser's.
    for folder in (menus, second_menus):
        assert f"phone: {won_phone}" in units_text(folder) and OLD_LINES[lost_unit] in units_text(folder)
    for app in (first, second):
        assert app.test_client().get("/health/details").get_json()["menus"]["version"] == 2
    # The loser's edit is kept, made again on version 2 (the other lines of the same file), checked, ready.
    assert 'id="valid"' in refused and "在第 2 版上发布" in refused
    merged = re.search(r'<pre class="diff" id="diff"[^>]*>(.*?)</pre>', refused, re.S)
    assert merged and f"-    {OLD_LINES[lost_unit]}\n+    phone: {lost_phone}" in merged.group(1)
    assert won_phone not in merged.group(1)  # the difference against version 2 is the loser's change alone
    kept = re.search(r'name="draft" value="([^"]+)"', refused)
    assert kept
    again = clients[loser].post("/admin/edit/publish", data={"csrf_token": csrf_token(clients[loser], "/admin/edit"),
                                                             "draft": kept.group(1)})
    assert again.status_code == 302, page_text(again)
    newest = versions.newest()
    assert newest is not None and newest.info.id == 3 and newest.info.author == loser
    assert f"phone: {won_phone}" in newest.files["units.yaml"] and f"phone: {lost_phone}" in newest.files["units.yaml"]
    assert [v.id for v in versions.history()] == [3, 2, 1]


def test_the_same_line_changed_by_both_is_kept_with_both_texts_and_cannot_be_published_until_chosen(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = two_servers(menus, tmp_path, url)
    wang, li = logged_in(first, "wang.fang"), logged_in(second, "li.wei")
    _, wang_draft = checked_draft(wang, "marriage_registry", "0433-3623442")
    _, li_draft = checked_draft(li, "marriage_registry", "0433-3623449")
    assert wang.post("/admin/edit/publish", data={"csrf_token": csrf_token(wang, "/admin/edit"),
                                                  "draft": wang_draft}).status_code == 302

    refused = li.post("/admin/edit/publish?lang=ko", data={"csrf_token": csrf_token(li, "/admin/edit"),
                                                           "draft": li_draft})

    assert refused.status_code == 409
    page = page_text(refused)
    assert "wang.fang님이 " in page
    assert "에 2번 판본을 발표했습니다. 그때 당신은 1번 판본에서 수정하고 있었습니다." in page
    assert "두 수정이 같은 곳을 고쳤습니다" in page and 'name="draft"' not in page  # nothing to publish as it is
    both = re.search(r'<textarea class="raw" name="text" id="text-1"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert both
    text = both.group(1)
    assert ("<<<<<<< 당신의 수정\n    phone: 0433-3623449\n=======\n    phone: 0433-3623442\n>>>>>>> version 2\n"
            in text)
    assert 'name="base" value="2"' in page
    # Checked as it is, the text with both is refused at its line: nothing half-merged reaches callers.
    checked = li.post("/admin/edit/raw/units.yaml", data={"csrf_token": csrf_token(li, "/admin/edit/raw/units.yaml"),
                                                          "base": "2", "text": text})
    assert checked.status_code == 422
    chosen = re.sub(r"<<<<<<< .*?\n(    phone: 0433-3623449\n)=======\n.*?>>>>>>> version 2\n", r"\1", text, flags=re.S)
    checked = li.post("/admin/edit/raw/units.yaml", data={"csrf_token": csrf_token(li, "/admin/edit/raw/units.yaml"),
                                                          "base": "2", "text": chosen}, follow_redirects=True)
    page = page_text(checked)
    assert checked.status_code == 200 and 'id="valid"' in page, page
    draft = re.search(r'name="draft" value="([^"]+)"', page)
    assert draft
    published = li.post("/admin/edit/publish", data={"csrf_token": csrf_token(li, "/admin/edit"),
                                                     "draft": draft.group(1)})
    assert published.status_code == 302, page_text(published)
    assert [(v.id, v.author) for v in versions_of(url).history()][:2] == [(3, "li.wei"), (2, "wang.fang")]


def test_a_restore_from_a_stale_list_and_a_cli_publish_of_an_old_folder_are_refused(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, _ = two_servers(menus, tmp_path, url)
    versions = versions_of(url)
    wang = logged_in(first, "wang.fang")
    listed = csrf_token(wang, "/admin/versions")  # the list shows version 1 as the newest
    old_folder = server_folder(menus, tmp_path / "third")  # a copy of version 1, edited by hand later
    marker = folder_version(old_folder)
    assert marker is None
    publish(versions, menus, {"units.yaml": units_text(menus).replace("0433-3623441", "0433-3623442")}, "王芳", base=1)

    restored = wang.post("/admin/versions/1/restore", data={"csrf_token": listed, "base": "1"})

    assert restored.status_code == 409
    assert "王芳 在 " in page_text(restored)
    assert "发布了第 2 版，当时您正在看版本列表（最新的是第 1 版）" in page_text(restored)
    assert [v.id for v in versions.history()] == [2, 1]
    with pytest.raises(NewerVersion) as raised:
        restore(versions, menus, 1, "张三", 1)
    assert raised.value.newest.id == 2 and raised.value.base == 1

    (old_folder / "calendar.yaml").write_text(
        (old_folder / "calendar.yaml").read_text(encoding="utf-8") + "# 手工编辑\n", encoding="utf-8")
    env = {"IVR_DATABASE_URL": url}
    unknown = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", str(old_folder)], env=env)
    assert unknown.exit_code == 1
    assert unknown.stderr == (f"Error: {old_folder} does not say which menus version it was edited from (no version "
                              "was written into it here); give it as --base N (the newest is 2; `ivr menus history` "
                              "lists them), so that a version published since is not undone.\n")
    refused = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", str(old_folder), "--base", "1"],
                                 env=env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: 王芳 published version 2 at ")
    assert f", after version 1, which {old_folder} was edited from; nothing was published" in refused.stderr
    assert [v.id for v in versions.history()] == [2, 1]
    assert (old_folder / "calendar.yaml").read_text(encoding="utf-8").endswith("# 手工编辑\n")
    # The folder published from last is at version 2: its next publish needs no --base.
    noted = folder_version(menus)
    assert noted is not None and noted.id == 2
    calendar = menus / "calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8") + "# 又一处\n", encoding="utf-8")
    accepted = CliRunner().invoke(main, ["menus", "publish", "--as", "张三", "--menus", str(menus)], env=env)
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout.startswith(f"Published {menus} as version 3;")


# A server that lacks a recording ------------------------------------------------------------------------------


def recorded_goodbye(prompts: str) -> str:
    """prompts.yaml with a Mandarin recording of the goodbye, which only the first server has."""
    said = "    ko: 전화해 주셔서 감사합니다. 안녕히 계십시오.\n"
    assert prompts.count(said) == 1
    return prompts.replace(said, said + "    audio: {zh: zh/goodbye.wav}\n")


def health_of(app: Flask) -> dict[str, object]:
    """The menus part of /health once the server has looked at the database (as it does every 2 s)."""
    app.extensions["ivr.menus"].sync()
    menus: dict[str, object] = app.test_client().get("/health/details").get_json()["menus"]
    app.extensions["ivr.menus"].sync()  # after the sync that /health started in the background
    return menus


def test_a_server_lacking_a_recording_serves_the_newest_version_it_can_says_why_and_takes_the_newest_later(
        menus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.web.following, "RETRY_SECONDS", 0.0)
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    shutil.copy(menus.parent / "audio" / "zh" / "greeting.wav", menus.parent / "audio" / "zh" / "goodbye.wav")
    first = make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "first"))
    second_menus = server_folder(menus, tmp_path / "second")
    (tmp_path / "second" / "audio" / "zh" / "goodbye.wav").unlink()
    second = make_app(MENUS_DIR=str(second_menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "i2"))
    new_line = units_text(menus).replace("phone: 0433-3623441", "phone: 0433-3623442")
    publish(versions, menus, {"units.yaml": new_line}, "张三", "新号码", base=1)
    publish(versions, menus, {"prompts.yaml": recorded_goodbye((menus / "prompts.yaml").read_text("utf-8"))},
            "王芳", "再见的录音", base=2)

    health = health_of(second)

    # Version 3 names a recording the second server lacks: it serves version 2, the newest it can, and says why.
    assert marriage_office_number(Provider(second.test_client())) == "+864333623442"
    assert health["version"] == 2 and health["newest"] == 3
    waiting = health["newest_not_served"]
    assert isinstance(waiting, dict)
    assert (waiting["version"], waiting["author"], waiting["tried_every_seconds"]) == (3, "王芳", 0.0)
    assert "zh/goodbye.wav" in waiting["why"] and f"{second_menus}/prompts.yaml:" in waiting["why"]
    assert second.test_client().get("/health").get_json()["status"] == "degraded"
    assert "audio: {zh: zh/goodbye.wav}" not in (second_menus / "prompts.yaml").read_text(encoding="utf-8")
    assert health_of(first)["version"] == 3 and health_of(first)["newest_not_served"] is None
    # A restarted second server starts on its folder, version 2, and says the same.
    restarted = make_app(MENUS_DIR=str(second_menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "i2"))
    assert health_of(restarted)["version"] == 2
    assert health_of(restarted)["newest_not_served"] is not None

    # A restore of version 2 is the newest, and the second server serves it: no saved copy kept for good.
    restore(versions, menus, 2, "张三", 3)
    health = health_of(second)
    assert (health["version"], health["newest"], health["newest_not_served"], health["saved_copy"]) == (
        4, 4, None, False)
    assert health_of(first)["version"] == 4
    # Version 3 again, as version 5: refused here again; then the recording arrives and it is taken.
    restore(versions, menus, 3, "王芳", 4)
    health = health_of(second)
    assert (health["version"], health["newest"]) == (4, 5)
    assert isinstance(health["newest_not_served"], dict) and health["newest_not_served"]["version"] == 5
    shutil.copy(tmp_path / "second" / "audio" / "zh" / "greeting.wav",
                tmp_path / "second" / "audio" / "zh" / "goodbye.wav")

    health = health_of(second)

    assert (health["version"], health["newest"], health["newest_not_served"]) == (5, 5, None)
    assert "audio: {zh: zh/goodbye.wav}" in (second_menus / "prompts.yaml").read_text(encoding="utf-8")
    assert second.test_client().get("/health").get_json()["status"] == "ok"
    assert [v.id for v in versions.history()] == [5, 4, 3, 2, 1]  # the second server published nothing itself
    assert marriage_office_number(Provider(second.test_client())) == "+864333623442"


def test_the_console_health_page_says_which_version_is_served_and_why_not_the_newest(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    app = console_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "instance"))
    other = server_folder(menus, tmp_path / "other")
    shutil.copy(other.parent / "audio" / "zh" / "greeting.wav", other.parent / "audio" / "zh" / "goodbye.wav")
    publish(versions, other, {"prompts.yaml": recorded_goodbye((other / "prompts.yaml").read_text("utf-8"))},
            "王芳", base=1)
    viewer = app.test_client()
    response = viewer.post("/admin/login", data={"csrf_token": csrf_token(viewer), "username": "viewer",
                                                 "password": "viewer password 3"})
    assert response.status_code == 302
    app.extensions["ivr.menus"].sync()

    page = page_text(viewer.get("/admin/health"))
    korean = page_text(viewer.get("/admin/health?lang=ko"))

    assert '<td id="health-version">1</td>' in page
    assert "王芳 在 " in page
    assert " 发布的第 2 版在这台服务器上通不过检查（见下），所以来电者仍听上面的版本；每 10 秒再试一次" in page
    assert "zh/goodbye.wav" in page
    assert "왕" not in korean and "王芳님이 " in korean and "에 발표한 2번 판본은 이 봉사기에서 검사를" in korean
    assert marriage_office_number(Provider(app.test_client())) == MARRIAGE


def test_a_hand_edit_made_on_an_older_version_is_set_aside_not_published_over_the_newer_one(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "first"))
    second_menus = server_folder(menus, tmp_path / "second")
    second = make_app(MENUS_DIR=str(second_menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "i2"))
    publish(versions, menus, {"units.yaml": units_text(menus).replace("0433-3623441", "0433-3623442")}, "王芳",
            base=1)
    edited = units_text(second_menus).replace("0433-3624942", "0433-3624943")  # on version 1, before it looked
    (second_menus / "units.yaml").write_text(edited, encoding="utf-8")

    health = health_of(second)

    assert [(v.id, v.author) for v in versions.history()] == [(2, "王芳"), (1, HAND_EDIT)]
    assert health["version"] == 2 and "0433-3623442" in units_text(second_menus)
    kept = list((tmp_path / "i2" / "menus-edits-set-aside").iterdir())
    assert len(kept) == 1 and kept[0].name.endswith("-edited-on-version-1")
    assert (kept[0] / "units.yaml").read_text(encoding="utf-8") == edited


def test_a_server_restarted_without_a_recording_leaves_its_saved_copy_once_the_recording_is_back(
        menus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.web.following, "RETRY_SECONDS", 0.0)
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "instance"))
    greeting = menus.parent / "audio" / "zh" / "greeting.wav"
    kept = greeting.read_bytes()
    greeting.unlink()
    restarted = make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "instance"))
    health = health_of(restarted)
    assert health["saved_copy"] is True and "zh/greeting.wav" in str(health["rejected_edit"])
    assert health["version"] == 1  # the saved copy has version 1's texts

    greeting.write_bytes(kept)
    health = health_of(restarted)

    assert (health["saved_copy"], health["rejected_edit"], health["version"]) == (False, None, 1)
    assert health["source"] == str(menus)


def test_a_server_on_its_saved_copy_takes_a_newer_version_that_loads_there(
        menus: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    versions = versions_of(url)
    make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "instance"))
    (menus.parent / "audio" / "zh" / "greeting.wav").unlink()
    restarted = make_app(MENUS_DIR=str(menus), DATABASE_URL=url, INSTANCE_DIR=str(tmp_path / "instance"))
    assert health_of(restarted)["saved_copy"] is True
    first = versions.get(1)
    assert first is not None
    said = "    audio: {zh: zh/greeting.wav, ko: ko/greeting.wav}\n"
    assert first.files["prompts.yaml"].count(said) == 1
    korean_only = first.files["prompts.yaml"].replace(said, "    audio: {ko: ko/greeting.wav}\n")
    without = {**first.files, "prompts.yaml": korean_only}
    versions.publish(without, "张三", "the Mandarin greeting synthesized", datetime.now(UTC), 1)

    health = health_of(restarted)

    assert (health["saved_copy"], health["rejected_edit"], health["version"], health["newest"]) == (False, None, 2, 2)
    assert "zh/greeting.wav" not in (menus / "prompts.yaml").read_text(encoding="utf-8")
