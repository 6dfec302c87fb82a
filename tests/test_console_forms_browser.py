"""Routine changes in Debian's Chromium as staff make them, finding fields by their labels: Friday hours for one
office from the form alone (then callers on that Friday hear it closed at 15:45 and are forwarded at 15:15); a
check, a try and a publish of the same draft, with Back; a restore confirmed and undone. axe-core checks each page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator import Ending
from ivr.store.versions import PublishedVersions
from tests.browser import served
from tests.conftest import place_call
from tests.console import console_app, records
from tests.test_admin_browser import Console
from tests.test_console_forms_http import others_sharing_hours


@pytest.fixture
def console(browser: Any, menus: Path) -> Iterator[Console]:
    app = console_app(DEVELOPMENT=True, MENUS_DIR=str(menus))
    with served(app) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/admin/login")
        browser.delete_all_cookies()
        yield Console(browser, app, url, api=None)  # type: ignore[arg-type]


def by_label(console: Console, label: str) -> Any:
    """Return the field a label names, as a person reading the form finds it."""
    found = console.driver.find_element("xpath", f"//label[normalize-space(.)='{label}']")
    return console.find(f"#{found.get_attribute('for')}")


def by_text(console: Console, text: str) -> Any:
    """Return the link or button whose words are `text`."""
    return console.driver.find_element("xpath", f"//*[self::a or self::button][normalize-space(.)='{text}']")


def type_into(field: Any, value: str) -> None:
    field.clear()
    field.send_keys(value)


def test_the_employment_bureau_closes_at_15_30_on_fridays_from_the_form_alone(console: Console, menus: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    console.log_in("editor")
    by_text(console, "修改").click()
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/edit"))
    by_text(console, "图们市就业服务局").click()
    console.wait_for(lambda: console.find("#shared"))
    sharing = others_sharing_hours("employment_bureau")
    assert f"和另外 {sharing} 个单位共用这个办公时间。" in console.find("#shared").text
    by_text(console, "给这个办公室单独的办公时间").click()
    console.wait_for(lambda: by_label(console, "冬季周五"))
    console.check("own-hours-form")
    type_into(by_label(console, "夏季周五"), "08:30-12:00, 13:30-15:30")
    type_into(by_label(console, "冬季周五"), "08:00-11:30, 13:00-15:30")
    by_label(console, "冬季周五").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#valid"))
    diff = console.find("#diff").text
    assert '+      winter: {mon-thu: ["08:00-11:30", "13:00-16:30"], fri: ["08:00-11:30", "13:00-15:30"]}' in diff
    assert "+    schedule: employment_bureau" in diff
    note = by_label(console, "发布说明（版本列表里显示）")
    assert note.get_attribute("value") == \
        "图们市就业服务局：单独的办公时间（夏季周五 08:30-12:00, 13:30-15:30；冬季周五 08:00-11:30, 13:00-15:30）"
    console.check("own-hours-draft")
    by_text(console, "发布").click()
    console.wait_for(lambda: console.find("#published"))
    assert PublishedVersions(records(console.app)).history()[0].note.startswith("图们市就业服务局：单独的办公时间")

    late = place_call("2026-11-27T15:45:00+08:00", "131", MENUS_DIR=str(menus))
    assert "图们市就业服务局现在不办公：今天已经下班。" in late.heard()
    early = place_call("2026-11-27T15:15:00+08:00", "131", MENUS_DIR=str(menus))
    assert early.outcome is not None and early.outcome.kind == Ending.FORWARDED
    assert str(early.outcome.number) == "+864333668523"


def test_a_draft_is_checked_tried_and_published_and_back_never_resubmits(console: Console, menus: Path) -> None:
    from selenium.webdriver.support.ui import Select

    console.log_in("editor")
    console.open("/admin/edit")
    by_text(console, "添加停办日").click()
    console.wait_for(lambda: by_label(console, "日期"))
    type_into(by_label(console, "日期"), "2026-02-30")
    type_into(by_label(console, "名称（中文）"), "业务培训")
    by_text(console, "检查").click()
    console.wait_for(lambda: console.find("#day-error"))
    assert console.find("#day-error").text == \
        "“2026-02-30”不是日期：请按 年-月-日 写一个真实存在的日期，例如 2026-12-24。"
    assert by_label(console, "日期").get_attribute("value") == "2026-02-30"  # kept as typed, not emptied
    assert "例如：업무 연수" in console.find("#name_ko-error").text
    console.check("closure-refused-at-fields")
    type_into(by_label(console, "日期"), "2026-11-27")
    type_into(by_label(console, "名称（朝鲜文）"), "업무 연수로 휴무")
    Select(console.find("#units")).select_by_value("marriage_registry")
    # While staff type, the sentence callers will hear, from the core's flow, in both languages.
    console.wait_for(lambda: "오늘은 쉽니다. 사유: 업무 연수로 휴무." in console.find("#preview-ko").text)
    assert "今天停办，事由：业务培训" in console.find("#preview-zh").text
    console.check("closure-preview")
    by_text(console, "检查").click()
    console.wait_for(lambda: console.find("#valid"))
    draft_address = console.driver.current_url
    assert "/admin/drafts/" in draft_address

    by_text(console, "用这项修改试拨").click()
    console.wait_for(lambda: console.find("#trying-draft"))
    console.driver.execute_script("arguments[0].value = '2026-11-27'", console.find("#date"))  # a date input
    console.find("#key-2").click()
    console.wait_for(lambda: "今天停办，事由：业务培训" in console.find("#steps").text)
    console.check("try-the-draft")
    by_text(console, "返回这项修改的发布页").click()
    console.wait_for(lambda: console.find("#publish"))
    assert console.driver.current_url == draft_address
    console.driver.back()  # Back to the call: a page of its own, no form sent again
    console.wait_for(lambda: console.find("#trying-draft"))
    console.driver.forward()
    console.wait_for(lambda: console.find("#publish"))
    by_text(console, "发布").click()
    console.wait_for(lambda: console.find("#published"))
    assert "{date: 2026-11-27, name: {zh: 业务培训, ko: 업무 연수로 휴무}, units: [marriage_registry]}" in \
        (menus / "calendar.yaml").read_text(encoding="utf-8")
    assert PublishedVersions(records(console.app)).history()[0].note == \
        "图们市民政局婚姻登记处：11月27日停办（业务培训）"
    korean = place_call("2026-11-27T10:00:00+08:00", "22", MENUS_DIR=str(menus))
    assert any("오늘은 쉽니다. 사유: 업무 연수로 휴무." in line for line in korean.heard())


def test_a_restore_is_confirmed_then_undone(console: Console, menus: Path) -> None:
    shipped = (menus / "units.yaml").read_text(encoding="utf-8")
    console.log_in("editor")
    console.open("/admin/edit/unit/marriage_registry")
    type_into(by_label(console, "电话（如 0433-3623441；留空则经总机转接）"), "0433-3623442")
    by_text(console, "检查").click()
    console.wait_for(lambda: console.find("#publish"))
    by_text(console, "发布").click()
    console.wait_for(lambda: console.find("#published"))
    console.open("/admin/versions")
    console.find("#restore-1").click()
    console.wait_for(lambda: console.find("#confirm"))
    assert "-    phone: 0433-3623442" in console.find("#diff").text
    console.check("restore-confirm")
    by_text(console, "确认恢复").click()
    console.wait_for(lambda: console.find("#restored"))
    assert (menus / "units.yaml").read_text(encoding="utf-8") == shipped  # the marriage office's number is back
    console.check("restore-done")
    by_text(console, "撤销：恢复到第 2 版").click()
    console.wait_for(lambda: "已恢复第 2 版" in console.find("#restored").text)
    assert "phone: 0433-3623442" in (menus / "units.yaml").read_text(encoding="utf-8")
    assert [v.note for v in PublishedVersions(records(console.app)).history()[:2]] == [
        "restore of version 2", "restore of version 1"]
