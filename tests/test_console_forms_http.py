"""The console's routine changes as staff make them over HTTP: hours by weekday, an office's own hours in one edit,
drafts kept on the server until published or discarded, a note in words beside each version, restore and
"called back" confirmed and undone, mistakes stopped at their field, and a viewer refused inside the layout."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.core.loader import load_hotline
from ivr.simulator import Ending
from ivr.store.drafts import Drafts
from ivr.store.staff import StaffStore
from ivr.store.versions import PublishedVersions
from tests.conftest import BUNDLED_MENUS, make_app, place_call
from tests.console import WINTER_WEEKDAY_10AM, console_app, csrf_token, leave_message, log_in, records

FRIDAY_WINTER = {"slots-0": "08:00-11:30, 13:00-16:30", "slots-1": "08:00-11:30, 13:00-16:30",
                 "slots-2": "08:00-11:30, 13:00-16:30", "slots-3": "08:00-11:30, 13:00-16:30",
                 "slots-4": "08:00-11:30, 13:00-15:30"}


@pytest.fixture
def app(menus: Path, tmp_path: Path) -> Flask:
    return console_app(MENUS_DIR=str(menus), DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}")


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in(client, "editor")
    return client


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def others_sharing_hours(unit_id: str) -> int:
    """How many other units of the shipped menus keep the unit's schedule (counted, so an added office counts)."""
    hotline = load_hotline(BUNDLED_MENUS)
    return sum(u.schedule is hotline.units[unit_id].schedule for u in hotline.units.values()) - 1


def season_fields(page: str) -> dict[str, str]:
    """The label of each hours field of a weekday form, by the field's name."""
    return {name: label for name, label in re.findall(r'<label for="(slots-\d+)">([^<]+)</label>', page)}


def test_an_office_gets_its_own_friday_hours_in_one_edit_and_one_publish(app: Flask, editor: FlaskClient,
                                                                          menus: Path) -> None:
    unit_page = text(editor.get("/admin/edit/unit/employment_bureau"))
    assert f"和另外 {others_sharing_hours('employment_bureau')} 个单位共用这个办公时间。" in unit_page
    assert 'href="/admin/edit/unit/employment_bureau/own-hours"' in unit_page
    form = text(editor.get("/admin/edit/unit/employment_bureau/own-hours"))
    labels = season_fields(form)
    assert [labels[f"slots-{i}"] for i in range(10)] == [
        "夏季周一", "夏季周二", "夏季周三", "夏季周四", "夏季周五",
        "冬季周一", "冬季周二", "冬季周三", "冬季周四", "冬季周五"]
    assert 'id="slots-9" name="slots-9" type="text" value="08:00-11:30, 13:00-16:30"' in form
    typed = {**{f"slots-{i}": "08:30-12:00, 13:30-17:00" for i in range(4)}, "slots-4": "08:30-12:00, 13:30-15:30",
             **{f"slots-{i + 5}": v for i, v in enumerate(FRIDAY_WINTER.values())}}
    checked = editor.post("/admin/edit/unit/employment_bureau/own-hours",
                          data={"csrf_token": csrf_token(editor, "/admin/edit"), **typed})
    assert checked.status_code == 303 and checked.headers["Location"].startswith("/admin/drafts/")
    draft = text(editor.get(checked.headers["Location"]))
    assert ('value="图们市就业服务局：单独的办公时间（夏季周五 08:30-12:00, 13:30-15:30；'
            '冬季周五 08:00-11:30, 13:00-15:30）"') in draft
    number = checked.headers["Location"].rsplit("/", 1)[1]
    published = editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                         "draft": number, "note": "就业服务局：周五 15:30 下班"})
    assert published.status_code == 302, text(published)
    schedules = (menus / "schedules.yaml").read_text(encoding="utf-8")
    assert ("  employment_bureau:\n    name: {zh: 图们市就业服务局办公时间, ko: 도문시 취업봉사국 업무시간}\n"
            "    days: [mon-fri]\n    hours:\n"
            '      summer: {mon-thu: ["08:30-12:00", "13:30-17:00"], fri: ["08:30-12:00", "13:30-15:30"]}\n'
            '      winter: {mon-thu: ["08:00-11:30", "13:00-16:30"], fri: ["08:00-11:30", "13:00-15:30"]}\n'
            ) in schedules
    assert "# The bureau and most sub-agencies: Monday to Friday, with a lunch break." in schedules
    assert "    schedule: employment_bureau\n" in (menus / "units.yaml").read_text(encoding="utf-8")
    assert PublishedVersions(records(app)).history()[0].note == "就业服务局：周五 15:30 下班"
    assert "就业服务局：周五 15:30 下班" in text(editor.get("/admin/versions"))
    # Callers: Friday 27 November 2026 (winter), employment is 3 then 1 after the language (1).
    late = place_call("2026-11-27T15:45:00+08:00", "131", MENUS_DIR=str(menus))
    assert "图们市就业服务局现在不办公：今天已经下班。" in late.heard()
    assert late.outcome is not None and late.outcome.kind != Ending.FORWARDED
    early = place_call("2026-11-27T15:15:00+08:00", "131", MENUS_DIR=str(menus))
    assert early.outcome is not None and early.outcome.kind == Ending.FORWARDED
    assert str(early.outcome.number) == "+864333668523"
    # The sixteen others keep the shared hours: the bureau at 15:45 that Friday is open.
    bureau = place_call("2026-11-27T15:45:00+08:00", "0", MENUS_DIR=str(menus))
    assert bureau.outcome is not None and bureau.outcome.kind == Ending.FORWARDED


