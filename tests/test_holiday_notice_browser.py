"""The coming year's holiday notice entered in Debian's Chromium, and the console on a 390 px phone.

An editor sees the banner for 2027 (the State Council's 2027 notice is in neither chinese-calendar nor
calendar.yaml), follows it to the form, enters a Spring Festival with two make-up Saturdays, sees the weeks
previewed, publishes; then a call on a make-up Saturday is forwarded and one on a holiday weekday hears it closed.
The 2027 dates below are test data, plausible but not the State Council's (not published when this was written).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.core.loader import load_hotline
from tests.browser import served
from tests.conftest import BUNDLED_MENUS, Provider, twiml
from tests.console import console_app, leave_message, set_now
from tests.test_admin_browser import Console
from tests.test_console_edits_browser import fill

MARRIAGE_LINE = str(load_hotline(BUNDLED_MENUS).units["marriage_registry"].phone)  # read from menus/
# Test data: Spring Festival 2027 off Sat 6 - Sun 14 February, made up on Saturdays 30 January and 20 February.
SPRING_OFF = ("2027-02-06", "2027-02-14")
MAKE_UP_SATURDAYS = ("2027-01-30", "2027-02-20")


@pytest.fixture
def console(browser: Any, menus: Path) -> Iterator[Console]:
    app = console_app(DEVELOPMENT=True, MENUS_DIR=str(menus), FROZEN_TIME="2026-12-04T10:00:00+08:00")
    with served(app) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/admin/login")
        browser.delete_all_cookies()
        yield Console(browser, app, url, api=None)  # type: ignore[arg-type]


def call_marriage_office(console: Console, at: str, sid: str) -> Any:
    """Press 2 (marriage registration) in Mandarin at a moment, through the provider's signed webhook."""
    set_now(console.app, at)
    return twiml(Provider(console.app.test_client()).post("/voice/step?node=menu:main&lang=zh",
                                                          {"CallSid": sid, "Digits": "2"}))


def test_an_editor_enters_the_2027_notice_from_the_banner_and_calls_follow_it(console: Console,
                                                                              menus: Path) -> None:
    # Before: the make-up Saturday is an ordinary weekend, and the holiday Thursday an ordinary working day (the
    # statutory fallback closes 5-10 February only).
    assert [n.text for n in call_marriage_office(console, "2027-02-20T10:00:00+08:00", "CA1").iter("Number")] == []
    assert [n.text for n in call_marriage_office(console, "2027-02-11T10:00:00+08:00", "CA2").iter("Number")] == \
        [MARRIAGE_LINE]
    set_now(console.app, "2026-12-04T10:00:00+08:00")

    console.log_in("editor")
    assert "2027" in console.find("#notice-missing").text
    console.check("notice-banner")
    console.find("#notice-link").click()
    console.wait_for(lambda: console.find("#spring_festival_first"))
    assert console.find("#year").get_attribute("value") == "2027"
    console.check("notice-form")

    fill(console, "#spring_festival_first", SPRING_OFF[0])
    fill(console, "#spring_festival_last", SPRING_OFF[1])
    fill(console, "#spring_festival_workdays", "2027-01-30, 2027-02-20")
    console.find("#check").click()
    console.wait_for(lambda: console.find("#valid"))
    diff = console.find("#diff").text
    assert "+      - {from: 2027-02-06, to: 2027-02-14, name: spring_festival}" in diff
    assert "+      - {date: 2027-01-30, name: spring_festival}" in diff
    assert "+      - {date: 2027-02-20, name: spring_festival}" in diff
    kinds = {cell.get_attribute("data-day"): cell.get_attribute("data-kind")
             for cell in console.driver.find_elements("css selector", "#weeks-0 td")}
    assert len(kinds) == 4 * 7  # the weeks of 25 January to 21 February
    assert [day for day, kind in kinds.items() if kind == "workday"] == list(MAKE_UP_SATURDAYS)
    assert [day for day, kind in kinds.items() if kind == "off"] == [f"2027-02-{d:02d}" for d in range(6, 15)]
    assert [day for day, kind in kinds.items() if kind == "weekend"] == ["2027-01-31", "2027-02-21"]
    console.check("notice-checked")

    console.find("#publish").click()
    console.wait_for(lambda: console.find("#published"))
    assert "calendar.yaml" in console.find("#published").text
    assert console.driver.find_elements("css selector", "#notice-missing") == []  # the banner is gone
    assert "2027:\n    holidays:" in (menus / "calendar.yaml").read_text(encoding="utf-8")

    # A call on a make-up Saturday is forwarded; one on a holiday Thursday hears the office closed.
    saturday = call_marriage_office(console, "2027-02-20T10:00:00+08:00", "CA3")
    assert [n.text for n in saturday.iter("Number")] == [MARRIAGE_LINE]
    thursday = call_marriage_office(console, "2027-02-11T10:00:00+08:00", "CA4")
    assert [n.text for n in thursday.iter("Number")] == []
    said = " ".join(s.text or "" for s in thursday.iter("Say"))
    assert "春节放假" in said and "下次办公时间是下周一上午8点30分" in said  # open again Monday 15 February


