"""Staff improve speech routing from what callers said: the figures page lists the sentences that reached no
office (newest first, escaped, at most 50); an editor adds a word of one to an office's keywords, checked and
published as a menus version, after which the same sentence reaches that office. Over HTTP, on a real SQLite
file, with webhooks signed as the provider signs them."""

from __future__ import annotations

import html
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.clock import parse_moment
from ivr.events import StepEvent
from ivr.menu_edits import EditError, add_keyword
from ivr.store.staff import StaffStore
from ivr.store.versions import PublishedVersions
from tests import test_admin_browser
from tests.conftest import Provider, twiml
from tests.console import console_app, csrf_token, log_in, records, settle
from tests.test_admin_browser import Console

MAIN_ZH = "/voice/step?node=menu:main&lang=zh&input=none&seq=1"  # as the language menu sends it
MARRIAGE_LINE = "+864333623441"
THURSDAY = "/admin/figures?since=2026-11-26&until=2026-11-26"
# The browser test's console served on a local port (its Chromium is conftest's `browser`).
console = test_admin_browser.console
KEYWORDS_BEFORE = "    keywords: [结婚, 离婚, 结婚证, 婚姻登记, 婚姻证明, 결혼, 리혼, 혼인등기]"


@pytest.fixture
def app(menus: Path) -> Flask:
    return console_app(MENUS_DIR=str(menus))


def client_of(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, role)
    return client


def say(app: Flask, sentence: str) -> tuple[str, str | None, str]:
    """Call in, say a sentence at the main menu in Mandarin; return the call, the number dialled and the TwiML."""
    call = {"CallSid": "CA" + secrets.token_hex(16), "From": "+8613812345678", "To": "+864333622075"}
    provider = Provider(app.test_client())
    twiml(provider.post("/voice", call))
    response = provider.post(MAIN_ZH, {**call, "SpeechResult": sentence, "Confidence": "0.92"})
    root = twiml(response)
    settle(app)
    return call["CallSid"], root.findtext("Dial/Number"), response.get_data(as_text=True)


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="missed-row">(.*?)</tr>', page, re.S)


