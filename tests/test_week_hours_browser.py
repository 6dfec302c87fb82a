"""The hours-by-weekday form in Debian's Chromium, by its labels: the marriage office opens on Saturday mornings.

From 修改 only: tick 周六办公, type the Saturday hours of each season, read the week callers will hear in both
languages while typing, check, publish; then a call on a Saturday morning is put through and one that afternoon hears
the office closed. The form fits a 390 px phone; axe-core checks each page.
"""

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
from tests.test_console_forms_browser import by_label, by_text, type_into


@pytest.fixture
def console(browser: Any, menus: Path) -> Iterator[Console]:
    app = console_app(DEVELOPMENT=True, MENUS_DIR=str(menus))
    with served(app) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/admin/login")
        browser.delete_all_cookies()
        yield Console(browser, app, url, api=None)  # type: ignore[arg-type]


def test_the_marriage_office_opens_on_saturday_mornings_from_the_form_alone(console: Console, menus: Path) -> None:
    console.log_in("editor")
    by_text(console, "修改").click()
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/edit"))
    console.find("#week-marriage").click()
    console.wait_for(lambda: by_label(console, "周六办公"))
    assert not by_label(console, "周六办公").is_selected() and by_label(console, "周五办公").is_selected()
    assert by_label(console, "冬季周五").get_attribute("value") == "08:30-16:00"
    console.wait_for(lambda: "星期一至星期五" in console.find("#preview-zh").text)
    console.check("week-form")

    by_label(console, "周六办公").click()
    type_into(by_label(console, "夏季周六"), "09:00-12:00")
    type_into(by_label(console, "冬季周六"), "09:00-12:00")
    # While staff type, the week as callers will hear it, from the core's own sentence, in both languages.
    console.wait_for(lambda: "星期六，上午9点至中午12点" in console.find("#preview-zh").text)
    assert "토요일" in console.find("#preview-ko").text
    assert console.find("#preview-note").text == "来电者听办公室介绍（按1）时听到的办公时间"
    console.check("week-form-saturday")

    # A phone: the form is laid out at 390 px (headless Chromium keeps windows wider) without scrolling sideways.
    console.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False})
    try:
        assert console.driver.execute_script("return window.innerWidth") == 390
        assert console.driver.execute_script("return document.documentElement.scrollWidth") <= 390
        console.check("week-form-390")
    finally:
        console.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    by_text(console, "检查").click()
    console.wait_for(lambda: console.find("#valid"))
    diff = console.find("#diff").text
    assert "+    days: [mon-sat]" in diff
    assert '+    hours: {mon-fri: ["08:30-16:00"], sat: ["09:00-12:00"]}' in diff
    note = by_label(console, "发布说明（版本列表里显示）")
    assert note.get_attribute("value") == "婚姻登记处办公时间：夏季周六 09:00-12:00；冬季周六 09:00-12:00"
    console.check("week-draft")
    by_text(console, "发布").click()
    console.wait_for(lambda: console.find("#published"))
    assert PublishedVersions(records(console.app)).history()[0].note.startswith("婚姻登记处办公时间：夏季周六")

    # Saturday 28 November 2026, winter: Mandarin (1), the marriage office (2).
    morning = place_call("2026-11-28T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert morning.outcome is not None and morning.outcome.kind == Ending.FORWARDED
    assert str(morning.outcome.number) == "+864333623441"
    afternoon = place_call("2026-11-28T12:30:00+08:00", "12", MENUS_DIR=str(menus))
    assert afternoon.outcome is not None and afternoon.outcome.kind != Ending.FORWARDED
    assert "图们市民政局婚姻登记处现在不办公：今天已经下班。" in afternoon.heard()


def test_hours_typed_for_a_day_not_ticked_are_refused_beside_the_field(console: Console, menus: Path) -> None:
    before = (menus / "schedules.yaml").read_text(encoding="utf-8")
    console.log_in("editor")
    console.open("/admin/edit/schedule/marriage/week")
    console.wait_for(lambda: by_label(console, "冬季周六"))
    type_into(by_label(console, "冬季周六"), "09:00-12:00")
    console.wait_for(lambda: console.find("#preview-note").text.startswith("冬季周六填了时间"))
    by_text(console, "检查").click()
    console.wait_for(lambda: by_label(console, "冬季周六").get_attribute("aria-invalid") == "true")
    said = console.find(f"#{by_label(console, '冬季周六').get_attribute('id')}-error").text
    assert said == "冬季周六填了时间，但这天没有勾选为办公日：请勾选“周六办公”，或者清空这一格。"
    assert by_label(console, "冬季周六").get_attribute("value") == "09:00-12:00"  # kept as typed
    assert console.driver.find_elements("css selector", "#publish") == []
    assert (menus / "schedules.yaml").read_text(encoding="utf-8") == before
    console.check("week-form-refused")
