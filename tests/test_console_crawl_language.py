"""No English word reaches a Chinese or a Korean console page: an admin crawls every GET page of the console (listed
from the app's url_map, so that a new page is crawled without being named here), with real data made through the
console itself, and every word people see on it (text, and the attributes a browser shows or reads aloud) is in
the console's language, beyond a short list of named proper nouns."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.clock import parse_moment
from ivr.core.loader import FILES
from ivr.menu_edits import CALENDAR_SECTIONS
from ivr.simulator import CallSimulator, Said, pressed_keys
from ivr.store.staff import StaffStore
from ivr.web.admin.i18n import WORDS, translate
from tests.conftest import make_app
from tests.console import WINTER_WEEKDAY_10AM, csrf_token, leave_message, records, settle

# The only Latin words a Chinese or Korean page may show, each with why (a whole-token pattern: the word as it
# stands, with what is around it).
PROPER_NOUNS: dict[str, str] = {
    # Staff open these files by name in the raw editor, and a check names the file a problem is in.
    r"(?:menus/)?(?:units|menu|schedules|calendar|prompts|hotline)\.yaml": "the menus files staff edit by name",
    r"CSV": "the format of the figures' download, as Excel names it",
    # The one id staff type themselves: a new office's code, the key of its entry in units.yaml; the form says
    # so, and shows how one is written.
    r"legal_aid": "the example of a new office's code in the add-an-office form",
}
# Pages, or parts of them, that are not the console's words, with why.
KNOWN_EXCEPTIONS: dict[str, str] = {}
# The figures' CSV: section, id, name, detail, value.
CSV_ID_COLUMN = 1
# Routes that send no page: what they send instead.
NOT_PAGES = {"admin.preview_script": "the preview's script (JavaScript)", "admin.recording": "a recording (audio)"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
VISIBLE_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label", "data-label")
ADMIN, ADMIN_PASSWORD = "王芳", "admin password for the crawl"
# What staff and callers typed themselves: not the console's words (usernames are Chinese here, so that a word
# the console prints around them is not hidden by them).
CALLER_SAID = "我想问一下养老保险"


@dataclass
class VisibleText(HTMLParser):
    """The words a browser shows or reads aloud on a page: text outside script, style and textarea (the raw
    editor's file is staff's own text), and the visible attributes, buttons' and text fields' values included.
    A difference between files (<pre class="diff">) is the files' own lines: only its framing is the console's,
    the lines naming the two sides (--- and +++)."""

    said: list[str] = field(default_factory=list)
    _skipping: list[str] = field(default_factory=list)
    _diff: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in ("script", "style", "textarea"):
            self._skipping.append(tag)
        if tag == "pre" and "diff" in (named.get("class") or "").split():
            self._diff = []
        for name in VISIBLE_ATTRIBUTES:
            if named.get(name):
                self.said.append(str(named[name]))
        kind = (named.get("type") or "text").lower()
        if tag == "input" and kind in ("submit", "button", "reset", "text", "search") and named.get("value"):
            self.said.append(str(named["value"]))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
        if tag == "pre" and self._diff is not None:
            lines = "".join(self._diff).splitlines()
            self.said.extend(line for line in lines if line.startswith(("--- ", "+++ ")))
            self._diff = None

    def handle_data(self, data: str) -> None:
        if self._diff is not None:
            self._diff.append(data)
        elif not self._skipping and data.strip():
            self.said.append(data)


# A check quotes the line of the file it is about as it is written there: 「phone: 0433-362344」.
QUOTED_LINE = re.compile(r"「[^「」]*」")


def english_words(text: str, data: tuple[str, ...]) -> list[str]:
    """Return the Latin words of a text, beyond the named proper nouns, the lines of files a check quotes, and the
    staff's own data."""
    text = QUOTED_LINE.sub(" ", text)
    for typed in data:
        text = text.replace(typed, " ")
    for pattern in PROPER_NOUNS:
        text = re.sub(rf"(?<![A-Za-z0-9_.-]){pattern}(?![A-Za-z0-9_])", " ", text)
    return LATIN_WORD.findall(text)