def test_an_editor_adds_a_word_callers_said_and_the_same_sentence_then_reaches_the_office(
        app: Flask, menus: Path) -> None:
    _, dialled, said = say(app, "我想扯证")
    assert dialled is None and "<Gather" in said  # no office: the caller is asked again

    viewer = client_of(app, "viewer")
    page = text(viewer.get(THURSDAY))
    assert "来电者说了但没有找到办事处的话" in page
    listed = rows(page)
    assert len(listed) == 1
    assert re.findall(r"<td[^>]*>(.*?)</td>", listed[0], re.S) == [
        "2026-11-26 10:00", "普通话", "我想扯证", "—", "没有找到办事处"]
    assert '<form class="inline keyword-form"' not in page and 'name="word"' not in page  # a viewer reads only
    refused = viewer.post("/admin/figures/keyword/zh", data={"csrf_token": csrf_token(viewer, THURSDAY),
                                                              "unit": "marriage_registry", "word": "扯证"})
    assert refused.status_code == 403

    editor = client_of(app, "editor")
    page = text(editor.get(THURSDAY))
    form = re.search(r'<form class="inline keyword-form" method="post" action="(/admin/figures/keyword/zh)">(.*?)'
                     r'</form>', page, re.S)
    assert form is not None, page
    assert 'name="word" type="text" value="扯证" maxlength="20"' in form.group(2)  # fillers (我想) left out
    assert '<option value="marriage_registry">图们市民政局婚姻登记处</option>' in form.group(2)
    base = re.search(r'name="base" value="(\d*)"', form.group(2))
    assert base is not None

    checked = editor.post(form.group(1), data={"csrf_token": csrf_token(editor, THURSDAY), "base": base.group(1),
                                               "unit": "marriage_registry", "word": " 扯证 "},
                          follow_redirects=True)  # to the draft's own page (Post/Redirect/Get)
    page = text(checked)
    assert checked.status_code == 200, page
    assert 'id="valid"' in page
    assert f"-{KEYWORDS_BEFORE}" in page and f"+{KEYWORDS_BEFORE[:-1]}, 扯证]" in page
    assert (menus / "units.yaml").read_text(encoding="utf-8").count("扯证") == 0  # only checked so far
    draft = re.search(r'name="draft" value="([^"]+)"', page)
    assert draft is not None
    published = editor.post("/admin/edit/publish", data={"csrf_token": csrf_token(editor, THURSDAY),
                                                         "draft": draft.group(1)})
    assert published.status_code == 302, text(published)

    units = (menus / "units.yaml").read_text(encoding="utf-8")
    assert f"{KEYWORDS_BEFORE[:-1]}, 扯证]" in units.splitlines()
    assert "#   keywords  words callers might use for it" in units  # the file's comments kept
    newest = PublishedVersions(records(app)).history()[0]
    assert (newest.author, newest.note) == ("editor", "图们市民政局婚姻登记处：加上来电者的说法“扯证”")
    entry = next(e for e in StaffStore(records(app)).audit_entries() if e.action == "menus_published")
    assert (entry.actor, entry.detail) == ("editor", "menus/units.yaml")

    # The router is built again for the new version: the same sentence now reaches the marriage office.
    _, dialled, _ = say(app, "我想扯证")
    assert dialled == MARRIAGE_LINE
    # Adding it twice is refused at its field.
    again = editor.post(form.group(1), data={"csrf_token": csrf_token(editor, THURSDAY),
                                             "unit": "marriage_registry", "word": "扯证"})
    assert again.status_code == 422
    assert "“扯证”已经是这个办事处的关键词。" in _field_error(text(again), "word")


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<ul class="field-error" id="{name}-error">(.*?)</ul>', page, re.S)
    assert found, page
    return found.group(1)


def test_hostile_sentences_are_escaped_bounded_and_at_most_50_are_listed_newest_first(app: Flask) -> None:
    start = parse_moment("2026-11-26T09:00:00+08:00")
    hostile = "<script>alert('x')</script>" + "离婚不知道" * 60
    events = []
    for i in range(55):
        said = hostile if i == 54 else f"第{i}句话"
        events.append(StepEvent.make(call_sid=f"CA{i:032d}", at=start + timedelta(minutes=i), seq=1,
                                     node="menu:main", outcome="not_understood", language="zh",
                                     caller="+8613812345678", called="+864333622075", speech=said, offered=()))
    records(app).apply(events)
    page = client_of(app, "editor").get(THURSDAY).get_data(as_text=True)
    listed = rows(page)
    assert len(listed) == 50
    assert "第53句话" in listed[1] and "第5句话" in listed[-1] and "第4句话" not in page
    assert "<script>alert" not in page
    shown = re.search(r'<td data-label="说的话" class="missed-sentence" lang="zh-CN">(.*?)</td>', listed[0], re.S)
    assert shown is not None
    assert shown.group(1).startswith("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;离婚不知道")
    assert len(html.unescape(shown.group(1))) <= 200
    word = re.search(r'name="word" type="text" value="([^"]*)"', listed[0])
    assert word is not None
    assert word.group(1) == ("离婚不知道" * 4)  # the Han characters only, cut to 20


