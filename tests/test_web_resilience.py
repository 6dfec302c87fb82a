"""Never an "application error": apologies, the fallback, last good menus, and settings checked at start."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

import ivr.web.menus
from ivr.core.flow import CallFlow
from ivr.core.problems import MenuError
from ivr.web import ConfigError, create_app
from ivr.web.twiml import clean_speech
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, SECRET_KEY, TOKEN, Editor, Provider, make_app, twiml

CALL = {"CallSid": "CAfeedface", "From": "+8613812345678", "To": "+864333622075"}


def explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("simulated bug in the call flow")


def test_an_unexpected_error_while_open_apologises_and_puts_the_caller_through_to_the_main_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    provider = Provider(make_app(FROZEN_TIME=OPEN_WEEKDAY).test_client())
    monkeypatch.setattr(CallFlow, "decide", explode)
    with caplog.at_level(logging.ERROR):
        root = twiml(provider.post("/voice/step?node=menu%3Amain&lang=ko", {**CALL, "Digits": "2"}))
    assert [verb.tag for verb in root] == ["Say", "Dial"]
    assert root[0].text == "죄송합니다. 시스템에 잠시 문제가 생겼습니다."
    assert root.findtext("Dial/Number") == "+864333622075"
    assert any("CAfeedface" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_unexpected_error_while_closed_apologises_and_says_goodbye(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Provider(make_app(FROZEN_TIME=CLOSED_EVENING).test_client())
    monkeypatch.setattr(CallFlow, "decide", explode)
    root = twiml(provider.post("/voice", CALL))
    assert [verb.tag for verb in root] == ["Say", "Say", "Hangup"]
    assert [verb.text for verb in root[:2]] == ["对不起，系统暂时出现故障。", "感谢您的来电，再见。"]


def test_when_even_the_apology_fails_the_fallback_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Provider(make_app().test_client())
    monkeypatch.setattr(CallFlow, "decide", explode)
    monkeypatch.setattr("ivr.core.schedule.OfficeHours.status", explode)
    monkeypatch.setattr("ivr.core.schedule.OfficeHours.is_open", explode)
    root = twiml(provider.post("/voice", CALL))
    assert [verb.tag for verb in root] == ["Say", "Say", "Dial", "Say", "Say", "Hangup"]
    assert root.findtext("Dial") == "+864333622075"


def test_the_fallback_url_needs_neither_menus_nor_database(tmp_path: Path, menus: Path) -> None:
    app = make_app(MENUS_DIR=str(menus), DATABASE_URL=f"sqlite:///{tmp_path}/gone/nowhere.db")
    shutil.rmtree(menus)
    root = twiml(Provider(app.test_client()).post("/voice/fallback", {**CALL, "ErrorCode": "11200"}))
    assert root[0].text == "对不起，系统暂时出现故障，正在为您转接总机。"
    assert root[0].get("voice") == "Polly.Zhiyu"
    assert root[1].get("language") == "ko-KR"
    assert root.findtext("Dial") == "+864333622075"


def test_a_valid_menu_edit_is_taken_and_a_broken_one_keeps_the_last_good_menus(
    menus: Path, edit: Editor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ivr.web.menus, "CHECK_EVERY_SECONDS", 0.0)
    provider = Provider(make_app(MENUS_DIR=str(menus)).test_client())
    edit("prompts.yaml", "zh: 感谢您的来电，再见。", "zh: 谢谢来电，再见。")
    goodbye = twiml(provider.post("/voice/step?node=dialed%3Abureau&lang=zh",
                                     {**CALL, "DialCallStatus": "completed"}))
    assert goodbye[0].text == "谢谢来电，再见。"
    edit("units.yaml", "phone: 0433-3623441", "phone: 0433-362344")
    with caplog.at_level(logging.ERROR, logger="ivr.web.menus"):
        forwarded = twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"}))
    assert forwarded.findtext("Dial/Number") == "+864333623441"
    assert any("'0433-362344' is not a valid Chinese phone number" in r.getMessage() for r in caplog.records)
    assert any("keep hearing the last good menus" in r.getMessage() for r in caplog.records)


def test_the_service_refuses_to_start_with_broken_menus_or_settings(menus: Path, edit: Editor) -> None:
    with pytest.raises(ConfigError, match="CALLER_ID: '12345' is not a valid phone number"):
        make_app(CALLER_ID="12345")
    with pytest.raises(ConfigError, match="FROZEN_TIME: 'noon' is not an ISO-8601 date and time"):
        make_app(FROZEN_TIME="noon")
    edit("menu.yaml", "unit: funeral_office", "unit: funeral")
    with pytest.raises(MenuError, match="'funeral' is not a unit"):  # no good version was ever saved here
        create_app({"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET_KEY, "MENUS_DIR": str(menus),
                    "INSTANCE_DIR": str(menus.parent / "i")})


def test_settings_come_from_the_environment_with_the_ivr_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("IVR_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("IVR_FROZEN_TIME", "2026-10-01T09:00+08:00")
    monkeypatch.setenv("IVR_CALLER_ID", "0433-3622075")
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://hotline.example.cn")
    app = create_app()
    assert app.extensions["ivr.settings"].caller_id == "+864333622075"
    provider = Provider(app.test_client(), base_url="https://hotline.example.cn")
    root = twiml(provider.post("/voice/step?node=menu%3Amain&lang=zh", {**CALL, "Digits": "2"}))
    assert root.findtext("Gather/Say") == "图们市民政局婚姻登记处现在不办公：国庆节放假。"


def test_responses_carry_content_length_and_control_characters_are_not_spoken(provider: Provider) -> None:
    response = provider.post("/voice", CALL)
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert clean_speech("您好\x07，\x00再见\u200b") == "您好，再见"


def test_health_reports_menus_database_and_waiting_events(tmp_path: Path, menus: Path, edit: Editor) -> None:
    app = make_app(MENUS_DIR=str(menus), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                   OUTBOX_DIR=str(tmp_path / "outbox"))
    client = app.test_client()
    assert client.get("/health/details").get_json() == {
        "status": "ok", "menus": {"units": 18, "source": str(menus), "saved_copy": False, "rejected_edit": None,
                                  "version": 1, "newest": 1, "newest_not_served": None},
        "database": "ok", "events_waiting": 0, "events_set_aside": 0, "events_in_memory": 0, "events_dropped": 0,
        "holiday_notice_missing": {  # on 2026-11-26: a notice of 2027 is in neither chinese-calendar nor calendar.yaml
            "year": 2027, "warned_since": "2026-11-02",
            "what": "the State Council's holiday notice for 2027 is in neither chinese-calendar nor calendar.yaml: "
                    "2027 uses the statutory holidays only, without make-up working days; enter it at "
                    "/admin/edit/notice"}}
    edit("units.yaml", "phone: 0433-3623441", "phone: 0433-362344")
    (tmp_path / "db.sqlite3").unlink()
    (tmp_path / "db.sqlite3").mkdir()  # the database file is gone and cannot be recreated
    Provider(client).post("/voice", CALL)
    app.extensions["ivr.recorder"].flush()  # the writer tries, and leaves the event waiting
    report = client.get("/health/details").get_json()
    assert report["status"] == "degraded"
    assert report["database"].startswith("unreachable (OperationalError: (sqlite3.OperationalError) unable to open "
                                         "database file")
    assert report["database"].endswith("; the writer tries it again in a few seconds")
    assert report["events_waiting"] == 1
    assert "'0433-362344' is not a valid Chinese phone number" in report["menus"]["rejected_edit"]
