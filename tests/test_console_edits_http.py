"""Editing the hotline from the console over HTTP: each form changes only its value in the YAML, comments kept;
a broken edit writes nothing and shows `ivr validate`'s file:line message; CSRF and the editor role are required."""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.core.loader import FILES
from ivr.store.staff import StaffStore
from ivr.store.versions import PublishedVersions
from tests.conftest import BUNDLED_MENUS
from tests.console import console_app, csrf_token, log_in, records

# The console speaks Chinese by default: where (the line quoted), what is wrong, what to do.
BAD_PHONE_WHERE = "menus/units.yaml 第191行「phone: 0433-36234411」"
BAD_PHONE_SAID = ("“0433-36234411”不是有效的中国电话号码：区号后面的 36234411 是 8 位，0433 的号码应是 7 位。"
                  "多了一位数字：请向该单位核对号码。")


@pytest.fixture
def app(menus: Path) -> Flask:
    return console_app(MENUS_DIR=str(menus))


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in(client, "editor")
    return client


def changes(file: str, menus: Path) -> list[str]:
    """The lines removed (-) and added (+) in a live menus file, against the bundled one."""
    before = (BUNDLED_MENUS / file).read_text(encoding="utf-8").splitlines()
    after = (menus / file).read_text(encoding="utf-8").splitlines()
    return [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def page_text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def draft_of(page: str) -> str:
    found = re.search(r'name="draft" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def check_and_publish(client: FlaskClient, path: str, form: dict[str, object]) -> str:
    """Fill in a form, check it (it must pass), publish the draft; return the checked page."""
    checked = client.post(path, data={"csrf_token": csrf_token(client, path), **form}, follow_redirects=True)
    page = page_text(checked)
    assert checked.status_code == 200, page
    assert 'id="valid"' in page
    note = re.search(r'id="note" name="note" maxlength="300" value="([^"]*)"', page)
    assert note and note.group(1), page  # prefilled with a summary in words
    published = client.post("/admin/edit/publish", data={"csrf_token": csrf_token(client, path),
                                                          "draft": draft_of(page), "note": note.group(1)})
    assert published.status_code == 302, page_text(published)
    return page


def test_a_closure_lands_in_calendar_yaml_with_its_comments_and_is_audited(app: Flask, editor: FlaskClient,
                                                                          menus: Path) -> None:
    page = check_and_publish(editor, "/admin/edit/calendar/closures/add", {
        "day": "2026-12-04", "name_zh": "全体职工大会", "name_ko": "전체 직원회의", "units": ["marriage_registry"]})
    assert "+  - {date: 2026-12-04, name: {zh: 全体职工大会, ko: 전체 직원회의}, units: [marriage_registry]}" in page
    assert changes("calendar.yaml", menus) == [
        "-closures: []",
        "+closures:",
        "+  - {date: 2026-12-04, name: {zh: 全体职工大会, ko: 전체 직원회의}, units: [marriage_registry]}"]
    calendar = (menus / "calendar.yaml").read_text(encoding="utf-8")
    assert "# One-off closures of the whole bureau, or of some units (units: [marriage_registry]). Example:" in calendar
    entry = next(e for e in StaffStore(records(app)).audit_entries() if e.action == "menus_published")
    assert (entry.actor, entry.detail) == ("editor", "menus/calendar.yaml")
    # The live hotline has it at once: the marriage office is closed that Friday.
    assert "全体职工大会" in page_text(editor.get("/admin/edit"))

    # Removing it gives back the file as it was, comments and all.
    removed = editor.post("/admin/edit/calendar/closures/0/remove",
                          data={"csrf_token": csrf_token(editor, "/admin/edit")}, follow_redirects=True)
    assert removed.status_code == 200
    editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, "/admin/edit"),
                                             "draft": draft_of(page_text(removed))})
    assert changes("calendar.yaml", menus) == []


def test_special_days_with_an_early_closing_or_their_own_hours(editor: FlaskClient, menus: Path) -> None:
    check_and_publish(editor, "/admin/edit/calendar/special_days/add", {
        "day": "2026-12-31", "closes": "11:30", "name_zh": "年末半天", "name_ko": "년말 반일"})
    check_and_publish(editor, "/admin/edit/calendar/special_days/add", {
        "first": "2027-01-04", "last": "2027-01-05", "hours": "09:00-12:00，13:00-15:00", "name_zh": "盘点",
        "name_ko": "결산", "units": ["marriage_registry"]})
    assert changes("calendar.yaml", menus) == [
        "-special_days: []",
        "+special_days:",
        '+  - {date: 2026-12-31, closes: "11:30", name: {zh: 年末半天, ko: 년말 반일}}',
        '+  - {from: 2027-01-04, to: 2027-01-05, hours: ["09:00-12:00", "13:00-15:00"], name: {zh: 盘点, ko: 결산}, '
        'units: [marriage_registry]}']