def words_of(body: str, content_type: str) -> list[str]:
    """Return the visible words of an HTML page, the strings of a JSON answer (the preview shows them), or the cells
    of the figures' CSV but its id column (ids have a column of their own, for whoever matches them with the
    menus files)."""
    if content_type.startswith("text/csv"):
        return [cell for row in csv.reader(io.StringIO(body.removeprefix("\ufeff")))
                for number, cell in enumerate(row) if number != CSV_ID_COLUMN]
    if content_type.startswith("application/json"):
        return [value for value in json.loads(body).values() if isinstance(value, str)]
    parser = VisibleText()
    parser.feed(body)
    return parser.said


# Making the data through the console ----------------------------------------------------------------------------


def post(client: FlaskClient, path: str, form: dict[str, object], expect: int = 302) -> str:
    """Send a console form with its CSRF token; return the page it leads to."""
    response = client.post(path, data={"csrf_token": csrf_token(client, "/admin/password"), **form})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.headers.get("Location", "")


def draft_number(location: str) -> int:
    found = re.search(r"/admin/drafts/(\d+)", location)
    assert found, location
    return int(found.group(1))


@dataclass
class Console:
    """A console with data in it: what was made, to fill the routes' parameters with."""

    app: Flask
    client: FlaskClient
    values: dict[str, list[object]]
    queries: list[str]