def test_a_schedule_split_by_weekday_for_every_unit_sharing_it(editor: FlaskClient, menus: Path) -> None:
    form = text(editor.get("/admin/edit/schedule/marriage/week"))
    assert [v for _, v in sorted(season_fields(form).items())][:2] == ["夏季周一", "冬季周一"] or \
        season_fields(form)["slots-5"] == "冬季周一"
    typed = {f"slots-{i}": "08:30-16:00" for i in range(10)} | {"slots-4": "08:30-15:30", "slots-9": "08:30-15:30"}
    checked = editor.post("/admin/edit/schedule/marriage/week",
                          data={"csrf_token": csrf_token(editor, "/admin/edit"), **typed}, follow_redirects=True)
    page = text(checked)
    assert checked.status_code == 200 and 'id="valid"' in page, page
    assert '+    hours: {mon-thu: ["08:30-16:00"], fri: ["08:30-15:30"]}' in page  # the same in both seasons
    assert 'value="婚姻登记处办公时间：夏季周五 08:30-15:30；冬季周五 08:30-15:30"' in page


def test_an_empty_day_says_what_to_write_and_nothing_is_kept(app: Flask, editor: FlaskClient) -> None:
    typed = {f"slots-{i}": "08:30-16:00" for i in range(10)} | {"slots-4": ""}
    refused = editor.post("/admin/edit/schedule/marriage/week",
                          data={"csrf_token": csrf_token(editor, "/admin/edit"), **typed})
    assert refused.status_code == 422
    assert '<ul class="field-error" id="slots-4-error"><li>请填写夏季周五，例如：08:30-12:00, 13:30-17:00。</li></ul>' \
        in text(refused)
    assert Drafts(records(app)).of("editor") == []


def test_an_impossible_date_is_refused_at_its_field_quoting_what_was_typed(editor: FlaskClient, menus: Path) -> None:
    path = "/admin/edit/calendar/closures/add"
    refused = editor.post(path, data={"csrf_token": csrf_token(editor, path), "day": "2026-02-30",
                                      "name_zh": "业务培训", "name_ko": ""})
    page = text(refused)
    assert refused.status_code == 422
    assert ('<ul class="field-error" id="day-error"><li>“2026-02-30”不是日期：请按 年-月-日 写一个真实存在的日期，'
            "例如 2026-12-24。</li></ul>") in page
    assert 'id="day" name="day" placeholder="年-月-日，例如 2026-12-24" type="text" value="2026-02-30"' in page
    assert "请填写名称（朝鲜文），例如：업무 연수。" in page
    korean = text(editor.post(path + "?lang=ko", data={"csrf_token": csrf_token(editor, path), "day": "2026-13-01",
                                                       "name_zh": "业务培训", "name_ko": "업무 연수"}))
    assert '"2026-13-01"은 날짜가 아닙니다: 실제로 있는 날짜를 년-월-일로 쓰십시오. 례: 2026-12-24.' in korean
    assert "closures: []" in (menus / "calendar.yaml").read_text(encoding="utf-8")


