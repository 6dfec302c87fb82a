"""Staff read last week's figures per office in Debian's Chromium, choosing the period by its label, and download
the CSV as Excel would read it; the page stays clean under axe-core and its chart labels are drawn whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import accessibility_violations, csp_violations, screenshot, served
from tests.console import PASSWORDS, console_app, records
from tests.test_figures_offices import CALLS, WEDNESDAY


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """The console with the calls of tests/test_figures_offices.py, served, and the browser logged in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    app = console_app(FROZEN_TIME=WEDNESDAY)
    for events in CALLS:
        records(app).apply(events)
    with served(app) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/admin/login")
        browser.delete_all_cookies()
        browser.get(url + "/admin/login")
        browser.find_element(By.ID, "username").send_keys("viewer")
        browser.find_element(By.ID, "password").send_keys(PASSWORDS["viewer"])
        browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        # The login is answered before the figures are asked for (else they would be asked for logged out).
        WebDriverWait(browser, 30).until(lambda driver: "/admin/login" not in driver.current_url)
        browser.get(url + "/admin/figures")
        WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.ID, "period"))
        yield browser


def office_row(driver: Any, name: str) -> dict[str, str]:
    """Read one office's row of the per-office table, by the office's name, as {column heading: text}."""
    from selenium.webdriver.common.by import By

    headings = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#offices thead th")]
    row = driver.find_element(By.XPATH, f"//section[@id='offices']//tr[th[normalize-space()='{name}']]")
    cells = [row.find_element(By.TAG_NAME, "th").text] + [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    return dict(zip(headings, cells, strict=True))


def test_staff_read_last_weeks_figures_of_one_office_and_download_the_csv(page: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = page
    assert driver.find_element(By.ID, "period").text.startswith("本月：2026年11月1日（星期日） 至 2026年11月30日")
    driver.find_element(By.LINK_TEXT, "上周").click()
    assert driver.find_element(By.ID, "period").text == (
        "上周：2026年11月16日（星期一） 至 2026年11月22日（星期日），共 7 天")
    assert driver.find_element(By.LINK_TEXT, "上周").get_attribute("aria-current") == "true"
    funeral = office_row(driver, "图们市殡葬管理所")
    assert funeral == {"单位": "图们市殡葬管理所", "要找": "1", "按键": "1", "说话": "0", "转接": "1", "接通": "1",
                       "占线": "0", "无人接听": "0", "未能拨通": "0", "非办公时间": "0", "留言": "0"}
    assert office_row(driver, "图们市民政局婚姻登记处")["要找"] == "0"
    screenshot(driver, "figures-last-week")
    assert csp_violations(driver) == []
    assert accessibility_violations(driver) == []

    # The CSV as the page's link downloads it, read as bytes: the BOM, then UTF-8 with Chinese headers.
    link = driver.find_element(By.ID, "csv").get_attribute("href")
    assert "since=2026-11-16" in link and "until=2026-11-22" in link
    body = bytes(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));", link))
    assert body[:3] == b"\xef\xbb\xbf"
    text = body.decode("utf-8")
    assert text.lstrip("\ufeff").splitlines()[0] == "栏目,编号,名称,细目,数值"
    assert "各单位来电,funeral_office,图们市殡葬管理所,接通,1" in text.splitlines()


def test_this_weeks_chart_labels_are_drawn_whole_inside_the_chart(page: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = page
    driver.get(driver.current_url.split("?")[0])  # the figures page as staff open it, whatever a test did before
    driver.find_element(By.LINK_TEXT, "本周").click()
    assert driver.find_element(By.ID, "period").get_attribute("data-period") == "this_week"
    # Every label of every chart lies inside its chart's drawing, and the long names are written in full.
    outside = driver.execute_script(
        "const out = []; for (const svg of document.querySelectorAll('.chart svg')) {"
        "  const width = svg.viewBox.baseVal.width;"
        "  for (const label of svg.querySelectorAll('text.label')) { const box = label.getBBox();"
        "    if (box.x < 0 || box.x + box.width > width) out.push(label.textContent); } } return out;")
    assert outside == []
    labels = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#chart-forwarding text.label")]
    assert labels == ["图们市殡葬管理所", "图们市民政局婚姻登记处"]
    hours = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#chart-calls_per_hour text.label")]
    assert hours == ["09:00", "10:00", "11:00", "18:00", "19:00"]  # the hours that had calls, not 24 rows
    menu = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#chart-menu_choices text.label")]
    assert menu == ["主菜单 · 2 婚姻登记"]
