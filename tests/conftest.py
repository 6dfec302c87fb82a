"""Shared fixtures: the engine's own small hotline (tests/fixtures/engine_menus/), the bureau's shipped menus for
the tests about them, and private copies of either that a test may break on purpose."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivr.core.loader import load_hotline
from ivr.core.model import Hotline
from ivr.paths import PROJECT_ROOT

# The bureau's shipped menus, for the tests that are about them (tests/edited_menus_check.py shows that an edit of
# them fails those tests only).
BUNDLED_MENUS = PROJECT_ROOT / "menus"
# The small hotline written for the engine's tests: four units, two menus, its own calendar and schedules.
ENGINE_MENUS = Path(__file__).parent / "fixtures" / "engine_menus"


@pytest.fixture(autouse=True)
def private_instance_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test's last good menus and records out of the checkout's instance/ folder."""
    folder = tmp_path_factory.mktemp("instance")
    monkeypatch.setattr("ivr.settings.default_instance_dir", lambda: folder)
    return folder


@pytest.fixture(autouse=True)
def operators_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands print the menus checks in English, as an operator asks (IVR_STAFF_LANG=en): the tests that read
    the problems' exact sentences read the English ones; tests/test_validation_in_staff_words.py asks for zh
    and ko, and for the default."""
    monkeypatch.setenv("IVR_STAFF_LANG", "en")


@pytest.fixture(scope="session")
def hotline() -> Hotline:
    """The bundled hotline, loaded once."""
    return load_hotline(BUNDLED_MENUS)


@pytest.fixture(scope="session")
def town() -> Hotline:
    """The engine's small hotline (tests/fixtures/engine_menus/), loaded once."""
    return load_hotline(ENGINE_MENUS)


@pytest.fixture
def menus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of menus/ and audio/ in a temporary folder that is also the working directory."""
    shutil.copytree(BUNDLED_MENUS, tmp_path / "menus")
    shutil.copytree(BUNDLED_MENUS.parent / "audio", tmp_path / "audio")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "menus"


@pytest.fixture
def town_menus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the engine's small hotline in a temporary folder that is also the working directory."""
    shutil.copytree(ENGINE_MENUS, tmp_path / "menus")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "menus"


Editor = Callable[[str, str, str], int]


def editor(folder: Path) -> Editor:
    """Replace text once in a file of the folder; return the line number where the new text starts."""

    def replace(file: str, old: str, new: str) -> int:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"{old!r} not found in {file}"
        start = text.index(old)
        path.write_text(text[:start] + new + text[start + len(old):], encoding="utf-8")
        return text[:start].count("\n") + 1

    return replace


@pytest.fixture
def edit(menus: Path) -> Editor:
    """Replace text once in a file of the shipped menus' copy; return the line number where the new text starts."""
    return editor(menus)


@pytest.fixture
def town_edit(town_menus: Path) -> Editor:
    """Replace text once in a file of the small hotline's copy; return the line number where the new text starts."""
    return editor(town_menus)


# The web edge ------------------------------------------------------------------------------------------

import tempfile  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from werkzeug.test import TestResponse  # noqa: E402

from ivr.simulator import CallResult, CallSimulator, pressed_keys  # noqa: E402
from ivr.web import create_app  # noqa: E402

TOKEN = "test-auth-token-5f1c2d3e4b5a69788"
SECRET_KEY = "test-secret-key-for-the-staff-console-cookies"
OPEN_WEEKDAY = "2026-11-26T09:00:00+08:00"  # a Thursday morning in winter
CLOSED_EVENING = "2026-11-26T19:00:00+08:00"


# Each app's files go in a folder under this session's own; the session removes it when it ends, and pytest keeps
# no more than its last few sessions' folders (tmp_path_retention_count), so runs leave nothing behind in /tmp.
_app_root: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def app_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's folder for the apps' SQLite files, outboxes and instance folders, removed at the end."""
    root = tmp_path_factory.mktemp("apps")
    _app_root.append(root)
    yield root
    _app_root.remove(root)
    shutil.rmtree(root, ignore_errors=True)


def make_app(menus: Path | None = None, **config: Any) -> Flask:
    """Create the app as the provider would reach it, with a real auth token and a private SQLite file, on the
    given menus folder (by default the bureau's shipped menus: engine tests pass ENGINE_MENUS)."""
    folder = Path(tempfile.mkdtemp(prefix="ivr-test-", dir=_app_root[-1] if _app_root else None))
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET_KEY, "MENUS_DIR": str(menus or BUNDLED_MENUS),
                "FROZEN_TIME": OPEN_WEEKDAY, "DATABASE_URL": f"sqlite:///{folder / 'ivr.sqlite3'}",
                "OUTBOX_DIR": str(folder / "outbox"), "INSTANCE_DIR": str(folder / "instance")}
    settings.update(config)
    return create_app(settings)


