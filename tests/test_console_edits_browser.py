"""Editing the hotline in Debian's Chromium: an editor adds a closure and changes the marriage office's number,
sees a bad number's problem before anything is saved, rehearses, publishes, and a call reaches the new number;
a viewer has no form and is refused. Every page is checked with axe-core and photographed into screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import served
from tests.conftest import BUNDLED_MENUS, Provider, twiml
from tests.console import console_app
from tests.test_admin_browser import Console

NEW_MARRIAGE_LINE = "+864333623442"
# The console speaks Chinese by default: where (the line quoted), what is wrong, what to do.
BAD_PHONE_WHERE = "menus/units.yaml 第191行「phone: 0433-36234411」"
BAD_PHONE_SAID = ("“0433-36234411”不是有效的中国电话号码：区号后面的 36234411 是 8 位，0433 的号码应是 7 位。"
                  "多了一位数字：请向该单位核对号码。")
NEW_MARRIAGE_LINE_AS_WRITTEN = "0433-3623442"  # how the console shows it


@pytest.fixture
def console(browser: Any, menus: Path) -> Iterator[Console]:
    app = console_app(DEVELOPMENT=True, MENUS_DIR=str(menus))
    with served(app) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/admin/login")
        browser.delete_all_cookies()  # cookies are per host, not per port: start every test logged out
        yield Console(browser, app, url, api=None)  # type: ignore[arg-type]


def fill(console: Console, css: str, value: str) -> None:
    """Replace a field's value by typing, as a person would (a date field is set directly: its typing is locale's)."""
    field = console.find(css)
    if field.get_attribute("type") == "date":
        console.driver.execute_script("arguments[0].value = arguments[1]", field, value)
        return
    field.clear()
    field.send_keys(value)


def test_an_editor_adds_a_closure_changes_a_number_rehearses_and_publishes(console: Console, menus: Path) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    console.log_in("editor")
    console.find("nav a[href='/admin/edit']").click()
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/edit"))
    console.check("edit-index")

    # A closure of the marriage office, through the form.
    console.find("#add-closures").click()
    console.wait_for(lambda: console.find("#name_zh"))
    console.check("edit-add-closure")
    fill(console, "#day", "2026-12-04")
    fill(console, "#name_zh", "全体职工大会")
    fill(console, "#name_ko", "전체 직원회의")
    Select(console.find("#units")).select_by_value("marriage_registry")
    console.find("#check").click()
    console.wait_for(lambda: console.find("#valid"))
    assert "+  - {date: 2026-12-04, name: {zh: 全体职工大会, ko: 전체 직원회의}, units: [marriage_registry]}" in \
        console.find("#diff").text
    console.check("edit-closure-checked")
    console.find("#publish").click()
    console.wait_for(lambda: console.find("#published"))
    assert "calendar.yaml" in console.find("#published").text
    assert "全体职工大会" in console.find("#closures-0").text
    console.check("edit-closure-published")

    # A number with a digit too many: the problem, at the field, before anything is saved.
    console.find("#unit-marriage_registry").click()
    console.wait_for(lambda: console.find("#phone"))
    fill(console, "#phone", "0433-36234411")
    console.find("#phone").send_keys(Keys.ENTER)  # by keyboard: Enter submits the check
    console.wait_for(lambda: console.find("#phone-error"))
    said = console.find("#phone-error").text
    assert said.startswith("错误") and BAD_PHONE_WHERE in said and BAD_PHONE_SAID in said
    assert console.find("#phone").get_attribute("aria-invalid") == "true"
    assert console.find("#phone").get_attribute("aria-describedby") == "phone-error"
    assert console.driver.find_elements("css selector", "#publish") == []
    assert (menus / "units.yaml").read_text(encoding="utf-8") == \
        (BUNDLED_MENUS / "units.yaml").read_text(encoding="utf-8")
    console.check("edit-unit-bad-phone")

    # The right number: checked, rehearsed on the draft (callers still reach the old one), then published.
    fill(console, "#phone", "0433-3623442")
    console.find("#check").click()
    console.wait_for(lambda: console.find("#valid"))
    assert "+    phone: 0433-3623442" in console.find("#diff").text
    console.check("edit-unit-checked")
    console.find("#try-draft").click()
    console.wait_for(lambda: console.find("#trying-draft"))
    console.find("#key-2").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#outcome").get_attribute("data-kind") == "forwarded")
    assert NEW_MARRIAGE_LINE_AS_WRITTEN in console.find("#outcome").text
    console.check("try-draft")
    assert "0433-3623441" in (menus / "units.yaml").read_text(encoding="utf-8")  # not live yet

    console.open("/admin/edit/unit/marriage_registry")
    fill(console, "#phone", "0433-3623442")
    console.find("#check").click()
    console.wait_for(lambda: console.find("#publish"))
    console.find("#publish").click()
    console.wait_for(lambda: console.find("#published"))
    assert NEW_MARRIAGE_LINE_AS_WRITTEN in console.find("#unit-marriage_registry").find_element("xpath", "..").text

    # A call now reaches the new number: on the try-a-call page, and through the provider's signed webhooks.
    console.open("/admin/try?date=2026-11-26&time=10:00&caller_lang=zh")
    console.find("#key-2").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#outcome").get_attribute("data-kind") == "forwarded")
    assert NEW_MARRIAGE_LINE_AS_WRITTEN in console.find("#outcome").text
    # The running service took the published files: the provider's signed webhook dials the new number.
    provider = Provider(console.app.test_client())
    dialled = twiml(provider.post("/voice/step?node=menu:main&lang=zh", {"CallSid": "CA1", "Digits": "2"}))
    assert [number.text for number in dialled.iter("Number")] == [NEW_MARRIAGE_LINE]

    # Every publish is a version with who, when and the difference; the one before the phone change comes back
    # in one step, and callers reach the old number again.
    console.open("/admin/edit")
    console.find("#versions-link").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#difference"))
    assert "+    phone: 0433-3623442" in console.find("pre.diff").text
    newest, before = console.driver.find_elements("css selector", "tbody tr")[:2]
    assert "editor" in newest.text and "图们市民政局婚姻登记处：电话改为 0433-3623442" in newest.text
    before.find_element("css selector", "a[id^=restore-]").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#confirm"))  # a restore asks first
    console.find("#confirm").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#restored"))
    console.check("versions-restored")
    dialled = twiml(provider.post("/voice/step?node=menu:main&lang=zh", {"CallSid": "CA2", "Digits": "2"}))
    assert [number.text for number in dialled.iter("Number")] == ["+864333623441"]

    console.open("/admin/edit?lang=ko")
    console.check("edit-index-korean")


def test_a_viewer_has_no_edit_form_and_a_post_is_refused(console: Console, menus: Path) -> None:
    console.log_in("viewer")
    assert console.driver.find_elements("css selector", "nav a[href='/admin/edit']") == []
    console.open("/admin/edit/unit/marriage_registry")
    assert console.driver.find_elements("css selector", "#phone") == []
    console.open("/admin/try")
    status = console.driver.execute_async_script(
        "const done = arguments[0]; const body = new FormData();"
        "body.append('csrf_token', document.querySelector('input[name=csrf_token]').value);"
        "body.append('phone', '0433-3623442'); body.append('schedule', 'marriage');"
        "fetch('/admin/edit/unit/marriage_registry', {method: 'POST', body, redirect: 'manual'})"
        ".then(r => done(r.status));")
    assert status == 403
    assert (menus / "units.yaml").read_text(encoding="utf-8") == \
        (BUNDLED_MENUS / "units.yaml").read_text(encoding="utf-8")


def test_an_edit_published_over_by_someone_else_is_kept_shown_with_both_changes_and_published_on_top(
        console: Console, menus: Path) -> None:
    from ivr.publishing import publish
    from ivr.store.versions import PublishedVersions
    from tests.console import records

    console.log_in("editor")
    console.open("/admin/edit/unit/marriage_registry")
    fill(console, "#phone", "0433-3623442")
    console.find("#check").click()
    console.wait_for(lambda: console.find("#publish"))
    # Meanwhile 王芳 publishes another number of the same file from another server.
    versions = PublishedVersions(records(console.app))
    units = (menus / "units.yaml").read_text(encoding="utf-8")
    publish(versions, menus, {"units.yaml": units.replace("0433-3624942", "0433-3624943")}, "王芳", base=1)

    console.find("#publish").click()
    console.wait_for(lambda: console.find("#newer-version"))

    assert "王芳 在 " in console.find("#newer-version").text
    assert "发布了第 2 版，当时您正在编辑（您的修改是在第 1 版上做的）" in console.find("#newer-version").text
    assert "+    phone: 0433-3624943" in console.find("#theirs").text
    assert "+    phone: 0433-3623442" in console.find("#yours").text
    console.check("edit-publish-conflict")
    console.find("#publish").click()  # the edit made again on version 2
    console.wait_for(lambda: console.find("#published"))
    newest = versions.newest()
    assert newest is not None and newest.info.id == 3
    assert "phone: 0433-3623442" in newest.files["units.yaml"] and "phone: 0433-3624943" in newest.files["units.yaml"]


def test_the_raw_editor_numbers_its_lines_and_a_problem_takes_the_cursor_to_its_line(console: Console,
                                                                                      menus: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    console.log_in("editor")
    console.open("/admin/edit/raw/units.yaml")
    console.wait_for(lambda: console.find("#gutter"))
    text = (menus / "units.yaml").read_text(encoding="utf-8").replace("phone: 0433-3623441", "phone:0433-3623441")
    area = console.find("textarea.raw")
    console.driver.execute_script("arguments[0].value = arguments[1]", area, text)
    console.find("#check").click()
    console.wait_for(lambda: console.find("a.goto-line"))
    gutter = console.find("#gutter")
    assert gutter.find_element("css selector", "#line-191").get_attribute("class") == "bad"
    # The number 191 in the gutter sits level with line 191 of the text.
    top_of_line = console.driver.execute_script(
        "var t = arguments[0]; return t.getBoundingClientRect().top + parseFloat(getComputedStyle(t).paddingTop)"
        " + 190 * parseFloat(getComputedStyle(t).lineHeight) - t.scrollTop;", console.find("textarea.raw"))
    number_top = gutter.find_element("css selector", "#line-191").rect["y"] - console.driver.execute_script(
        "return window.scrollY")
    line_height = console.driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('textarea.raw')).lineHeight)")
    assert line_height == 21 and abs(number_top - top_of_line) < line_height / 3  # the same line, not the next
    console.find("a.goto-line").click()
    selected = console.driver.execute_script(
        "var t = document.querySelector('textarea.raw'); return [document.activeElement === t,"
        " t.value.slice(t.selectionStart, t.selectionEnd)];")
    assert selected == [True, "    phone:0433-3623441"]
    # A line typed at the end gets its number.
    lines = text.count("\n") + 1
    console.find("textarea.raw").send_keys(Keys.CONTROL, Keys.END)
    console.find("textarea.raw").send_keys(Keys.ENTER, "# 新的一行")
    console.wait_for(lambda: console.driver.find_elements("css selector", f"#line-{lines + 2}"))
    console.check("edit-raw-line-numbers")
