"""Logins in Debian's Chromium: changing one's password by keyboard, and an admin unlocking a locked account; each
page checked with axe-core and photographed into screenshots/."""

from __future__ import annotations

from ivr.store.logins import LIMIT, LoginAttempts
from ivr.store.staff import StaffStore
from tests.console import PASSWORDS, csrf_token, records
from tests.test_admin_browser import Console, console  # noqa: F401  (the fixture)


def test_changing_ones_password_by_keyboard_ends_the_other_session(console: Console) -> None:  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    other = console.app.test_client()
    other.post("/admin/login", data={"csrf_token": csrf_token(other), "username": "viewer",
                                     "password": PASSWORDS["viewer"]})
    assert other.get("/admin/").status_code == 200
    console.log_in("viewer")
    console.find("#password-link").click()
    console.wait_for(lambda: console.driver.current_url.endswith("/admin/password"))
    console.check("password")

    console.find("#current").send_keys("not my password")
    console.find("#new").send_keys("a brand new password 7")
    console.find("#new2").send_keys("a brand new password 7", Keys.ENTER)
    console.wait_for(lambda: "当前密码不对" in console.find("#current-error").text)
    assert console.driver.switch_to.active_element.get_attribute("id") == "current"
    console.check("password-refused")

    console.find("#current").send_keys(PASSWORDS["viewer"], Keys.TAB)
    console.driver.switch_to.active_element.send_keys("a brand new password 7", Keys.TAB)
    console.driver.switch_to.active_element.send_keys("a brand new password 7", Keys.ENTER)
    console.wait_for(lambda: "密码已修改" in console.find("#done").text)
    console.check("password-changed")
    assert other.get("/admin/").status_code == 302
    assert StaffStore(records(console.app)).authenticate("viewer", "a brand new password 7") is not None


def test_an_admin_sees_a_locked_account_and_unlocks_it(console: Console) -> None:  # noqa: F811
    attempts = LoginAttempts(records(console.app))
    from ivr.web.admin import moment

    with console.app.test_request_context("/admin/"):
        at = moment()
    for _ in range(LIMIT):
        assert attempts.reserve("editor", "203.0.113.66", at).allowed
        attempts.failed("editor", "203.0.113.66", at)
    console.log_in("admin")
    console.open("/admin/staff")
    row = console.find("tr[data-username='editor']")
    assert "在 203.0.113.66 暂停登录到 2026-11-26 10:15" in row.text
    console.check("staff-locked")
    console.find("tr[data-username='editor'] button[id^='unlock-']").click()
    console.wait_for(lambda: "已解锁 editor" in console.find("#done").text)
    assert "暂停登录" not in console.find("tr[data-username='editor']").text
    assert attempts.locks(at) == []
    console.check("staff-unlocked")