class Provider:
    """Sends webhook requests the way the telephony provider does: form-encoded and signed."""

    def __init__(self, client: FlaskClient, token: str = TOKEN, base_url: str = "http://localhost") -> None:
        self.client = client
        self.token = token
        self.base_url = base_url

    def sign(self, url: str, form: dict[str, str]) -> str:
        return str(RequestValidator(self.token).compute_signature(self.base_url + url, form))

    def post(self, url: str, form: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        form = form or {}
        headers = {"X-Twilio-Signature": self.sign(url, form), **kwargs.pop("headers", {})}
        return self.client.post(url, data=form, headers=headers, **kwargs)


def twiml(response: TestResponse) -> ET.Element:
    """Parse a TwiML response, checking it is a 200 XML <Response>."""
    assert response.status_code == 200, response.data
    assert response.content_type == "text/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def place_call(at: str, keys: str, dial_status: str = "completed", **config: Any) -> CallResult:
    """Simulate a whole call at a moment, pressing the keys in order."""
    app = make_app(FROZEN_TIME=at, **config)
    return CallSimulator(app).call(pressed_keys(keys), dial_status=dial_status)


def town_call(at: str, keys: str, dial_status: str = "completed", **config: Any) -> CallResult:
    """Simulate a whole call to the engine's small hotline at a moment, pressing the keys in order."""
    return place_call(at, keys, dial_status, menus=ENGINE_MENUS, **config)


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def town_app() -> Flask:
    """The app on the engine's small hotline."""
    return make_app(ENGINE_MENUS)


@pytest.fixture
def town_provider(town_app: Flask) -> Provider:
    return Provider(town_app.test_client())


@pytest.fixture
def provider(app: Flask) -> Provider:
    return Provider(app.test_client())


# The call records store, on SQLite and on a real PostgreSQL server --------------------------------------


from tests.postgres import ExternalPostgres, PostgresServer, find_pg_bin  # noqa: E402


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the tests' own, which a test may stop and start (needs Debian's binaries)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql package.")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql).")
    server = PostgresServer(bin_dir)
    server.init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> ExternalPostgres | PostgresServer:
    """The PostgreSQL server for store tests: the one named in IVR_TEST_POSTGRES_URL, else a private one."""
    admin_url = os.environ.get("IVR_TEST_POSTGRES_URL")
    if admin_url:
        return ExternalPostgres(admin_url)
    server: PostgresServer = request.getfixturevalue("private_postgres")
    return server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend the service supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    server: ExternalPostgres | PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


# A small hotline written by the test, for tests of the engine ---------------------------------------------

SMALL_UNITS = """\
units:
  bureau:
    kind: bureau
    name: {zh: 图们市民政和人力资源社会保障局, ko: 도문시 민정인력자원사회보장국}
    phone: 0433-3622075
    address: {zh: 锦水街416号, ko: 금수거리 416호}
    postcode: "133100"
    schedule: standard
    summary: {zh: 总机。, ko: 대표전화.}
    keywords: [总机]
  marriage_registry:
    kind: agency
    parent: bureau
    name: {zh: 婚姻登记处, ko: 혼인등기처}
    phone: 0433-3623441
    address: {zh: 口岸大街2527号, ko: 구안대가 2527호}
    postcode: "133100"
    schedule: marriage
    summary: {zh: 办理结婚登记。, ko: 결혼등기를 처리합니다.}
    keywords: [结婚]
  funeral_office:
    kind: agency
    parent: bureau
    name: {zh: 殡葬管理所, ko: 장례관리소}
    phone: 0433-3624942
    address: {zh: 锦水街416号, ko: 금수거리 416호}
    postcode: "133100"
    schedule: standard
    summary: {zh: 殡葬管理。, ko: 장례관리.}
    keywords: [殡葬]
"""
SMALL_MENU = """\
main_menu: main
menus:
  main:
    title: {zh: 主菜单, ko: 주메뉴}
    options:
      "1": {label: {zh: 婚姻登记, ko: 혼인등기}, unit: marriage_registry}
      "2": {label: {zh: 殡葬服务, ko: 장례봉사}, unit: funeral_office}
"""
SMALL_SEASONS = """\
seasons:
  summer: {name: {zh: 夏季, ko: 여름철}, from: "05-01", to: "09-30"}
  winter: {name: {zh: 冬季, ko: 겨울철}, from: "10-01", to: "04-30"}
"""
SMALL_CALENDAR = """\
holiday_names:
  new_years_day: {zh: 元旦, ko: 원단}
  spring_festival: {zh: 春节, ko: 춘절}
  tomb_sweeping_day: {zh: 清明节, ko: 청명절}
  labour_day: {zh: 劳动节, ko: 로동절}
  dragon_boat_festival: {zh: 端午节, ko: 단오절}
  national_day: {zh: 国庆节, ko: 국경절}
  mid_autumn_festival: {zh: 中秋节, ko: 추석}
  anti_fascist_70th_day: {zh: 抗战胜利纪念日, ko: 항일전쟁승리 기념일}
"""

SmallHotline = Callable[..., Path]


def write_small_hotline(folder: Path, schedules: str, calendar: str = "") -> Path:
    """Write a hotline of three units with the given schedules and calendar entries into a folder."""
    folder.mkdir(exist_ok=True)
    prompts = (BUNDLED_MENUS / "prompts.yaml").read_text(encoding="utf-8")
    (folder / "prompts.yaml").write_text(
        "\n".join(line for line in prompts.splitlines() if not line.strip().startswith("audio:")) + "\n",
        encoding="utf-8")
    shutil.copy(BUNDLED_MENUS / "hotline.yaml", folder / "hotline.yaml")
    (folder / "units.yaml").write_text(SMALL_UNITS, encoding="utf-8")
    (folder / "menu.yaml").write_text(SMALL_MENU, encoding="utf-8")
    (folder / "schedules.yaml").write_text(SMALL_SEASONS + schedules, encoding="utf-8")
    (folder / "calendar.yaml").write_text(SMALL_CALENDAR + calendar, encoding="utf-8")
    return folder


@pytest.fixture
def small_hotline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SmallHotline:
    """Write a hotline of three units (bureau, marriage registry, funeral office) with the schedules and calendar
    entries a test gives; the bundled hotline.yaml and prompts.yaml (without recordings) say the sentences."""

    def write(schedules: str, calendar: str = "") -> Path:
        return write_small_hotline(tmp_path / "small", schedules, calendar)

    monkeypatch.chdir(tmp_path)
    return write


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Debian Chromium per test module that drives the console (skipped, saying why, where there is none)."""
    from tests.browser import chromium, require_chromium

    require_chromium()
    with chromium() as driver:
        yield driver