def test_a_draft_outlives_a_restart_is_its_author_s_and_is_tried_then_discarded(app: Flask, editor: FlaskClient,
                                                                              menus: Path, tmp_path: Path) -> None:
    path = "/admin/edit/calendar/closures/add"
    checked = editor.post(path, data={"csrf_token": csrf_token(editor, path), "day": "2026-12-24",
                                      "name_zh": "业务培训", "name_ko": "업무 연수", "units": ["marriage_registry"]})
    assert checked.status_code == 303
    address = checked.headers["Location"]
    # Back, or a reload, asks for the publish page again by GET: nothing to resubmit.
    page = text(editor.get(address))
    assert 'value="图们市民政局婚姻登记处：12月24日停办（业务培训）"' in page
    tried = text(editor.get(f"/admin/try?draft={address.rsplit('/', 1)[1]}"))
    assert f'<a href="{address}" id="back-to-draft">返回这项修改的发布页</a>' in tried
    # A new app on the same database (a restart) still has it, for the editor alone.
    again = make_app(FROZEN_TIME=WINTER_WEEKDAY_10AM, MENUS_DIR=str(menus),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}")
    same = again.test_client()
    log_in(same, "editor")
    assert "12月24日停办（业务培训）" in text(same.get("/admin/edit"))
    assert same.get(address).status_code == 200
    other = again.test_client()
    log_in(other, "admin")
    assert other.get(address).status_code == 404
    assert other.post("/admin/edit/publish", data={"csrf_token": csrf_token(other, "/admin/edit"),
                                                   "draft": address.rsplit("/", 1)[1]}).status_code == 404
    for hostile in ("99999999999999999999999", "-1", "1 OR 1=1"):
        assert same.post("/admin/edit/publish", data={"csrf_token": csrf_token(same, "/admin/edit"),
                                                      "draft": hostile}).status_code == 404
    assert same.get("/admin/drafts/99999999999999999999999").status_code == 400  # beyond any id: a bad address
    discarded = same.post(address + "/discard", data={"csrf_token": csrf_token(same, "/admin/edit")})
    assert discarded.status_code == 303
    assert same.get(address).status_code == 404
    assert "closures: []" in (menus / "calendar.yaml").read_text(encoding="utf-8")
    assert Drafts(records(app)).of("editor") == []


def test_an_emptied_note_is_refused_at_its_field(editor: FlaskClient) -> None:
    path = "/admin/edit/unit/marriage_registry"
    checked = editor.post(path, data={"csrf_token": csrf_token(editor, path), "phone": "0433-3623442",
                                      "schedule": "marriage"})
    number = checked.headers["Location"].rsplit("/", 1)[1]
    refused = editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                       "draft": number, "note": "  "})
    assert refused.status_code == 422
    assert 'id="note-error"><li>请写一句发布说明，例如：婚姻登记处：12月24日停办（业务培训）。</li>' in text(refused)


def test_a_restore_asks_first_and_is_undone_by_restoring_the_version_before(app: Flask, editor: FlaskClient,
                                                                           menus: Path) -> None:
    path = "/admin/edit/unit/marriage_registry"
    checked = editor.post(path, data={"csrf_token": csrf_token(editor, path), "phone": "0433-3623442",
                                      "schedule": "marriage"})
    editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                             "draft": checked.headers["Location"].rsplit("/", 1)[1]})
    listed = text(editor.get("/admin/versions"))
    assert 'href="/admin/versions/1/restore" id="restore-1"' in listed and "<form" not in listed.split("<main")[1]
    asked = text(editor.get("/admin/versions/1/restore"))
    assert "恢复会把第 1 版再次发布为最新版本（第 2 版之后）" in asked
    restored = editor.post("/admin/versions/1/restore", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                              "base": "2"})
    assert restored.status_code == 302 and "undo=2" in restored.headers["Location"]
    banner = text(editor.get(restored.headers["Location"]))
    assert 'action="/admin/versions/2/restore"' in banner and 'name="base" value="3"' in banner
    assert "撤销：恢复到第 2 版" in banner
    undone = editor.post("/admin/versions/2/restore", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                            "base": "3"})
    assert undone.status_code == 302
    versions = PublishedVersions(records(app))
    assert [(v.id, v.note) for v in versions.history()][:2] == [
        (4, "restore of version 2"), (3, "restore of version 1")]
    assert "phone: 0433-3623442" in (menus / "units.yaml").read_text(encoding="utf-8")