def test_an_extra_opening_and_a_schedule_s_hours(editor: FlaskClient, menus: Path) -> None:
    check_and_publish(editor, "/admin/edit/calendar/openings/add", {
        "day": "2027-05-22", "name_zh": "520 结婚登记", "name_ko": "520 결혼등기", "units": ["marriage_registry"]})
    assert changes("calendar.yaml", menus)[-1] == \
        "+  - {date: 2027-05-22, name: {zh: 520 结婚登记, ko: 520 결혼등기}, units: [marriage_registry]}"
    form = page_text(editor.get("/admin/edit/schedule/standard"))
    assert 'value="08:30-12:00, 13:30-17:00"' in form and 'value="08:00-11:30, 13:00-16:30"' in form
    check_and_publish(editor, "/admin/edit/schedule/standard", {
        "slots-0": "08:30-12:00, 13:30-17:00", "slots-1": "08:00-11:30, 13:00-16:00"})
    assert changes("schedules.yaml", menus) == ['-      winter: ["08:00-11:30", "13:00-16:30"]',
                                                '+      winter: ["08:00-11:30", "13:00-16:00"]']
    assert "# The bureau and most sub-agencies: Monday to Friday, with a lunch break." in \
        (menus / "schedules.yaml").read_text(encoding="utf-8")


def test_a_unit_s_phone_number_changes_on_its_line_and_callers_reach_it(app: Flask, editor: FlaskClient,
                                                                        menus: Path) -> None:
    check_and_publish(editor, "/admin/edit/unit/marriage_registry", {"phone": "0433-3623442", "schedule": "marriage"})
    assert changes("units.yaml", menus) == ["-    phone: 0433-3623441", "+    phone: 0433-3623442"]
    assert app.extensions["ivr.menus"].flow.hotline.units["marriage_registry"].phone == "+864333623442"
    # Published as a version, so every server sharing the database follows it.
    versions = PublishedVersions(app.extensions["ivr.recorder"].store)
    newest = versions.history()[0]
    assert (newest.author, newest.note) == ("editor", "图们市民政局婚姻登记处：电话改为 0433-3623442")
    assert "+    phone: 0433-3623442" in versions.diff(newest.id).splitlines()


def test_a_prompt_s_text_changes_in_both_languages(editor: FlaskClient, menus: Path) -> None:
    check_and_publish(editor, "/admin/edit/prompt/goodbye", {"zh": "感谢您的来电，祝您生活愉快，再见。",
                                                             "ko": "전화해 주셔서 감사합니다. 안녕히 계십시오."})
    assert changes("prompts.yaml", menus) == ["-    zh: 感谢您的来电，再见。",
                                              "+    zh: 感谢您的来电，祝您生活愉快，再见。"]


def test_the_raw_editor_saves_the_text_as_typed(editor: FlaskClient, menus: Path) -> None:
    typed = (menus / "hotline.yaml").read_text(encoding="utf-8").replace(
        "  gather_timeout: 6\n", "  gather_timeout:   8      # 老人按键慢\n")
    check_and_publish(editor, "/admin/edit/raw/hotline.yaml", {"text": typed.replace("\n", "\r\n")})
    assert (menus / "hotline.yaml").read_text(encoding="utf-8") == typed


def test_a_bad_phone_number_writes_nothing_and_shows_the_file_line_message_at_the_field(editor: FlaskClient,
                                                                                       menus: Path) -> None:
    path = "/admin/edit/unit/marriage_registry"
    response = editor.post(path, data={"csrf_token": csrf_token(editor, path), "phone": "0433-36234411",
                                       "schedule": "marriage"})
    page = page_text(response)
    assert response.status_code == 422
    assert BAD_PHONE_WHERE in page and BAD_PHONE_SAID in page
    assert "is not a valid" not in page  # no English left on the staff's page
    assert 'id="phone" aria-invalid="true" aria-describedby="phone-error"' in page or \
        ('aria-describedby="phone-error"' in page and 'id="phone-error"' in page)
    assert 'name="draft"' not in page  # nothing to publish
    assert all(changes(file, menus) == [] for file in FILES)