@pytest.mark.parametrize("shown_in, spoken, word, message", [
    ("zh", "zh", "혼인신고", "普通话的关键词只能用汉字写（不要标点、数字、字母或朝鲜文）。"),
    ("zh", "ko", "婚姻", "朝鲜语的关键词只能用朝鲜文写，词之间可以有空格（不要标点、数字、字母或汉字）。"),
    ("ko", "zh", "扯证<b>", "중국어 열쇠말은 한자로만 쓰십시오(문장부호, 수자, 라틴 문자, 조선글 없이)."),
    ("ko", "ko", "혼인신고2", "조선어 열쇠말은 조선글로만 쓰십시오. 단어 사이에 띄여쓰기는 됩니다"
                            "(문장부호, 수자, 라틴 문자, 한자 없이)."),
    ("zh", "zh", "结婚" * 11, "关键词最多 20 个字，现在是 22 个：请只写一个短语。"),
    ("ko", "ko", "   ", "추가할 열쇠말을 쓰십시오."),
])
def test_a_keyword_in_the_wrong_script_empty_or_long_is_refused_at_its_field(
        app: Flask, menus: Path, shown_in: str, spoken: str, word: str, message: str) -> None:
    editor = client_of(app, "editor")
    editor.get(f"/admin/figures?lang={shown_in}")
    before = (menus / "units.yaml").read_text(encoding="utf-8")
    refused = editor.post(f"/admin/figures/keyword/{spoken}", data={
        "csrf_token": csrf_token(editor, THURSDAY), "unit": "marriage_registry", "word": word})
    page = text(refused)
    assert refused.status_code == 422
    assert message in _field_error(page, "word")
    assert 'name="draft"' not in page
    assert (menus / "units.yaml").read_text(encoding="utf-8") == before


def test_a_korean_phrase_with_a_space_is_checked_and_an_unknown_office_is_refused(app: Flask) -> None:
    editor = client_of(app, "editor")
    checked = editor.post("/admin/figures/keyword/ko", data={"csrf_token": csrf_token(editor, THURSDAY),
                                                             "unit": "marriage_registry", "word": "혼인  신고"},
                          follow_redirects=True)
    assert checked.status_code == 200
    assert f"+{KEYWORDS_BEFORE[:-1]}, 혼인 신고]" in text(checked)  # one space kept between the words
    unknown = editor.post("/admin/figures/keyword/ko", data={"csrf_token": csrf_token(editor, THURSDAY),
                                                             "unit": "no_such_office", "word": "혼인신고"})
    assert unknown.status_code == 422
    assert "请从列表中选择一个办事处。" in _field_error(text(unknown), "unit")
    assert editor.get("/admin/figures/keyword/en").status_code == 404


def test_in_korean_a_declined_offer_is_listed_with_the_office_offered_by_name(app: Flask) -> None:
    at = parse_moment("2026-11-26T09:30:00+08:00")
    call = {"call_sid": "CA" + "7" * 32, "caller": "+8613812345678", "called": "+864333622075", "language": "ko"}
    records(app).apply([
        StepEvent.make(at=at, seq=1, node="menu:main", outcome="confirm", speech="혼인신고 하려고요",
                       offered=("marriage_registry",), **call),
        StepEvent.make(at=at + timedelta(seconds=8), seq=2, node="confirm:marriage_registry", outcome="declined",
                       **call),
    ])
    editor = client_of(app, "editor")
    page = text(editor.get(THURSDAY + "&lang=ko"))
    assert "전화한 사람이 말했지만 부서를 찾지 못한 말" in page
    (row,) = rows(page)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[:5] == ["2026-11-26 09:30", "조선어", "혼인신고 하려고요", "도문시 민정국 혼인등기처",
                         '전화한 사람이 "아니"라고 함']
    assert 'action="/admin/figures/keyword/ko"' in row
    assert '<option value="marriage_registry" selected>도문시 민정국 혼인등기처</option>' in row
    assert 'name="word" type="text" value="혼인신고 하려고요"' in row
    assert "열쇠말(조선글)" in row