def test_called_back_asks_first_and_is_undone_and_audited(app: Flask, editor: FlaskClient) -> None:
    leave_message(app, "https://api.twilio.com/recording", caller="+8613700002222")
    listed = text(editor.get("/admin/messages"))
    assert 'href="/admin/messages/1/called-back?back=/admin/messages?" id="mark-1"' in listed
    asked = text(editor.get("/admin/messages/1/called-back?back=/admin/messages?unit=marriage_registry"))
    assert "把 +8613700002222 在 2026-11-26 19:05 给图们市民政局婚姻登记处的留言标为已回电？" in asked
    assert records(app).voicemails()[0].status == "new"
    marked = editor.post("/admin/messages/1/called-back", data={
        "csrf_token": csrf_token(editor, "/admin/messages"), "back": "/admin/messages?unit=marriage_registry"})
    assert marked.status_code == 302 and marked.headers["Location"] == "/admin/messages?unit=marriage_registry&marked=1"
    assert records(app).voicemails()[0].status == "called back"
    assert 'action="/admin/messages/1/new"' in text(editor.get(marked.headers["Location"]))
    undone = editor.post("/admin/messages/1/new", data={"csrf_token": csrf_token(editor, "/admin/messages")})
    assert undone.status_code == 302
    message = records(app).voicemails()[0]
    assert (message.status, message.called_back_by, message.called_back_at) == ("new", None, None)
    actions = [(e.action, e.detail) for e in StaffStore(records(app)).audit_entries()]
    assert ("called_back_undone", "voice message 1 from +86137*****222") in actions  # the audit masks the number
    evil = editor.post("/admin/messages/1/called-back", data={"csrf_token": csrf_token(editor, "/admin/messages"),
                                                              "back": "//evil.example/admin/messages"})
    assert evil.headers["Location"] == "/admin/messages?marked=1"


def test_a_viewer_on_an_edit_address_gets_the_refusal_inside_the_console(app: Flask) -> None:
    viewer = app.test_client()
    log_in(viewer, "viewer")
    for path in ("/admin/edit/unit/employment_bureau/own-hours", "/admin/edit/schedule/standard/week",
                 "/admin/drafts/1", "/admin/versions/1/restore", "/admin/messages/1/called-back"):
        refused = viewer.get(path)
        page = text(refused)
        assert refused.status_code == 403, path
        assert "这个页面要“编辑员”角色才能使用；您的角色是“查看员”。" in page
        assert '<a href="/admin/" id="back-home">' in page and "<nav" in page  # the layout, with a way back
    korean = text(viewer.get("/admin/edit?lang=ko"))
    assert '이 페이지는 "편집자" 역할이 있어야 씁니다. 당신의 역할은 "열람자"입니다.' in korean


def test_the_preview_says_the_real_sentence_in_both_languages_as_staff_type(editor: FlaskClient,
                                                                          menus: Path) -> None:
    form = text(editor.get("/admin/edit/calendar/closures/add"))
    assert 'data-preview="/admin/edit/calendar/closures/preview"' in form
    assert re.search(r'<script nonce="[^"]+" src="/admin/edit/preview.js" defer></script>', form)
    assert "<script>" not in form
    said = editor.get("/admin/edit/calendar/closures/preview?day=2026-12-24&name_zh=业务培训"
                      "&name_ko=업무 연수로 휴무&units=marriage_registry").get_json()
    assert said["zh"].startswith("图们市民政局婚姻登记处现在不办公：今天停办，事由：业务培训。")
    assert said["ko"].startswith("도문시 민정국 혼인등기처는 지금 업무시간이 아닙니다. "
                                 "오늘은 쉽니다. 사유: 업무 연수로 휴무.")
    assert said["note"] == "2026-12-24 10:00 打给图们市民政局婚姻登记处时"
    early = editor.get("/admin/edit/calendar/special_days/preview?day=2026-12-31&closes=11:30&name_zh=年末"
                       "&name_ko=년말").get_json()
    assert early["zh"].startswith("图们市民政和人力资源社会保障局现在不办公：今天已经下班。")
    half = editor.get("/admin/edit/calendar/closures/preview?day=2026-02-30&name_zh=a&name_ko=b").get_json()
    assert (half["zh"], half["note"]) == (
        "", "“2026-02-30”不是日期：请按 年-月-日 写一个真实存在的日期，例如 2026-12-24。")
    script = editor.get("/admin/edit/preview.js")
    assert script.mimetype == "text/javascript" and b"form.dataset.preview" in script.data
    assert "closures: []" in (menus / "calendar.yaml").read_text(encoding="utf-8")  # a preview writes nothing