def console_with_data(menus: Path, monkeypatch: pytest.MonkeyPatch) -> Console:
    """An admin's console on which an edit was published, another restored, a draft kept, a voice message left,
    a call's sentence missed and a login failed, all made as staff make them."""
    monkeypatch.setattr("ivr.web.following.RECHECK_SECONDS", 0, raising=False)
    app = make_app(FROZEN_TIME=WINTER_WEEKDAY_10AM, MENUS_DIR=str(menus))
    at = datetime(2026, 11, 1, tzinfo=parse_moment("2026-11-01T00:00").tzinfo)
    StaffStore(records(app)).add(ADMIN, ADMIN_PASSWORD, "admin", at)
    client = app.test_client()
    # A failed login first (the audit log and the lock list show it), then the admin's.
    client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": ADMIN, "password": "wrong"})
    login = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": ADMIN,
                                              "password": ADMIN_PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)
    post(client, "/admin/staff", {"username": "李明", "role": "editor", "password": "an editor password",
                                  "password2": "an editor password"})
    # A closure published from the form, a raw edit published, the first version restored.
    closure = post(client, "/admin/edit/calendar/closures/add", {
        "day": "2026-12-24", "name_zh": "业务培训", "name_ko": "업무 연수", "units": ["marriage_registry"]}, 303)
    post(client, "/admin/edit/publish", {"draft": draft_number(closure)})
    units = (menus / "units.yaml").read_text(encoding="utf-8")
    raw = post(client, "/admin/edit/raw/units.yaml", {"text": units.replace("0433-3623441", "0433-3623442")}, 303)
    post(client, "/admin/edit/publish", {"draft": draft_number(raw)})
    versions = app.extensions["ivr.menus"].follower.versions
    newest = versions.head().id
    post(client, "/admin/versions/1/restore", {"base": newest})
    # A draft kept (not published): a special day.
    kept = post(client, "/admin/edit/calendar/special_days/add", {
        "day": "2026-12-31", "name_zh": "年终盘点", "name_ko": "년말 결산", "closes": "15:00"}, 303)
    # A voice message, and a call whose sentence reached no office.
    voicemail = leave_message(app, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/", lang="zh")
    CallSimulator(app).call(pressed_keys("1", Said(CALLER_SAID), ""))
    settle(app)
    message_ids = [m.id for m in records(app).voicemails() if m.recording_sid == voicemail]
    hotline = app.extensions["ivr.menus"].flow.hotline
    values: dict[str, list[object]] = {
        "section": list(CALENDAR_SECTIONS), "schedule_id": list(hotline.schedules), "unit_id": list(hotline.units),
        "prompt_id": list(hotline.prompts), "name": list(FILES), "voicemail_id": message_ids, "spoken": ["zh", "ko"],
        "admin.draft:number": [draft_number(kept)], "number": [v.id for v in versions.history()],
    }
    queries = [
        "/admin/try?" + urlencode({"said": CALLER_SAID, "keys": "1", "caller_lang": "zh"}),
        "/admin/try?" + urlencode({"keys": "51", "caller_lang": "ko", "dial_status": "busy"}),
        "/admin/try?" + urlencode({"keys": "51", "caller_lang": "zh", "dial_status": "no-answer"}),
        "/admin/try?" + urlencode({"keys": "51", "date": "2026-11-26", "time": "20:00", "caller_lang": "ko"}),
        f"/admin/try?draft={draft_number(kept)}&keys=1",
        "/admin/versions?show=2", f"/admin/messages?marked={message_ids[0]}",
        f"/admin/messages?unmarked={message_ids[0]}",
        "/admin/calendar?unit=marriage_registry&month=2026-12",
        *("/admin/edit/calendar/closures/preview?" + urlencode({"day": day, "name_zh": "会议", "name_ko": "회의"})
          for day in ("2026-12-25", "2026-13-45")),
        "/admin/edit?published=calendar.yaml", "/admin/edit?discarded=" + "年终盘点",
        # Refusals: a bad parameter, a page that is not there, a draft that is gone.
        "/admin/calendar?month=2026-99", "/admin/no-such-page", "/admin/drafts/999999",
        "/admin/messages/999999/called-back",
    ]
    return Console(app, client, values, queries)


def routes(app: Flask, values: dict[str, list[object]]) -> Iterator[tuple[str, str]]:
    """Every GET route of the console with every value of its parameters (endpoint, path)."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("admin.") or "GET" not in (rule.methods or ()):
            continue
        combinations: list[dict[str, object]] = [{}]
        for name in sorted(rule.arguments):
            choices = values.get(f"{rule.endpoint}:{name}") or values[name]
            assert choices, f"{rule.rule}: no value of {name} was made to crawl it with"
            combinations = [{**made, name: choice} for made in combinations for choice in choices]
        for arguments in combinations:
            yield rule.endpoint, adapter.build(rule.endpoint, arguments)


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_no_english_word_reaches_a_chinese_or_korean_console_page(language: str, menus: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    console = console_with_data(menus, monkeypatch)
    client = console.client
    assert client.get(f"/admin/?lang={language}").status_code == 200
    # Staff's and callers' own words, and the server's: its name and its menus folder (the operator chose them).
    data = (ADMIN, "李明", CALLER_SAID, socket.gethostname(), str(menus))
    crawled: dict[str, int] = {}
    found: list[str] = []
    # The editor's refusal of an admin's page, and the login page of a visitor not logged in.
    editor, visitor = console.app.test_client(), console.app.test_client()
    editor.post("/admin/login", data={"csrf_token": csrf_token(editor), "username": "李明",
                                      "password": "an editor password"})
    for other in (editor, visitor):
        other.get(f"/admin/login?lang={language}")
    pages = [*((client, *route) for route in routes(console.app, console.values)),
             *((client, "", query) for query in console.queries),
             (editor, "", "/admin/staff"), (editor, "", "/admin/audit"), (visitor, "", "/admin/login")]
    for browser, endpoint, path in pages:
        if endpoint in NOT_PAGES or endpoint in KNOWN_EXCEPTIONS:
            continue
        response = browser.get(path)
        assert response.status_code < 500 or response.status_code == 502, (path, response.status_code)
        crawled[endpoint or path] = crawled.get(endpoint or path, 0) + 1
        for said in words_of(response.get_data(as_text=True), response.content_type):
            for word in english_words(said, data):
                found.append(f"{path} ({response.status_code}): {word!r} in {said.strip()[:120]!r}")
    assert not found, f"{len(found)} English words on the {language} pages:\n" + "\n".join(dict.fromkeys(found))
    # Every kind of page was crawled, not skipped for want of data.
    assert {"admin.draft", "admin.confirm_restore", "admin.confirm_called_back", "admin.edit_raw", "admin.add_word",
            "admin.edit_prompt", "admin.edit_schedule", "admin.rename_office_form"} <= set(crawled)
    assert crawled["admin.edit_raw"] == len(FILES)
    assert crawled["/admin/staff"] == 1 and crawled["/admin/no-such-page"] == 1
    assert editor.get("/admin/staff").status_code == 403 and visitor.get("/admin/login").status_code == 200


# The console's catalogue itself -----------------------------------------------------------------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")
# Entries whose words are the same in both languages on purpose, with why.
SAME_IN_BOTH = {
    "example_name_zh": "an example of a Chinese name, shown on the Korean page too",
    "example_name_ko": "an example of a Korean name, shown on the Chinese page too",
    "example_hours": "hours are written alike in both",
    "own_schedule_name_zh": "the Chinese name given to an office's own hours, whatever the console's language",
    "own_schedule_name_ko": "the Korean name given to an office's own hours, whatever the console's language",
    "blank": "the brackets around a prompt's blank",
}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_console_message_exists_in_chinese_and_korean_with_the_same_blanks(key: str) -> None:
    zh, ko = WORDS[key]
    assert zh and ko, key
    assert set(PLACEHOLDER.findall(zh)) == set(PLACEHOLDER.findall(ko)), key  # each says every value
    if key not in SAME_IN_BOTH:  # words, beyond blanks, digits and punctuation, are the language's own
        assert HAN.search(zh) or not _worded(zh), (key, zh)
        assert not HANGUL.search(zh), (key, zh)
        assert HANGUL.search(ko) or not _worded(ko), (key, ko)
    for said in (zh, ko):
        assert not english_words(PLACEHOLDER.sub(" ", said), KNOWN_WORDS.get(key, ())), (key, said)


def _worded(said: str) -> bool:
    return any(ch.isalpha() for ch in PLACEHOLDER.sub("", said))


# Words of the catalogue said in Latin letters on purpose, with why (beyond PROPER_NOUNS).
KNOWN_WORDS: dict[str, tuple[str, ...]] = {
    # A system administrator sets this variable; the advice names it as the README does.
    "store_down_advice": ("IVR_DATABASE_URL",),
}


def test_a_korean_page_names_a_callers_language_in_korean() -> None:
    app = make_app(FROZEN_TIME=WINTER_WEEKDAY_10AM)
    StaffStore(records(app)).add(ADMIN, ADMIN_PASSWORD, "admin", parse_moment("2026-11-01T00:00"))
    leave_message(app, "https://api.twilio.com/Recordings/", lang="zh")
    leave_message(app, "https://api.twilio.com/Recordings/", lang="ko")
    settle(app)
    client = app.test_client()
    client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": ADMIN,
                                      "password": ADMIN_PASSWORD})
    for language, names in (("ko", ["조선어", "중국어"]), ("zh", ["中文", "朝鲜语"])):
        page = client.get(f"/admin/messages?lang={language}").get_data(as_text=True)
        label = translate("caller_language", language)  # type: ignore[arg-type]
        assert sorted(re.findall(rf'<td data-label="{label}">([^<]*)</td>', page)) == sorted(names), page


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_the_health_page_says_a_rejected_hand_edit_in_the_consoles_language(language: str, menus: Path) -> None:
    app = make_app(FROZEN_TIME=WINTER_WEEKDAY_10AM, MENUS_DIR=str(menus))
    StaffStore(records(app)).add(ADMIN, ADMIN_PASSWORD, "admin", parse_moment("2026-11-01T00:00"))
    client = app.test_client()
    client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": ADMIN,
                                      "password": ADMIN_PASSWORD})
    units = menus / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("phone: 0433-3623441", "phone: 0433-362344"),
                     encoding="utf-8")
    page = client.get(f"/admin/health?lang={language}")
    said = words_of(page.get_data(as_text=True), page.content_type)
    where = {"zh": "第191行「phone: 0433-362344」", "ko": "191행 「phone: 0433-362344」"}[language]
    assert any(where in line for line in said), said
    assert not [word for line in said for word in english_words(line, (ADMIN, str(menus)))], said


def test_every_refusal_of_an_edit_is_said_in_both_languages_with_the_values_it_names() -> None:
    """Each EditError of ivr/menu_edits.py names a sentence of the console, filled with the values it gives."""
    import ast
    source = Path(__file__).resolve().parent.parent / "ivr" / "menu_edits.py"
    raised = [node for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
              if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "EditError"]
    assert len(raised) >= 14
    for call in raised:
        words = call.args[1].value if len(call.args) > 1 and isinstance(call.args[1], ast.Constant) else "edit_gone"
        given = {keyword.arg for keyword in call.keywords}
        assert words in WORDS, (call.lineno, words)
        for language in ("zh", "ko"):
            said = translate(words, language, **{name: "x" for name in given})  # type: ignore[arg-type]
            assert HAN.search(said) if language == "zh" else HANGUL.search(said), (call.lineno, said)


@pytest.mark.parametrize(("stored", "zh", "ko"), [
    ("restore of version 5", "恢复第 5 版", "5번 판본 복원"),
    ("the first version, from /srv/ivr/menus", "第一个版本：服务器菜单文件夹里原有的文件",
     "첫 판본: 봉사기의 메뉴 파일철에 있던 파일"),
    ("edited in /srv/ivr/menus while the database was not followed",
     "在服务器上直接修改了菜单文件（当时数据库连不上）",
     "봉사기에서 메뉴 파일을 직접 고쳤습니다(그때 자료기지에 련결되지 않음)"),
    ("edited in /srv/ivr/menus", "在服务器上直接修改了菜单文件", "봉사기에서 메뉴 파일을 직접 고쳤습니다"),
    *((note, note, note) for note in ("婚姻登记处：12月24日停办（业务培训）", "restore of version 5, as agreed")),
])
def test_a_version_note_the_service_wrote_is_said_in_the_viewers_language_and_staffs_own_as_written(
        stored: str, zh: str, ko: str) -> None:
    from ivr.web.admin.said import version_note
    assert (version_note(stored, "zh"), version_note(stored, "ko")) == (zh, ko)


@pytest.mark.parametrize(("action", "detail", "zh"), [
    ("staff_add", "李明 as editor", "添加账号 · 李明，角色：编辑员"),
    ("staff_unlock", "li.wei (2 locked addresses)", "解锁账号 · li.wei（2 个地址解锁）"),
    ("login", "role viewer", "登录 · 角色：查看员"),
    ("login_failed", "locked until 2026-11-26 10:15", "登录失败 · 暂停登录到 2026-11-26 10:15"),
    ("login_slowed", "too many failed logins", "登录被暂停 · 登录失败次数太多"),
    ("menus_restored", "version 1 as version 4", "恢复版本 · 把第 1 版恢复为第 4 版"),
    ("menus_publish_refused", "units.yaml: made on version 2, version 3 is newer",
     "发布被拒（有更新的版本） · units.yaml：在第 2 版上做的修改，已经有更新的第 3 版"),
    ("called_back", "voice message 7 from +86139*****678", "标为已回电 · 第 7 条留言，来电号码 +86139*****678"),
    ("a_future_action", "something new", "a_future_action · something new"),
])
def test_the_audit_log_says_each_action_and_detail_the_service_writes_in_words(action: str, detail: str,
                                                                              zh: str) -> None:
    from ivr.web.admin.said import audit_action, audit_detail
    assert f"{audit_action(action, 'zh')} · {audit_detail(action, detail, 'zh')}" == zh
    if action != "a_future_action":
        assert HANGUL.search(audit_action(action, "ko") + audit_detail(action, detail, "ko"))
