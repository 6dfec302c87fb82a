"""Debian's Chromium driven by Selenium against the app served on a local port, with axe-core for accessibility."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ivr.paths import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Where every page the browser tests visit is photographed (git-ignored; the README names it).
SCREENSHOTS = PROJECT_ROOT / "screenshots"
# axe-core impacts that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")


def require_chromium() -> None:
    """Skip without Debian's Chromium on a developer's machine; fail under CI, which installs it."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    message = "Chromium and chromedriver are not installed; .ci/run installs Debian's chromium and chromium-driver."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message + " (apt-get install chromium chromium-driver)")


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """Start headless Chromium with a fresh profile and no traffic of its own to the internet."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ivr-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # for csp_violations()
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve the app with werkzeug on 127.0.0.1 and a free port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def screenshot(driver: Any, name: str) -> Path:
    """Save a full-page screenshot of the current page as screenshots/NAME.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, 600)  # measure the page, not the window left by the last screenshot
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 140, 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 900)
    return path


def accessibility_violations(driver: Any) -> list[str]:
    """Run axe-core (shipped inside axe-selenium-python, read from disk) on the page; list serious problems."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def csp_violations(driver: Any) -> list[str]:
    """Return what the browser refused under the page's Content-Security-Policy since the last look."""
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