def test_a_yaml_slip_in_the_raw_editor_is_explained_at_its_line_and_writes_nothing(editor: FlaskClient,
                                                                                   menus: Path) -> None:
    path = "/admin/edit/raw/units.yaml"
    typed = (menus / "units.yaml").read_text(encoding="utf-8").replace("phone: 0433-3623441", "phone:0433-3623441")
    response = editor.post(path, data={"csrf_token": csrf_token(editor, path), "text": typed})
    page = page_text(response)
    assert response.status_code == 422
    assert '<a class="goto-line" href="#line-191" data-line="191">menus/units.yaml 第191行「phone:0433-3623441」</a>' \
        in page
    assert "“phone:0433-3623441”的冒号后面少了一个空格。冒号后面要空一格：写成「phone: 0433-3623441」。" in page
    assert '<span id="line-191" class="bad">191</span>' in page  # the numbered gutter marks the line
    assert re.search(r'<script nonce="[^"]+" src="/static/edit_lines.js" defer></script>', page)
    assert changes("units.yaml", menus) == []


def test_a_draft_is_refused_when_the_file_changed_since_or_when_tampered_with(editor: FlaskClient,
                                                                             menus: Path) -> None:
    path = "/admin/edit/unit/marriage_registry"
    page = page_text(editor.post(path, data={"csrf_token": csrf_token(editor, path), "phone": "0433-3623442",
                                             "schedule": "marriage"}, follow_redirects=True))
    draft = draft_of(page)
    token = csrf_token(editor, path)
    assert editor.post("/admin/edit/publish", data={"csrf_token": token, "draft": draft + "x"}).status_code == 404
    units = menus / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("head: 姜云哲", "head: 金哲"), encoding="utf-8")
    refused = editor.post("/admin/edit/publish", data={"csrf_token": token, "draft": draft})
    assert refused.status_code == 422
    assert "menus/units.yaml" in page_text(refused) and "在您编辑期间已被别人改过" in page_text(refused)
    assert "0433-3623441" in units.read_text(encoding="utf-8")


def test_every_edit_needs_the_csrf_token(editor: FlaskClient, menus: Path) -> None:
    for path, form in [("/admin/edit/unit/marriage_registry", {"phone": "0433-3623442", "schedule": "marriage"}),
                       ("/admin/edit/calendar/closures/add", {"day": "2026-12-04", "name_zh": "会", "name_ko": "회의"}),
                       ("/admin/edit/publish", {"draft": "x"}), ("/admin/versions/1/restore", {})]:
        assert editor.post(path, data=form).status_code == 400, path
    assert all(changes(file, menus) == [] for file in FILES)


def test_a_viewer_sees_no_edit_form_and_is_refused_every_edit(app: Flask, menus: Path) -> None:
    viewer = app.test_client()
    log_in(viewer, "viewer")
    assert 'href="/admin/edit"' not in viewer.get("/admin/").get_data(as_text=True)
    token = csrf_token(viewer, "/admin/try")
    for path in ("/admin/edit", "/admin/edit/unit/marriage_registry", "/admin/edit/raw/units.yaml",
                 "/admin/edit/calendar/closures/add", "/admin/versions"):
        assert viewer.get(path).status_code == 403, path
    for path, form in [("/admin/edit/unit/marriage_registry", {"phone": "0433-3623442", "schedule": "marriage"}),
                       ("/admin/edit/calendar/closures/0/remove", {}), ("/admin/edit/publish", {"draft": "x"}),
                       ("/admin/try", {"draft": "x", "key": "2"}), ("/admin/versions/1/restore", {})]:
        assert viewer.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert all(changes(file, menus) == [] for file in FILES)


def test_an_edit_is_rehearsed_before_it_goes_live(app: Flask, editor: FlaskClient, menus: Path) -> None:
    path = "/admin/edit/unit/marriage_registry"
    page = page_text(editor.post(path, data={"csrf_token": csrf_token(editor, path), "phone": "0433-3623442",
                                             "schedule": "marriage"}, follow_redirects=True))
    form = {"csrf_token": csrf_token(editor, "/admin/try"), "date": "2026-11-26", "time": "10:00",
            "caller_lang": "zh", "dial_status": "completed"}
    rehearsed = page_text(editor.post("/admin/try", data={**form, "draft": draft_of(page), "keys": "", "key": "2"}))
    assert 'data-kind="forwarded"' in rehearsed and "0433-3623442" in rehearsed  # as staff write it
    assert "图们市民政局婚姻登记处：电话改为 0433-3623442" in rehearsed  # the banner says which edit the call uses
    live = page_text(editor.post("/admin/try", data={**form, "keys": "", "key": "2"}))
    assert "0433-3623441" in live and "0433-3623442" not in live
    assert changes("units.yaml", menus) == []


