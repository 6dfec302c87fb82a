"""The coming year's State Council holiday notice: the banner and /health from 60 days before a year without one,
and the console's form that enters it (checked at its fields, published like any edit). Phone numbers in the
console as staff write them. The 2027 dates are test data (that notice was not published when this was written)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.core.calendar import MissingNotice, missing_notice
from ivr.core.loader import load_hotline
from ivr.web.admin.phones import staff_phone
from tests.conftest import BUNDLED_MENUS, ENGINE_MENUS, Editor
from tests.console import console_app, csrf_token, log_in

NOTICE_2027 = """state_council:
  2027:
    holidays:
      - {from: 2027-02-06, to: 2027-02-14, name: spring_festival}
    workdays:
      - {date: 2027-02-20, name: spring_festival}"""


def banner(client: FlaskClient, path: str = "/admin/") -> str | None:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<div class="banner" role="note" id="notice-missing">(.*?)</div>', page, re.S)
    return " ".join(found.group(1).split()) if found else None


def console(at: str, **config: object) -> tuple[Flask, FlaskClient]:
    app = console_app(DEVELOPMENT=True, FROZEN_TIME=at, **config)
    client = app.test_client()
    log_in(client, "editor")
    return app, client


# The core: which year lacks its notice, and from when staff are warned --------------------------------------


def test_the_missing_year_is_named_from_60_days_before_it_and_until_its_notice_is_entered() -> None:
    calendar = load_hotline(BUNDLED_MENUS).calendar
    assert missing_notice(calendar, date(2026, 10, 31)) is None
    assert missing_notice(calendar, date(2026, 11, 1)) is None  # 60 days later is 2026-12-31
    assert missing_notice(calendar, date(2026, 11, 2)) == MissingNotice(2027, date(2026, 11, 2))
    assert missing_notice(calendar, date(2026, 12, 31)) == MissingNotice(2027, date(2026, 11, 2))
    assert missing_notice(calendar, date(2027, 3, 1)) == MissingNotice(2027, date(2026, 11, 2))  # still missing


def test_a_notice_in_calendar_yaml_ends_the_warning_until_60_days_before_the_next_year(
        menus: Path, edit: Editor) -> None:
    edit("calendar.yaml", "state_council: {}", NOTICE_2027)
    calendar = load_hotline(menus).calendar
    assert missing_notice(calendar, date(2026, 12, 4)) is None
    assert missing_notice(calendar, date(2027, 11, 1)) is None
    assert missing_notice(calendar, date(2027, 11, 2)) == MissingNotice(2028, date(2027, 11, 2))


# The banner on every console page, and /health ----------------------------------------------------------------


def test_the_banner_shows_on_2026_11_02_on_every_page_with_a_link_to_the_form() -> None:
    app, client = console("2026-11-02T09:00:00+08:00")
    for path in ("/admin/", "/admin/calendar", "/admin/messages", "/admin/edit", "/admin/health"):
        shown = banner(client, path)
        assert shown is not None and shown.startswith("2027 年的国务院节假日安排（放假调休通知）还没有录入"), path
    assert '<a href="/admin/edit/notice?year=2027" id="notice-link">录入 2027 年的放假通知</a>' in \
        client.get("/admin/").get_data(as_text=True)
    assert banner(client, "/admin/?lang=ko") is not None
    assert "2027년 국무원 명절 휴식 안배" in (banner(client, "/admin/?lang=ko") or "")
    assert app.test_client().get("/health/details").get_json()["holiday_notice_missing"] == {
        "year": 2027, "warned_since": "2026-11-02",
        "what": "the State Council's holiday notice for 2027 is in neither chinese-calendar nor calendar.yaml: 2027 "
                "uses the statutory holidays only, without make-up working days; enter it at /admin/edit/notice"}


def test_a_viewer_sees_the_banner_without_the_form_link() -> None:
    app = console_app(DEVELOPMENT=True, FROZEN_TIME="2026-12-04T09:00:00+08:00")
    client = app.test_client()
    log_in(client, "viewer")
    assert (banner(client) or "").endswith("请有编辑权限的同事在“修改”页录入。")
    assert 'id="notice-link"' not in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("at", ["2026-10-31T09:00:00+08:00", "2026-11-01T23:59:00+08:00"])
def test_no_banner_before_the_60_days(at: str) -> None:
    app, client = console(at)
    assert banner(client) is None
    assert app.test_client().get("/health/details").get_json()["holiday_notice_missing"] is None


def test_no_banner_once_the_notice_is_in_calendar_yaml(menus: Path, edit: Editor) -> None:
    edit("calendar.yaml", "state_council: {}", NOTICE_2027)
    app, client = console("2026-12-04T09:00:00+08:00", MENUS_DIR=str(menus))
    assert banner(client) is None
    assert app.test_client().get("/health/details").get_json()["holiday_notice_missing"] is None


# The form ------------------------------------------------------------------------------------------------------


def check(client: FlaskClient, **fields: str) -> tuple[int, str]:
    response = client.post("/admin/edit/notice", data={"csrf_token": csrf_token(client, "/admin/edit/notice"),
                                                        "year": "2027", **fields})
    return response.status_code, response.get_data(as_text=True)


def field_errors(page: str) -> dict[str, list[str]]:
    return {name: re.findall(r"<li>(.*?)</li>", items)
            for name, items in re.findall(r'<ul class="field-error" id="(\w+)-error">(.*?)</ul>', page, re.S)}


def test_the_form_writes_the_notice_keeping_every_comment_and_reads_dates_as_staff_type_them(menus: Path) -> None:
    _, client = console("2026-12-04T09:00:00+08:00", MENUS_DIR=str(menus))
    status, page = check(client, spring_festival_first="2027-02-06", spring_festival_last="2027-02-14",
                         spring_festival_workdays="2027/1/30，2月20日", national_day_first="2027-10-01",
                         national_day_last="2027-10-07")
    assert status == 200 and 'id="valid"' in page
    added = [line[1:] for line in re.search(r'<pre class="diff"[^>]*>(.*?)</pre>', page, re.S).group(1).splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    assert added == ["state_council:", "  2027:", "    holidays:",
                     "      - {from: 2027-02-06, to: 2027-02-14, name: spring_festival}",
                     "      - {from: 2027-10-01, to: 2027-10-07, name: national_day}",
                     "    workdays:",
                     "      - {date: 2027-01-30, name: spring_festival}",
                     "      - {date: 2027-02-20, name: spring_festival}"]
    assert 'data-day="2027-01-30" data-kind="workday"' in page and 'data-day="2027-10-02" data-kind="off"' in page


def test_each_mistake_is_shown_at_its_field_and_nothing_is_written(menus: Path) -> None:
    before = (menus / "calendar.yaml").read_text(encoding="utf-8")
    _, client = console("2026-12-04T09:00:00+08:00", MENUS_DIR=str(menus))
    status, page = check(client, spring_festival_first="2027-02-06", labour_day_last="2027-05-05",
                         dragon_boat_festival_workdays="6月31日 2027-06-12", national_day_workdays="2027-09-26")
    assert status == 422
    assert field_errors(page) == {
        "spring_festival_last": ["请填写放假的第一天和最后一天（只放一天时两个都填同一天）。"],
        "labour_day_first": ["请填写放假的第一天和最后一天（只放一天时两个都填同一天）。"],
        "dragon_boat_festival_workdays": ["“6月31日”不是日期；请写成 2027-02-20，几个日期用逗号分开。"],
        "dragon_boat_festival_first": ["有调休上班日却没有放假日期：请填写这个节日的放假第一天和最后一天。"],
        "national_day_first": ["有调休上班日却没有放假日期：请填写这个节日的放假第一天和最后一天。"],
    }
    for typed in ("27", "0000", "2207", "二〇二七"):
        status, page = check(client, year=typed)
        assert (status, field_errors(page)) == (422, {"year": [f"“{typed}”不是年份；请写四位数的年份，如 2027。"]})
    # The menus' own check, at the field it concerns.
    status, page = check(client, spring_festival_first="2027-02-06", spring_festival_last="2027-02-14",
                         spring_festival_workdays="2027-02-07", national_day_first="2027-10-07",
                         national_day_last="2027-10-01", new_years_day_first="2026-12-31",
                         new_years_day_last="2027-01-01")
    assert status == 422
    errors = field_errors(page)
    # In the console's language (Chinese here): where (the line quoted), what is wrong, what to write.
    assert sorted(errors) == ["national_day_last", "new_years_day_first", "spring_festival_workdays"]
    [new_year] = errors["new_years_day_first"]
    assert new_year.startswith("【错误】menus/calendar.yaml 第30行") and "2026-12-31" in new_year
    assert errors["spring_festival_workdays"] == [
        "【错误】menus/calendar.yaml 第34行「- {date: 2027-02-07, name: spring_festival}」："
        "2027-02-07 既写成调休上班日，又写成假日（第31行）。核对通知：一天要么是假日，要么是上班日。"]
    assert errors["national_day_last"] == [
        "【错误】menus/calendar.yaml 第32行「- {from: 2027-10-07, to: 2027-10-01, name: national_day}」：这段日子结束"
        "（2027-10-01）比开始（2027-10-07）还早。把 from 和 to 对调。"]
    assert 'id="publish"' not in page
    assert (menus / "calendar.yaml").read_text(encoding="utf-8") == before


def test_the_form_opens_on_the_notice_already_written_and_replaces_it(menus: Path, edit: Editor) -> None:
    edit("calendar.yaml", "state_council: {}", NOTICE_2027)
    _, client = console("2026-12-04T09:00:00+08:00", MENUS_DIR=str(menus))
    page = client.get("/admin/edit/notice?year=2027").get_data(as_text=True)
    assert 'id="spring_festival_first" name="spring_festival_first" type="date" value="2027-02-06"' in page
    assert 'name="spring_festival_workdays" type="text" value="2027-02-20"' in page
    _, page = check(client, spring_festival_first="2027-02-05", spring_festival_last="2027-02-13")
    diff = re.search(r'<pre class="diff"[^>]*>(.*?)</pre>', page, re.S).group(1)
    assert "-      - {from: 2027-02-06, to: 2027-02-14, name: spring_festival}" in diff
    assert "+      - {from: 2027-02-05, to: 2027-02-13, name: spring_festival}" in diff
    assert "-    workdays:" in diff


def test_a_viewer_may_not_open_or_send_the_form() -> None:
    app = console_app(DEVELOPMENT=True)
    client = app.test_client()
    log_in(client, "viewer")
    assert client.get("/admin/edit/notice").status_code == 403
    token = csrf_token(client, "/admin/")
    response = client.post("/admin/edit/notice", data={"csrf_token": token, "year": "2027",
                                                       "spring_festival_first": "2027-02-06"})
    assert response.status_code == 403


# Phone numbers as staff write them ------------------------------------------------------------------------------


@pytest.mark.parametrize(("e164", "written"), [
    ("+864333622075", "0433-3622075"), ("+861088888888", "010-88888888"), ("+8613812345678", "13812345678"),
    ("+864008001234", "400-800-1234"), ("+82212345678", "+82 2-1234-5678"), ("anonymous", "anonymous"),
    ("+1234", "+1234"), (None, ""),
])
def test_phone_numbers_are_shown_as_staff_write_them(e164: str | None, written: str) -> None:
    assert staff_phone(e164) == written


def test_the_console_shows_numbers_as_staff_write_them_and_dials_them_in_e164() -> None:
    _, client = console("2026-11-26T10:00:00+08:00", MENUS_DIR=str(ENGINE_MENUS))
    page = client.get("/admin/").get_data(as_text=True)
    assert '<a href="tel:+864333600003">0433-3600003</a>' in page
    assert ">+864333600003<" not in page
    menu = client.get("/admin/menu").get_data(as_text=True)
    assert '<a href="tel:+864333600001">0433-3600001</a>' in menu


def test_writing_a_notice_again_or_another_year_keeps_every_comment_of_calendar_yaml() -> None:
    from ivr.menu_edits import NoticeHoliday, notice_in, set_notice

    text = (BUNDLED_MENUS / "calendar.yaml").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    first = set_notice(text, 2027, [NoticeHoliday("spring_festival", date(2027, 2, 6), date(2027, 2, 14),
                                                  (date(2027, 1, 30), date(2027, 2, 20)))])
    again = set_notice(first, 2027, [NoticeHoliday("spring_festival", date(2027, 2, 5), date(2027, 2, 13))])
    more = set_notice(first, 2028, [NoticeHoliday("new_years_day", date(2028, 1, 1), date(2028, 1, 1))])
    for written in (first, again, more):
        assert [line for line in written.splitlines() if line.lstrip().startswith("#")] == comments
        # The closures' comment still stands right above closures:, after a blank line.
        lines = written.splitlines()
        assert lines[lines.index("closures: []") - 3:lines.index("closures: []")][0] == ""
    assert notice_in(again, 2027) == [NoticeHoliday("spring_festival", date(2027, 2, 5), date(2027, 2, 13))]
    assert notice_in(more, 2027) == [NoticeHoliday("spring_festival", date(2027, 2, 6), date(2027, 2, 14),
                                                   (date(2027, 1, 30), date(2027, 2, 20)))]
    assert [h.key for h in notice_in(more, 2028)] == ["new_years_day"]
    assert load_hotline_text_years(more) == {2027, 2028}


def load_hotline_text_years(calendar_text: str) -> set[int]:
    """The years calendar.yaml's notices cover once loaded with the bundled menus (the menus' own check)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ivr-notice-"))
    shutil.copytree(BUNDLED_MENUS, folder / "menus")
    shutil.copytree(BUNDLED_MENUS.parent / "audio", folder / "audio")
    (folder / "menus" / "calendar.yaml").write_text(calendar_text, encoding="utf-8")
    years = set(load_hotline(folder / "menus").calendar.state_council_years)
    shutil.rmtree(folder)
    return years