def test_an_office_is_added_renamed_and_removed_with_its_menu_key_in_one_edit_each(
        app: Flask, editor: FlaskClient, menus: Path) -> None:
    form = text(editor.get("/admin/edit/office/add"))
    assert '<label for="key">按键（1-9，菜单里没用过的）</label>' in form
    taken = editor.post("/admin/edit/office/add", data={
        "csrf_token": csrf_token(editor, "/admin/edit"), "unit_id": "legal_aid", "name_zh": "图们市法律援助中心",
        "name_ko": "도문시 법률원조중심", "kind": "agency", "phone": "0433-3622999", "summary_zh": "提供免费法律援助。",
        "summary_ko": "무료 법률원조를 제공합니다.", "keywords": "法律援助，법률원조", "menu": "employment", "key": "2",
        "label_zh": "法律援助", "label_ko": "법률원조"})
    assert taken.status_code == 422
    assert "“就业创业”里的按键 2 已经用了，请选一个没用过的按键。" in text(taken)  # the menu by its title
    added = editor.post("/admin/edit/office/add", data={
        "csrf_token": csrf_token(editor, "/admin/edit"), "unit_id": "legal_aid", "name_zh": "图们市法律援助中心",
        "name_ko": "도문시 법률원조중심", "kind": "agency", "phone": "0433-3622999", "summary_zh": "提供免费法律援助。",
        "summary_ko": "무료 법률원조를 제공합니다.", "keywords": "法律援助，법률원조", "menu": "employment", "key": "3",
        "label_zh": "法律援助", "label_ko": "법률원조"}, follow_redirects=True)
    page = text(added)
    assert added.status_code == 200 and 'id="valid"' in page, page
    assert '+      "3":\n+        label: {zh: "法律援助", ko: "법률원조"}\n+        unit: legal_aid' in page
    assert "+    address: *jinshui_416" in page
    note = 'value="新增办公室：图们市法律援助中心（菜单 就业创业 按 3）"'
    assert note in page
    number = re.search(r'name="draft" value="(\d+)"', page)
    assert number
    assert editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                    "draft": number.group(1)}).status_code == 302
    # Callers reach it at once: Mandarin (1), employment (3), then 3, on Thursday 26 November 2026 at 10:00.
    # (A server sharing the database: one on another database would take the folder as its own version 1.)
    call = place_call("2026-11-26T10:00:00+08:00", "133", MENUS_DIR=str(menus),
                      DATABASE_URL=str(records(app).engine.url))
    assert call.outcome is not None and str(call.outcome.number) == "+864333622999"

    renamed = editor.post("/admin/edit/unit/legal_aid/rename", data={
        "csrf_token": csrf_token(editor, "/admin/edit"), "name_zh": "图们市公共法律服务中心",
        "name_ko": "도문시 공공법률봉사중심", "label_zh": "公共法律服务", "label_ko": "공공법률봉사"},
        follow_redirects=True)
    page = text(renamed)
    assert "+      zh: 图们市公共法律服务中心" in page
    assert '+        label: {zh: "公共法律服务", ko: "공공법률봉사"}' in page
    number = re.search(r'name="draft" value="(\d+)"', page)
    assert number
    published = editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                                         "draft": number.group(1)})
    assert published.status_code == 302, text(published)
    assert "公共法律服务" in (menus / "menu.yaml").read_text(encoding="utf-8")

    removed = editor.post("/admin/edit/unit/legal_aid/remove", data={"csrf_token": csrf_token(editor, "/admin/edit")},
                          follow_redirects=True)
    page = text(removed)
    assert "-  legal_aid:" in page and "-        unit: legal_aid" in page
    number = re.search(r'name="draft" value="(\d+)"', page)
    assert number
    editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"), "draft": number.group(1)})
    assert "legal_aid" not in (menus / "units.yaml").read_text(encoding="utf-8")
    assert "legal_aid" not in (menus / "menu.yaml").read_text(encoding="utf-8")
    assert "# The key tree callers walk after choosing a language." in (menus / "menu.yaml").read_text(encoding="utf-8")
    assert [v.note for v in PublishedVersions(records(app)).history()[:3]] == [
        "删除办公室：图们市公共法律服务中心", "图们市法律援助中心 改名为 图们市公共法律服务中心",
        "新增办公室：图们市法律援助中心（菜单 就业创业 按 3）"]