def test_the_forms_are_labelled_in_chinese_by_default_and_in_korean_with_the_switch(editor: FlaskClient) -> None:
    chinese = page_text(editor.get("/admin/edit/unit/marriage_registry"))
    assert '<label for="phone">电话（如 0433-3623441；留空则经总机转接）</label>' in chinese
    assert 'id="phone" name="phone" type="text" value="0433-3623441"' in chinese
    korean = page_text(editor.get("/admin/edit/unit/marriage_registry?lang=ko"))
    assert '<label for="phone">전화(례: 0433-3623441; 비우면 대표전화로 련결)</label>' in korean
    assert '<label for="name_ko">이름(조선어)</label>' in page_text(editor.get("/admin/edit/calendar/closures/add"))


def test_a_restore_publishes_the_earlier_version_again_and_is_audited(app: Flask, editor: FlaskClient,
                                                                      menus: Path) -> None:
    check_and_publish(editor, "/admin/edit/unit/marriage_registry", {"phone": "0433-3623442", "schedule": "marriage"})
    history = page_text(editor.get("/admin/versions"))
    assert "图们市民政局婚姻登记处：电话改为 0433-3623442" in history and "+    phone: 0433-3623442" in history
    # A restore asks first, showing what it changes against the newest version (2), whose number it carries.
    asked = page_text(editor.get("/admin/versions/1/restore"))
    assert '<input type="hidden" name="base" value="2">' in asked and "-    phone: 0433-3623442" in asked
    restored = editor.post("/admin/versions/1/restore", data={"csrf_token": csrf_token(editor, "/admin/versions"),
                                                              "base": "2"})
    assert restored.status_code == 302
    assert changes("units.yaml", menus) == []  # the folder is version 1's again
    assert app.extensions["ivr.menus"].flow.hotline.units["marriage_registry"].phone == "+864333623441"
    newest = PublishedVersions(app.extensions["ivr.recorder"].store).history()[0]
    assert (newest.author, newest.note) == ("editor", "restore of version 1")
    assert any(e.action == "menus_restored" and e.actor == "editor" and e.detail == f"version 1 as version {newest.id}"
               for e in StaffStore(records(app)).audit_entries())
    assert editor.post("/admin/versions/99/restore",
                       data={"csrf_token": csrf_token(editor, "/admin/versions")}).status_code == 404


def test_a_warning_is_never_shown_under_a_green_passed(editor: FlaskClient, menus: Path) -> None:
    path = "/admin/edit/raw/prompts.yaml"
    typed = (menus / "prompts.yaml").read_text(encoding="utf-8").replace(
        "prompts:\n", "prompts:\n  greting: {zh: 您好, ko: 안녕하십니까}\n", 1)
    page = page_text(editor.post(path, data={"csrf_token": csrf_token(editor, path), "text": typed}))
    assert 'class="valid"' not in page and "检查通过" not in page  # no green "passed" box
    assert '<div class="warning-box" role="alert" id="valid">' in page and "没有错误，但有提醒" in page
    # The warning beside the text, as plainly as an error: its label, its line (linked, quoted), what to do.
    assert '<li class="problem problem-warning"><strong class="problem-label">提醒</strong>' in page
    assert ('<a class="goto-line" href="#line-9" data-line="9">menus/prompts.yaml 第9行「greting: {zh: 您好, '
            "ko: 안녕하십니까}」</a>") in page
    assert "热线不会念“greting”这条提示语。对照本文件里列出的提示语检查拼写。" in page
    assert '<span id="line-9" class="warned">9</span>' in page
    assert 'id="to-draft" href="/admin/drafts/' in page or 'href="/admin/drafts/1" id="to-draft"' in page  # kept


def test_a_korean_name_in_chinese_characters_is_refused_in_korean_for_a_korean_console(
        editor: FlaskClient, menus: Path) -> None:
    editor.get("/admin/edit?lang=ko")  # the console's language, kept in the session
    path = "/admin/edit/raw/units.yaml"
    typed = (menus / "units.yaml").read_text(encoding="utf-8").replace("ko: 도문시 장례관리소", "ko: 图们市殡葬管理所")
    response = editor.post(path, data={"csrf_token": csrf_token(editor, path), "text": typed})
    page = page_text(response)
    assert response.status_code == 422 and 'name="draft"' not in page
    assert '<html lang="ko' in page
    assert "menus/units.yaml 208행 「ko: 图们市殡葬管理所」" in page
    assert "조선글이 하나도 없습니다" in page and "이 칸은 조선어로 쓰십시오." in page
    assert '<span id="line-208" class="bad">208</span>' in page
    assert changes("units.yaml", menus) == []