def test_in_the_browser_the_list_and_its_forms_pass_axe_on_a_pc_and_on_a_phone(console: Console) -> None:
    """Debian's Chromium with axe-core: the section with an editor's forms has no serious problem at either width."""
    at = parse_moment("2026-11-26T09:30:00+08:00")
    records(console.app).apply([StepEvent.make(
        call_sid="CA" + "8" * 32, at=at, seq=1, node="menu:main", outcome="not_understood", language="zh",
        caller="+8613812345678", called="+864333622075", speech="我想扯证" + "不知道" * 60, offered=())])
    console.log_in("editor")
    console.open("/admin/figures?since=2026-11-26&until=2026-11-26")
    assert console.find("#missed .missed-sentence").text.startswith("我想扯证不知道")
    assert console.find("#missed input[name=word]").get_attribute("value") == "扯证" + "不知道" * 6
    console.check("figures-missed")
    console.driver.set_window_size(390, 844)  # a phone: each row a card, nothing wider than the screen
    width = console.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390
    console.check("figures-missed-phone")


def test_a_units_yaml_that_does_not_parse_is_named_and_nothing_is_written(app: Flask, menus: Path) -> None:
    broken = (menus / "units.yaml").read_text(encoding="utf-8") + "\n  oops: [unclosed\n"
    (menus / "units.yaml").write_text(broken, encoding="utf-8")
    editor = client_of(app, "editor")
    refused = editor.post("/admin/figures/keyword/zh", data={"csrf_token": csrf_token(editor, THURSDAY),
                                                             "unit": "marriage_registry", "word": "扯证"})
    assert refused.status_code == 422
    assert "文件现在有格式错误，表格改不了" in text(refused) and 'name="draft"' not in text(refused)
    assert (menus / "units.yaml").read_text(encoding="utf-8") == broken


def test_two_editors_adding_words_from_the_same_version_the_second_is_told_and_keeps_hers(
        app: Flask, menus: Path) -> None:
    say(app, "我想扯证")
    first, second = client_of(app, "editor"), app.test_client()
    StaffStore(records(app)).add("editor2", "editor password 22", "editor",
                                 parse_moment("2026-11-01T00:00:00+08:00"))
    second.post("/admin/login", data={"csrf_token": csrf_token(second), "username": "editor2",
                                      "password": "editor password 22"})
    drafts = []
    for client, word in ((first, "扯证"), (second, "领证")):
        page = text(client.get(THURSDAY))
        base = re.search(r'name="base" value="(\d*)"', page)
        assert base is not None
        checked = text(client.post("/admin/figures/keyword/zh", data={
            "csrf_token": csrf_token(client, THURSDAY), "base": base.group(1), "unit": "marriage_registry",
            "word": word}, follow_redirects=True))
        draft = re.search(r'name="draft" value="([^"]+)"', checked)
        assert draft is not None, checked
        drafts.append(draft.group(1))
    assert first.post("/admin/edit/publish", data={"csrf_token": csrf_token(first, THURSDAY),
                                                   "draft": drafts[0]}).status_code == 302
    refused = second.post("/admin/edit/publish", data={"csrf_token": csrf_token(second, THURSDAY),
                                                       "draft": drafts[1]})
    assert refused.status_code == 409  # a version was published since hers was opened: named, hers kept
    page = text(refused)
    assert re.search(r"editor 在 [-\d]+ [:\d]+ 发布了第 2 版，当时您正在编辑（您的修改是在第 1 版上做的）", page)
    assert "领证" in page  # both added to the same line: her edit is shown with the other, to choose
    units = (menus / "units.yaml").read_text(encoding="utf-8")
    assert "扯证" in units and "领证" not in units


def test_add_keyword_keeps_the_flow_list_and_refuses_a_word_the_unit_has() -> None:
    text = ("units:\n  a:  # the first\n    name: {zh: 甲, ko: 갑}\n    keywords: [甲科]\n"
            "  b:\n    name: {zh: 乙, ko: 을}\n")
    once = add_keyword(text, "a", "扯证")
    assert once == text.replace("[甲科]", "[甲科, 扯证]")
    assert add_keyword(once, "b", "을과") == once + "    keywords: [을과]\n"
    with pytest.raises(EditError, match="'扯证' is already a keyword of unit 'a'"):
        add_keyword(once, "a", "扯证")
    with pytest.raises(EditError, match="units has no entry 'c'"):
        add_keyword(once, "c", "扯证")
