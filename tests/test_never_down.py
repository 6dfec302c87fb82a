"""Never down, in-process: last good menus that outlive the app, recordings checked at request time, safe logs."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import ivr.web.audio
import ivr.web.menus
from ivr.cli import main
from ivr.core.loader import load_hotline
from ivr.core.problems import MenuError
from ivr.paths import PROJECT_ROOT
from tests.conftest import BUNDLED_MENUS, Editor, Provider, make_app, twiml
from tests.test_hostile_menus import ALIAS_BOMB

CALL = {"CallSid": "CA" + "5" * 32, "From": "+8613812345678", "To": "+864333622075"}
# The shipped menus' marriage office, key 2 of their main menu, as loaded (so a new number for it fails only the
# shipped-menus tests): these tests publish and serve a changed copy of the shipped menus, recordings included.
MARRIAGE = str(load_hotline(BUNDLED_MENUS).units["marriage_registry"].phone)


def marriage_office_number(provider: Provider) -> str | None:
    root = twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"}))
    return root.findtext("Dial/Number")


def test_a_server_started_on_a_broken_folder_serves_the_last_good_copy(menus: Path, edit: Editor,
                                                                       tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    make_app(MENUS_DIR=str(menus), INSTANCE_DIR=str(instance))  # a good version, seen once, is saved
    line = edit("menu.yaml", "main:", "main: [unclosed")

    restarted = make_app(MENUS_DIR=str(menus), INSTANCE_DIR=str(instance))

    assert marriage_office_number(Provider(restarted.test_client())) == MARRIAGE
    health = restarted.test_client().get("/health/details").get_json()
    assert health["status"] == "degraded"
    assert health["menus"]["saved_copy"] is True
    assert health["menus"]["source"].startswith(f"the last good copy of {menus}, saved ")
    assert re.match(rf"{re.escape(str(menus))}/menu.yaml:{line} the '\[' opened on this line is never closed",
                    health["menus"]["rejected_edit"])


def test_without_any_good_version_ever_the_app_refuses_to_start(menus: Path, edit: Editor, tmp_path: Path) -> None:
    edit("menu.yaml", "main:", "main: [unclosed")
    with pytest.raises(MenuError, match=r"menu\.yaml:\d+ the '\[' opened on this line is never closed"):
        make_app(MENUS_DIR=str(menus), INSTANCE_DIR=str(tmp_path / "fresh"))


def test_the_last_good_copy_keeps_its_recordings_when_one_is_deleted_and_the_server_restarts(
        menus: Path, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    make_app(MENUS_DIR=str(menus), INSTANCE_DIR=str(instance))
    (menus.parent / "audio" / "zh" / "greeting.wav").unlink()

    restarted = Provider(make_app(MENUS_DIR=str(menus), INSTANCE_DIR=str(instance)).test_client())
    greeting = twiml(restarted.post("/voice", CALL))

    assert greeting.find("Gather/Play").text == "/audio/zh/greeting.wav"
    served = restarted.client.get("/audio/zh/greeting.wav")
    assert served.status_code == 200
    assert served.data[:4] == b"RIFF"


def test_a_recording_deleted_after_start_is_spoken_instead_and_its_url_is_404(menus: Path) -> None:
    provider = Provider(make_app(MENUS_DIR=str(menus)).test_client())
    assert twiml(provider.post("/voice", CALL)).find("Gather/Play").text == "/audio/zh/greeting.wav"
    (menus.parent / "audio" / "zh" / "greeting.wav").unlink()

    greeting = twiml(provider.post("/voice", CALL))

    first = greeting.find("Gather")[0]
    assert first.tag == "Say"
    assert first.get("language") == "cmn-CN"
    assert first.text.startswith("您好")
    assert provider.client.get("/audio/zh/greeting.wav").status_code == 404


def test_a_symlink_placed_in_the_audio_folder_after_start_is_not_served(menus: Path) -> None:
    app = make_app(MENUS_DIR=str(menus))
    recording = menus.parent / "audio" / "zh" / "greeting.wav"
    recording.unlink()
    recording.symlink_to("/etc/passwd")
    assert app.test_client().get("/audio/zh/greeting.wav").status_code == 404


def test_a_hostile_file_saved_into_a_running_service_is_refused_while_callers_are_answered(
        menus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.web.menus, "CHECK_EVERY_SECONDS", 0.0)
    app = make_app(MENUS_DIR=str(menus))
    provider = Provider(app.test_client())
    calendar = menus / "calendar.yaml"
    good = calendar.read_text(encoding="utf-8")
    hostile = {"alias bomb": good + ALIAS_BOMB,
               "deep nesting": good + "deep: " + "[" * 5000 + "]" * 5000 + "\n",
               "50 MB": good + ("# " + "x" * 1000 + "\n") * 50_000}
    for name, text in hostile.items():
        calendar.write_text(text, encoding="utf-8")
        started = time.monotonic()
        assert marriage_office_number(provider) == MARRIAGE, name
        assert time.monotonic() - started < 1, name
        rejected = app.test_client().get("/health/details").get_json()["menus"]["rejected_edit"]
        assert re.match(rf"{menus}/calendar.yaml:\d+ ", rejected), (name, rejected)


def test_forged_log_lines_and_huge_values_never_reach_the_log(provider: Provider,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    forged = "1\n2026-11-27 07:00:00,000 CRITICAL ivr: the database was deleted"
    with caplog.at_level(logging.INFO):
        provider.post("/voice", {**CALL, "To": "+86\u2028433\x1b[2J"})
        provider.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": forged})
        provider.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "9" * 10_000_000})
        provider.post("/voice/status", {**CALL, "CallStatus": "completed\x1b[31m\r\nFAKE", "CallDuration": "7\n8"})
        provider.post("/voice/recording?unit=x", {**CALL, "RecordingSid": "RE\nforged", "RecordingStatus": "\x00"})
    messages = [record.getMessage() for record in caplog.records if record.name.startswith("ivr")]
    assert len(messages) >= 5
    for message in messages:
        assert "\n" not in message and "\r" not in message and "\x1b" not in message and "\u2028" not in message
        assert len(message) < 600
    assert any("(key 1\\x0a2026-11-27 07:00:00,000 CRITICAL ivr: the database was dele…)" in m for m in messages)


def test_nothing_but_the_settings_reads_the_environment() -> None:
    readers = [str(path.relative_to(PROJECT_ROOT)) for path in (PROJECT_ROOT / "ivr").rglob("*.py")
               if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))]
    assert readers == ["ivr/settings.py"]


def test_fallback_twiml_prints_the_document_for_a_provider_hosted_bin() -> None:
    result = CliRunner().invoke(main, ["fallback-twiml"], env={"IVR_FALLBACK_NUMBER": "0433-3622075"})
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout)
    assert [child.tag for child in root] == ["Say", "Say", "Dial", "Say", "Say", "Hangup"]
    assert [root[0].get("language"), root[1].get("language")] == ["cmn-CN", "ko-KR"]
    assert root.findtext("Dial") == "+864333622075"


def test_a_fresh_sqlite_database_is_migrated_once_by_workers_starting_together(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "ivr.sqlite3"
    code = ("import sys; from ivr.store.database import Store, prepare_embedded_sqlite; "
            "prepare_embedded_sqlite(Store.from_url(sys.argv[1]))")
    workers = [subprocess.Popen([sys.executable, "-c", code, f"sqlite:///{database}"], cwd=PROJECT_ROOT,
                                stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [worker.communicate(timeout=60)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 6, errors
    assert all("Traceback" not in text and "already exists" not in text for text in errors), errors


def test_where_a_recording_was_found_is_kept_only_while_its_folders_are_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audio, zh, ko = tmp_path / "audio", tmp_path / "audio" / "zh", tmp_path / "audio" / "ko"
    zh.mkdir(parents=True)
    ko.mkdir()
    target = ko / "a.wav"
    target.write_bytes(b"RIFF")
    (zh / "a.wav").symlink_to(target)
    resolved = []
    resolve = ivr.web.audio._resolve
    monkeypatch.setattr(ivr.web.audio, "_resolve", lambda *args: resolved.append(args) or resolve(*args))

    quiet_since = iter(range(1_000_000_000, 2_000_000_000, 1_000_000))

    def quiet_for_long() -> None:  # as if the folders had last changed long ago, each time a little later
        moment = next(quiet_since)
        for folder in (audio, zh, ko):
            os.utime(folder, ns=(moment, moment))

    def found() -> Path | None:
        return ivr.web.audio.recording_file(str(audio), "zh/a.wav")

    assert found() == target and found() == target and len(resolved) == 2  # just changed: not kept yet
    quiet_for_long()
    assert found() == target and found() == target and len(resolved) == 3  # kept
    target.unlink()  # the link's target goes: its folder changes
    assert found() is None
    target.write_bytes(b"RIFF")
    quiet_for_long()
    assert found() == target
    (zh / "a.wav").unlink()
    (zh / "a.wav").symlink_to("/etc/passwd")  # re-pointed outside the folder
    assert found() is None
    (zh / "a.wav").unlink()
    (zh / "a.wav").write_bytes(b"RIFF")
    quiet_for_long()
    assert found() == zh / "a.wav" and found() == zh / "a.wav"
    shutil.rmtree(zh)
    zh.mkdir()  # a new, empty folder under the old name
    assert found() is None