def test_a_mistake_in_the_notice_is_shown_at_its_field_and_nothing_is_saved(console: Console, menus: Path) -> None:
    before = (menus / "calendar.yaml").read_text(encoding="utf-8")
    console.log_in("editor")
    console.open("/admin/edit/notice?year=2027")
    fill(console, "#spring_festival_first", SPRING_OFF[0])
    fill(console, "#spring_festival_last", SPRING_OFF[1])
    fill(console, "#spring_festival_workdays", "2027-02-07")  # a day off of the same holiday
    console.find("#check").click()
    console.wait_for(lambda: console.find("#spring_festival_workdays-error"))
    said = console.find("#spring_festival_workdays-error").text  # in the console's language, the line quoted
    assert "「- {date: 2027-02-07, name: spring_festival}」" in said
    assert "2027-02-07 既写成调休上班日，又写成假日" in said
    assert console.find("#spring_festival_workdays").get_attribute("aria-invalid") == "true"
    assert console.driver.find_elements("css selector", "#publish") == []
    assert (menus / "calendar.yaml").read_text(encoding="utf-8") == before
    console.check("notice-problem")


def test_the_messages_page_fits_a_390_px_phone_and_the_player_keeps_its_label_clear(console: Console) -> None:
    leave_message(console.app, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/", caller="+8613700002222")
    console.log_in("viewer")
    # Headless Chromium keeps a window at least 500 px wide: the page is laid out at 390 px as on a phone instead.
    console.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False})
    try:
        console.open("/admin/messages")
        console.wait_for(lambda: console.find("#message-1 audio"))
        assert console.driver.execute_script("return window.innerWidth") == 390
        assert console.driver.execute_script("return document.documentElement.scrollWidth") <= 390
        assert "13700002222" in console.find("#message-1").text  # as staff write it, not +8613700002222
        assert "+8613700002222" not in console.find("#message-1").text
        # The player starts below the cell's label ("收听："), not on top of it, and stays inside the screen.
        cell, player, label_bottom = console.driver.execute_script(
            "const audio = document.querySelector('#message-1 audio'); const td = audio.closest('td');"
            "const before = getComputedStyle(td, '::before');"
            "const top = td.getBoundingClientRect().top + parseFloat(getComputedStyle(td).paddingTop);"
            "return [td.getBoundingClientRect().toJSON(), audio.getBoundingClientRect().toJSON(),"
            "        top + parseFloat(before.lineHeight === 'normal' ? before.fontSize : before.lineHeight)];")
        assert player["top"] >= label_bottom - 1
        assert player["left"] >= 0 and player["right"] <= 390 and cell["right"] <= 390
        console.check("messages-390")
        console.open("/admin/")
        assert console.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    finally:
        console.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
