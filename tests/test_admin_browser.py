"""The staff console in Debian's Chromium: logging in by keyboard, the hotline now, a rehearsed call, a voice message.

Every page visited is checked with axe-core (no serious or critical problems) and photographed into screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from ivr.core.loader import load_hotline
from ivr.store.staff import StaffStore
from ivr.web.admin.phones import staff_phone
from tests.browser import accessibility_violations, csp_violations, screenshot, served
from tests.conftest import BUNDLED_MENUS, TOKEN
from tests.console import PASSWORDS, WINTER_WEEKDAY_10AM, console_app, leave_message, records, set_now, settle
from tests.provider_api import ACCOUNT_SID, RECORDINGS_PATH, ProviderApi, provider_api

# The shipped marriage office's line as staff write it, read from menus/ (a new number fails only the seed tests).
MARRIAGE_LINE = staff_phone(load_hotline(BUNDLED_MENUS).units["marriage_registry"].phone)


@dataclass
class Console:
    """The console served on a local port, the browser looking at it, and the provider's API stand-in."""

    driver: Any
    app: Flask
    url: str
    api: ProviderApi

    def open(self, path: str) -> None:
        """Go to a console page."""
        self.driver.get(self.url + path)

    def find(self, css: str) -> Any:
        """Return the element a CSS selector finds."""
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def check(self, name: str) -> None:
        """Photograph the page and require that axe-core finds no serious or critical problem on it."""
        screenshot(self.driver, name)
        assert csp_violations(self.driver) == [], name  # the page's own scripts and styles all ran
        assert accessibility_violations(self.driver) == [], name

    def log_in(self, role: str) -> None:
        """Log in through the form, as a person with the mouse would."""
        self.open("/admin/login")
        self.find("#username").send_keys(role)
        self.find("#password").send_keys(PASSWORDS[role])
        self.find("form.login button").click()
        self.wait_for(lambda: "/admin/login" not in self.driver.current_url)

    def wait_for(self, condition: Any) -> None:
        """Wait up to ten seconds for a condition on the page."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
            WebDriverException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        def holds() -> bool:
            try:
                return bool(condition())
            except WebDriverException as exc:
                # chromedriver now and then says this of an element of the page just left, not "stale"
                if "does not belong to the document" in str(exc.msg):
                    return False
                raise

        # While the next page loads, the elements of the last one go stale: look again.
        WebDriverWait(self.driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                      ).until(lambda _: holds())


@pytest.fixture
def console(browser: Any) -> Iterator[Console]:
    with provider_api(TOKEN) as api:
        app = console_app(DEVELOPMENT=True, PROVIDER_API_URL=api.base_url, TWILIO_ACCOUNT_SID=ACCOUNT_SID)
        with served(app) as url:
            browser.set_window_size(1280, 900)
            browser.get(url + "/admin/login")
            browser.delete_all_cookies()  # cookies are per host, not per port: start every test logged out
            yield Console(browser, app, url, api)


def test_logging_in_by_keyboard_and_seeing_who_is_open_now(console: Console) -> None:
    from selenium.webdriver.common.keys import Keys

    console.open("/admin/")
    assert "/admin/login?next=/admin/" in console.driver.current_url  # a page without login goes to the login
    console.check("login")
    # Keyboard only: the name field has the focus, Tab goes to the password, then to the button, Enter logs in.
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "username"
    active.send_keys("admin", Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "password"
    active.send_keys(PASSWORDS["admin"], Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.tag_name == "button"
    active.send_keys(Keys.ENTER)
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/"))

    # A winter weekday at 10:00: the marriage office is open.
    marriage = console.find("#unit-marriage_registry")
    assert marriage.get_attribute("data-open") == "yes"
    assert "办公中" in marriage.text and MARRIAGE_LINE in marriage.text
    console.check("now-winter-weekday")

    # National Day: closed for the holiday, opening again on Thursday 8 October at 8:30.
    set_now(console.app, "2026-10-01T10:00:00+08:00")
    console.open("/admin/")
    marriage = console.find("#unit-marriage_registry")
    assert marriage.get_attribute("data-open") == "no"
    assert "节假日：国庆节" in marriage.text
    assert "10月8日星期四上午8点30分" in console.find("#unit-marriage_registry .next-open").text
    assert console.find(".banner").text == "今天是国庆节假期，各单位不办公。"
    console.check("now-national-day")

    console.find("a[lang='ko']").click()
    console.wait_for(lambda: console.find("html").get_attribute("lang") == "ko")
    assert "10월 8일 목요일 오전 8시 30분" in console.find("#unit-marriage_registry .next-open").text
    console.check("now-korean")
    console.open("/admin/?lang=zh")
    console.driver.set_window_size(390, 844)  # a phone
    console.check("now-phone")
    console.driver.set_window_size(1280, 900)

    from ivr.simulator import CallSimulator, pressed_keys

    set_now(console.app, WINTER_WEEKDAY_10AM)  # a few calls for the figures
    for keys, dial_status in (("12", "completed"), ("12", "busy"), ("14", "no-answer"), ("1", "completed")):
        CallSimulator(console.app).call(pressed_keys(keys), dial_status=dial_status)
    settle(console.app)
    for name, path in [("calendar", "/admin/calendar?unit=marriage_registry&month=2026-10"), ("menu", "/admin/menu"),
                       ("figures", "/admin/figures"), ("health", "/admin/health"), ("audit", "/admin/audit")]:
        console.open(path)
        console.check(name)
    console.open("/admin/calendar?unit=marriage_registry&month=2026-10")
    assert console.find("td[data-date='2026-10-10']").get_attribute("data-kind") == "makeup"
    console.open("/admin/figures")
    assert "图们市民政局婚姻登记处" in console.find("#chart-forwarding").text
    # A month no calendar has: a page in the console's layout that says what to write, as clean as the others.
    console.open("/admin/calendar?month=9999-12")
    assert "请写 2000-01 到 2099-12 之间的月份" in console.find("#problem").text
    assert console.find("nav a[href='/admin/calendar']").text == "日历"
    console.check("bad-parameter")


def test_trying_a_call_on_the_make_up_saturday_reaches_the_marriage_office(console: Console) -> None:
    from selenium.webdriver.common.keys import Keys

    console.log_in("viewer")
    console.open("/admin/try?date=2026-10-10&time=09:00&caller_lang=zh")
    assert console.find("#outcome").get_attribute("data-kind") == "waiting"
    assert "请按2" in console.find("#last-step").text  # the main menu, after the language choice
    greeting = console.driver.execute_async_script(
        "const done = arguments[0]; const audio = document.querySelector('audio');"
        "audio.play().then(() => done(audio.currentSrc)).catch(e => done(String(e)));")
    assert greeting.endswith("/audio/zh/greeting.wav")  # a recorded prompt plays with <audio>
    console.check("try-start")

    console.find("#key-2").send_keys(Keys.ENTER)  # the keypad by keyboard: Enter on the key
    console.wait_for(lambda: console.find("#outcome").get_attribute("data-kind") == "forwarded")
    assert MARRIAGE_LINE in console.find("#outcome").text
    assert console.find("#keys-pressed").text == "2"
    assert f"转接到 {MARRIAGE_LINE}" in console.find("#steps").text
    console.find("#play").click()  # speaks with the browser's voice when it has one; never an error
    assert console.driver.execute_script("return typeof window.speechSynthesis") == "object"
    console.check("try-make-up-saturday")

    console.open("/admin/try?date=2026-10-01&time=09:00&caller_lang=zh")
    console.find("#key-2").send_keys(Keys.SPACE)  # and Space
    console.wait_for(lambda: console.find("#outcome").get_attribute("data-kind") == "closed")
    assert "国庆节" in console.find("#outcome").text and "10月8日星期四上午8点30分" in console.find("#outcome").text
    settle(console.app)
    assert records(console.app).voicemails() == [] and _calls(console.app) == 0  # never in the real records
    console.check("try-national-day")


def _calls(app: Flask) -> int:
    from sqlalchemy import func, select

    from ivr.store.tables import calls

    with records(app).engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(calls)).scalar_one())


def test_a_voice_message_plays_from_the_provider_api_and_is_marked_called_back(console: Console) -> None:
    from selenium.webdriver.common.keys import Keys

    sid = leave_message(console.app, console.api.recording_url(""), caller="+8613700002222", lang="ko")
    console.log_in("editor")
    console.open("/admin/messages")
    row = console.find("#message-1")
    assert "13700002222" in row.text and "+8613700002222" not in row.text  # as staff write it
    assert "图们市民政局婚姻登记处" in row.text and "朝鲜语" in row.text  # the caller's language named in the console's
    assert console.find("#message-1 a[href='tel:+8613700002222']")
    played = console.driver.execute_async_script(
        "const done = arguments[0]; const audio = document.querySelector('#message-1 audio');"
        "audio.play().then(() => done({duration: audio.duration})).catch(e => done({error: String(e)}));")
    assert played == {"duration": pytest.approx(0.5, abs=0.05)}
    assert console.api.requests == [(RECORDINGS_PATH + sid + ".wav", True)]  # fetched once, with credentials
    console.check("messages")
    console.driver.set_window_size(390, 844)  # a phone
    console.check("messages-phone")
    console.driver.set_window_size(1280, 900)

    console.find("#mark-1").send_keys(Keys.ENTER)
    console.wait_for(lambda: console.find("#confirm"))  # it asks first, and can be undone after
    console.find("#confirm").send_keys(Keys.ENTER)
    console.wait_for(lambda: "已回电" in console.find("#message-1 .message-status").text)
    assert "editor 于 2026-11-26 10:00 回电" in console.find("#message-1 .message-status").text
    [message] = records(console.app).voicemails()
    assert (message.status, message.called_back_by) == ("called back", "editor")
    console.check("messages-called-back")


def test_a_viewer_cannot_mark_a_message(console: Console) -> None:
    leave_message(console.app, console.api.recording_url(""))
    console.log_in("viewer")
    console.open("/admin/messages")
    assert console.driver.find_elements("css selector", "#mark-1") == []
    # Even a hand-made request with a valid CSRF token is refused.
    status = console.driver.execute_async_script(
        "const done = arguments[0]; const body = new FormData();"
        "body.append('csrf_token', document.querySelector('input[name=csrf_token]').value);"
        "fetch('/admin/messages/1/called-back', {method: 'POST', body, redirect: 'manual'})"
        ".then(r => done(r.status));")
    assert status == 403
    assert records(console.app).voicemails()[0].status == "new"
    assert [e.action for e in StaffStore(records(console.app)).audit_entries()] == ["login"]


def test_an_admin_adds_a_staff_account_with_the_keyboard(console: Console) -> None:
    from selenium.webdriver.common.keys import Keys

    console.log_in("admin")
    console.find("nav a[href='/admin/staff']").click()
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/staff"))
    # Keyboard only: the name, Tab to the role (Down picks editor), Tab to each password field, Enter on the button.
    console.find("#new-username").send_keys("li.wei")
    active = console.driver.switch_to.active_element
    active.send_keys(Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "new-role"
    active.send_keys(Keys.DOWN)
    active.send_keys(Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "new-password"
    active.send_keys("a long password 4", Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "new-password2"
    active.send_keys("a long password 4", Keys.TAB)
    active = console.driver.switch_to.active_element
    assert active.get_attribute("id") == "add-account"
    active.send_keys(Keys.ENTER)
    console.wait_for(lambda: "已添加账号 li.wei。" in console.find("#done").text)
    row = console.find("tr[data-username='li.wei']")
    assert "编辑员" in row.text and "可以登录" in row.text
    added = StaffStore(records(console.app)).get("li.wei")
    assert added is not None and (added.role, added.active) == ("editor", True)
    console.check("staff")

    # The same name again: the message sits at the name field, which gets the focus.
    console.find("#new-username").send_keys("li.wei")
    console.find("#new-password").send_keys("a long password 4")
    console.find("#new-password2").send_keys("a long password 4", Keys.ENTER)
    console.wait_for(lambda: "已经有名为 li.wei 的账号" in console.find("#new-username-error").text)
    assert console.driver.switch_to.active_element.get_attribute("id") == "new-username"
    console.check("staff-refused")
