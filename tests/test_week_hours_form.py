"""The hours-by-weekday form over HTTP: a weekday added (Saturday hours) or taken away, each change from a date
edited with its own fields, an office's own hours copying its changes, mistakes refused at their field, and the live
preview of the hours callers hear in both languages, from the core's own sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.simulator import Ending
from ivr.store.drafts import Drafts
from tests.conftest import Editor, place_call
from tests.console import console_app, csrf_token, log_in, records
from tests.test_console_forms_http import text

# The marriage office keeps 08:30-16:00 on weekdays; from 2027-03-01 (a test date), 09:00-17:00.
MARRIAGE_CHANGE = ('    hours: ["08:30-16:00"]\n',
                   '    hours: ["08:30-16:00"]\n    changes:\n      - from: 2027-03-01\n'
                   '        hours: ["09:00-17:00"]\n')


@pytest.fixture
def app(menus: Path, tmp_path: Path) -> Flask:
    return console_app(MENUS_DIR=str(menus), DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}")


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in(client, "editor")
    return client


def form_fields(page: str) -> dict[str, tuple[str, str]]:
    """Every field of a weekday form by its label: (its name, its value; 'on' or '' for a box)."""
    labels = dict((f, label) for f, label in re.findall(r'<label for="([^"]+)">([^<]+)</label>', page))
    found: dict[str, tuple[str, str]] = {}
    for tag in re.findall(r"<input [^>]+>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name.group(1) not in labels:
            continue
        if 'type="checkbox"' in tag:
            found[labels[name.group(1)]] = (name.group(1), "on" if " checked" in tag else "")
        else:
            value = re.search(r'value="([^"]*)"', tag)
            found[labels[name.group(1)]] = (name.group(1), value.group(1) if value else "")
    return found


def submission(fields: dict[str, tuple[str, str]], **changes: str) -> dict[str, str]:
    """The form as a browser sends it, with some fields changed by their labels (a box: 'on' or '')."""
    values = {label: value for label, (_, value) in fields.items()} | changes
    return {"workdays_shown": "1", **{fields[label][0]: value for label, value in values.items()
                                      if value or not fields[label][0].startswith("works-")}}


def edited(app: Flask, edit: Editor, old: str, new: str) -> None:
    """Edit a menus file by hand and have the console serve it at once (it would within 2 s)."""
    edit("schedules.yaml", old, new)
    app.extensions["ivr.menus"].refresh()


def check(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str]:
    sent = client.post(path, data={"csrf_token": csrf_token(client, "/admin/edit"), **data}, follow_redirects=True)
    return sent.status_code, text(sent)


def publish(client: FlaskClient, page: str) -> None:
    number = re.search(r'name="draft" value="(\d+)"', page)
    assert number, page
    done = client.post("/admin/edit/publish", data={"csrf_token": csrf_token(client, "/admin/edit"),
                                                    "draft": number.group(1)})
    assert done.status_code == 302, text(done)


def test_saturday_hours_are_added_to_a_schedule_and_callers_on_a_saturday_are_put_through(
        editor: FlaskClient, menus: Path) -> None:
    page = text(editor.get("/admin/edit/schedule/marriage/week"))
    fields = form_fields(page)
    assert fields["周六办公"] == ("works-0-5", "") and fields["周五办公"] == ("works-0-4", "on")
    assert fields["冬季周六"][1] == "" and fields["冬季周五"][1] == "08:30-16:00"
    assert '<fieldset id="version-0"><legend>现在的办公时间</legend>' in page
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(
        fields, 周六办公="on", 夏季周六="09:00-12:00", 冬季周六="09:00-12:00"))
    assert status == 200 and 'id="publish"' in page, page
    assert "-    days: [mon, tue, wed, thu, fri]" in page
    assert "+    days: [mon-sat]" in page
    assert '+    hours: {mon-fri: ["08:30-16:00"], sat: ["09:00-12:00"]}' in page
    assert 'value="婚姻登记处办公时间：夏季周六 09:00-12:00；冬季周六 09:00-12:00"' in page
    publish(editor, page)
    # Saturday 28 November 2026 (winter): Mandarin (1), marriage (2).
    morning = place_call("2026-11-28T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert morning.outcome is not None and morning.outcome.kind == Ending.FORWARDED
    assert str(morning.outcome.number) == "+864333623441"
    afternoon = place_call("2026-11-28T13:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert afternoon.outcome is not None and afternoon.outcome.kind != Ending.FORWARDED
    assert "图们市民政局婚姻登记处现在不办公：今天已经下班。" in afternoon.heard()


def test_a_weekday_is_taken_away_and_the_working_days_follow(editor: FlaskClient, menus: Path) -> None:
    fields = form_fields(text(editor.get("/admin/edit/schedule/standard/week")))
    status, page = check(editor, "/admin/edit/schedule/standard/week", submission(
        fields, 周五办公="", 夏季周五="", 冬季周五=""))
    assert status == 200 and 'id="publish"' in page, page
    assert "-    days: [mon-fri]\n+    days: [mon-thu]" in page
    assert 'value="机关办公时间：夏季周五 不办公；冬季周五 不办公"' in page
    publish(editor, page)
    assert "    days: [mon-thu]\n    hours:\n      summer:" in (menus / "schedules.yaml").read_text(encoding="utf-8")
    friday = place_call("2026-11-27T10:00:00+08:00", "0", MENUS_DIR=str(menus))  # the operator: the bureau
    assert friday.outcome is not None and friday.outcome.kind != Ending.FORWARDED


def test_each_change_from_a_date_has_its_own_fields_and_is_edited_alone(app: Flask, editor: FlaskClient,
                                                                       menus: Path, edit: Editor) -> None:
    edited(app, edit, *MARRIAGE_CHANGE)
    page = text(editor.get("/admin/edit/schedule/marriage/week"))
    fields = form_fields(page)
    assert '<fieldset id="version-1"><legend>从 2027-03-01 起的办公时间</legend>' in page
    assert fields["2027-03-01起冬季周五"][1] == "09:00-17:00" and fields["冬季周五"][1] == "08:30-16:00"
    assert fields["2027-03-01起周六办公"] == ("works-1-5", "")
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(
        fields, **{"2027-03-01起夏季周五": "09:00-15:30", "2027-03-01起冬季周五": "09:00-15:30"}))
    assert status == 200 and 'id="publish"' in page, page
    assert '-        hours: ["09:00-17:00"]\n+        hours: {mon-thu: ["09:00-17:00"], fri: ["09:00-15:30"]}' in page
    assert '    hours: ["08:30-16:00"]\n' in (menus / "schedules.yaml").read_text(encoding="utf-8")
    assert "+    hours" not in page  # the hours before the change are not written again
    publish(editor, page)
    friday = place_call("2027-03-05T15:45:00+08:00", "12", MENUS_DIR=str(menus))
    assert friday.outcome is not None and friday.outcome.kind != Ending.FORWARDED
    thursday = place_call("2027-03-04T16:30:00+08:00", "12", MENUS_DIR=str(menus))
    assert thursday.outcome is not None and thursday.outcome.kind == Ending.FORWARDED


def test_a_day_added_before_a_change_leaves_the_change_s_own_working_days(app: Flask, editor: FlaskClient,
                                                                         menus: Path, edit: Editor) -> None:
    # The change names no days: it kept Monday to Friday; a Saturday added before it must not reach it.
    edited(app, edit, *MARRIAGE_CHANGE)
    fields = form_fields(text(editor.get("/admin/edit/schedule/marriage/week")))
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(
        fields, 周六办公="on", 夏季周六="09:00-12:00", 冬季周六="09:00-12:00"))
    assert status == 200 and 'id="publish"' in page, page
    assert "+        days: [mon-fri]" in page
    publish(editor, page)
    saturday_now = place_call("2026-11-28T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert saturday_now.outcome is not None and saturday_now.outcome.kind == Ending.FORWARDED
    saturday_then = place_call("2027-03-06T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert saturday_then.outcome is not None and saturday_then.outcome.kind != Ending.FORWARDED


def test_an_office_s_own_hours_keep_the_changes_of_the_schedule_it_shared(app: Flask, editor: FlaskClient,
                                                                          menus: Path, edit: Editor) -> None:
    edited(app, edit, "      winter: [\"08:00-11:30\", \"13:00-16:30\"]\n",
         "      winter: [\"08:00-11:30\", \"13:00-16:30\"]\n    changes:\n      - from: 2027-03-01\n"
         "        hours: [\"08:30-12:00\", \"13:30-17:00\"]\n")
    fields = form_fields(text(editor.get("/admin/edit/unit/employment_bureau/own-hours")))
    status, page = check(editor, "/admin/edit/unit/employment_bureau/own-hours", submission(
        fields, 周六办公="on", 夏季周六="08:30-11:30", 冬季周六="08:30-11:30"))
    assert status == 200 and 'id="publish"' in page, page
    publish(editor, page)
    schedules = (menus / "schedules.yaml").read_text(encoding="utf-8")
    own = schedules[schedules.index("  employment_bureau:"):]
    assert "    days: [mon-sat]\n" in own
    assert "    changes:\n      - from: 2027-03-01\n        days: [mon-fri]\n" in own
    saturday = place_call("2026-11-28T10:00:00+08:00", "131", MENUS_DIR=str(menus))
    assert saturday.outcome is not None and str(saturday.outcome.number) == "+864333668523"
    bureau = place_call("2026-11-28T10:00:00+08:00", "0", MENUS_DIR=str(menus))
    assert bureau.outcome is not None and bureau.outcome.kind != Ending.FORWARDED  # the others keep their weekend


def test_mistakes_are_refused_at_their_field_and_nothing_is_kept(app: Flask, editor: FlaskClient) -> None:
    fields = form_fields(text(editor.get("/admin/edit/schedule/marriage/week")))
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(fields, 冬季周六="09:00-12:00"))
    assert status == 422
    assert (f'<ul class="field-error" id="{fields["冬季周六"][0]}-error"><li>冬季周六填了时间，'
            "但这天没有勾选为办公日：请勾选“周六办公”，或者清空这一格。</li></ul>") in page
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(
        fields, **{f"周{d}办公": "" for d in "一二三四五"}))
    assert status == 422 and "至少勾选一个办公的日子" in page
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(fields, 周六办公="on"))
    assert status == 422 and "请填写夏季周六，例如：08:30-12:00, 13:30-17:00。" in page
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(fields, 冬季周五="08：30-16：00"))
    assert status == 422
    assert "冒号要用英文半角的“:”" in page  # the check's own message, in the console's language, at the field
    korean = text(editor.post("/admin/edit/schedule/marriage/week?lang=ko", data={
        "csrf_token": csrf_token(editor, "/admin/edit"), **submission(fields, 冬季周六="09:00-12:00")}))
    assert '겨울철 토요일에 시간을 썼지만 그날을 업무일로 표시하지 않았습니다: "토요일 업무"을(를) 표시하거나' in korean
    assert Drafts(records(app)).of("editor") == []


def test_the_preview_says_the_hours_callers_will_hear_in_both_languages(editor: FlaskClient, menus: Path) -> None:
    page = text(editor.get("/admin/edit/schedule/marriage/week"))
    assert 'data-preview="/admin/edit/schedule/marriage/week/preview"' in page
    fields = form_fields(page)
    typed = submission(fields, 周六办公="on", 夏季周六="09:00-12:00", 冬季周六="09:00-12:00")
    said = editor.get("/admin/edit/schedule/marriage/week/preview", query_string=typed).get_json()
    assert said["zh"] == ("全年：星期一至星期五，上午8点30分至下午4点；星期六，上午9点至中午12点，节假日除外")
    assert said["ko"].startswith("일년 내내: 월요일부터 금요일까지 오전 8시 30분부터 오후 4시까지; 토요일 ")
    assert said["note"] == "来电者听办公室介绍（按1）时听到的办公时间"
    refused = editor.get("/admin/edit/schedule/marriage/week/preview",
                         query_string=submission(fields, 冬季周六="09:00-12:00")).get_json()
    assert refused["zh"] == "" and refused["note"].startswith("冬季周六填了时间")
    own = editor.get("/admin/edit/unit/employment_bureau/own-hours/preview", query_string=submission(
        form_fields(text(editor.get("/admin/edit/unit/employment_bureau/own-hours"))),
        冬季周五="08:00-11:30, 13:00-15:30")).get_json()
    assert own["zh"].splitlines()[1] == ("冬季：星期一至星期四，上午8点至11点30分，下午1点至4点30分；"
                                         "星期五，上午8点至11点30分，下午1点至3点30分，节假日除外")
    # A preview writes nothing.
    assert "employment_bureau:" not in (menus / "schedules.yaml").read_text(encoding="utf-8")


def test_the_form_speaks_korean_in_the_korean_console(editor: FlaskClient) -> None:
    page = text(editor.get("/admin/edit/schedule/marriage/week?lang=ko"))
    fields = form_fields(page)
    assert fields["토요일 업무"] == ("works-0-5", "") and fields["겨울철 금요일"][1] == "08:30-16:00"
    assert '<legend>지금의 업무시간</legend>' in page
    said = editor.get("/admin/edit/schedule/marriage/week/preview",
                      query_string=submission(fields, **{"토요일 업무": "on", "여름철 토요일": "09:00-12:00",
                                                         "겨울철 토요일": "09:00-12:00"})).get_json()
    assert said["ko"] == ("일년 내내: 월요일부터 금요일까지 오전 8시 30분부터 오후 4시까지; "
                          "토요일 오전 9시부터 낮 12시까지, 공휴일 제외")
    assert said["note"] == "전화한 분이 부서 소개(1번)에서 듣는 업무시간"


def test_unknown_schedules_and_offices_are_not_found_and_stray_fields_change_nothing(
        editor: FlaskClient, menus: Path) -> None:
    for path in ("/admin/edit/schedule/nonesuch/week", "/admin/edit/schedule/nonesuch/week/preview",
                 "/admin/edit/unit/nonesuch/own-hours", "/admin/edit/unit/nonesuch/own-hours/preview"):
        assert editor.get(path).status_code == 404, path
    before = (menus / "schedules.yaml").read_text(encoding="utf-8")
    fields = form_fields(text(editor.get("/admin/edit/schedule/marriage/week")))
    # Fields no form has (a day 9, a version 7, a slot far beyond the form's) are ignored: nothing changes.
    status, page = check(editor, "/admin/edit/schedule/marriage/week", {
        **submission(fields), "works-0-9": "on", "works-7-5": "on", "slots-999": "09:00-12:00"})
    assert status == 200 and 'id="unchanged"' in page
    assert (menus / "schedules.yaml").read_text(encoding="utf-8") == before


def test_saturdays_in_summer_only_name_each_season_s_days_and_stay_editable(editor: FlaskClient,
                                                                           menus: Path) -> None:
    fields = form_fields(text(editor.get("/admin/edit/schedule/marriage/week")))
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(
        fields, 周六办公="on", 夏季周六="09:00-12:00"))
    assert status == 200 and 'id="publish"' in page, page
    assert "-    days: [mon, tue, wed, thu, fri]" in page and "+    days:" not in page
    assert ('+      summer: {mon-fri: ["08:30-16:00"], sat: ["09:00-12:00"]}\n'
            '+      winter: {mon-fri: ["08:30-16:00"]}') in page
    publish(editor, page)
    summer = place_call("2027-06-05T10:00:00+08:00", "12", MENUS_DIR=str(menus))  # a Saturday
    assert summer.outcome is not None and summer.outcome.kind == Ending.FORWARDED
    winter = place_call("2026-11-28T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert winter.outcome is not None and winter.outcome.kind != Ending.FORWARDED
    # Opened again, the form keeps winter Saturdays off and checks as it is (nothing to publish).
    editor.application.extensions["ivr.menus"].refresh()
    fields = form_fields(text(editor.get("/admin/edit/schedule/marriage/week")))
    assert fields["周六办公"][1] == "on" and fields["冬季周六"][1] == "" and fields["夏季周六"][1] == "09:00-12:00"
    status, page = check(editor, "/admin/edit/schedule/marriage/week", submission(fields))
    assert status == 200 and 'id="unchanged"' in page, page