# What `ivr serve` and `ivr staff add --help` tell a newcomer (the README's first screen says the same) ------------


def test_serve_names_the_console_and_the_command_for_its_first_login(menus: Path, tmp_path: Path) -> None:
    from tests.served import IVR, ServedHotline

    server = ServedHotline(menus, tmp_path / "instance", workers=1)
    try:
        server.wait_ready()
        lines = server.output().splitlines()
        assert f"Staff console: {server.base}/admin/ (the first login: {IVR} staff add NAME --role admin)" in lines
    finally:
        server.stop()
    # The README's production command sets IVR_SECRET_KEY because without it the server exits at once.
    refused = ServedHotline(menus, tmp_path / "instance-2", workers=1, unset=("IVR_SECRET_KEY",))
    assert refused.process.wait(timeout=30) == 1
    assert "Error: IVR_SECRET_KEY is not set" in refused.output()


def test_staff_add_help_and_the_readme_say_what_each_role_may_do() -> None:
    from click.testing import CliRunner

    from ivr.cli import main
    from ivr.paths import PROJECT_ROOT

    said = " ".join(CliRunner().invoke(main, ["staff", "add", "--help"]).output.split())
    roles = ("viewer: see and listen (pages, messages, try a call); editor: also mark messages called back, edit and "
             "publish the menus, restore versions; admin: also staff accounts and the audit log.")
    assert roles in said
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("ivr staff add li.wei --role admin        #"):].split("\nivr staff list")[0]
    assert " ".join(part.strip().lstrip("# ") for part in block.split("#")[1:]) == roles.rstrip(".")
