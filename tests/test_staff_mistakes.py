"""Issue 17's mistakes beyond the 17 typical ones, each told in Chinese and in Korean with the line quoted, what is
wrong and what to write: a Chinese name without a Han character or a Korean one without Hangul refused at a form's
field, an impossible date in
calendar.yaml, and a closure's reason said inside a sentence that reads naturally whatever staff wrote."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from flask import Flask

from ivr.store.drafts import Drafts
from tests.conftest import Editor, place_call
from tests.console import console_app, csrf_token, log_in, records
from tests.test_validation_in_staff_words import problems, validate

CLOSURE = "/admin/edit/calendar/closures/add"


@pytest.fixture
def app(menus: Path, tmp_path: Path) -> Flask:
    return console_app(MENUS_DIR=str(menus), DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}")


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


FIELD_MISTAKES = [  # (console language, field, the names typed, the words beside that field)
    ("zh", "name_zh", ("Training", "업무 연수"), ("menus/calendar.yaml 第",
     "「- {date: 2026-12-24, name: {zh: Training, ko: 업무 연수}}」", "没有一个汉字", "用中文写这一栏")),
    ("ko", "name_zh", ("Training", "업무 연수"), ("menus/calendar.yaml ",
     "「- {date: 2026-12-24, name: {zh: Training, ko: 업무 연수}}」", "한자가 하나도 없습니다",
     "중국어(한자)로 쓰십시오")),
    ("zh", "name_ko", ("业务培训", "业务培训"), ("menus/calendar.yaml 第",
     "「- {date: 2026-12-24, name: {zh: 业务培训, ko: 业务培训}}」", "没有一个朝鲜文字", "朝鲜语语音念汉字",
     "用朝鲜语（조선어）写这一栏")),
    ("ko", "name_ko", ("业务培训", "业务培训"), ("menus/calendar.yaml ",
     "「- {date: 2026-12-24, name: {zh: 业务培训, ko: 业务培训}}」", "조선글이 하나도 없습니다", "한자를 읽는",
     "이 칸은 조선어로 쓰십시오")),
]


@pytest.mark.parametrize(("lang", "field", "typed", "words"), FIELD_MISTAKES,
                         ids=[f"{f}-in-{lang}" for lang, f, _, _ in FIELD_MISTAKES])
def test_a_name_in_the_wrong_script_is_refused_at_its_field(app: Flask, menus: Path, lang: str, field: str,
                                                            typed: tuple[str, str], words: tuple[str, ...]) -> None:
    client = app.test_client()
    log_in(client, "editor")
    client.get(f"/admin/edit?lang={lang}")
    refused = client.post(CLOSURE, data={"csrf_token": csrf_token(client, CLOSURE), "day": "2026-12-24",
                                         "name_zh": typed[0], "name_ko": typed[1]})
    page = text(refused)
    assert refused.status_code == 422
    at_field = page.split(f'id="{field}-error">', 1)[1].split("</ul>", 1)[0]  # beside that name's field
    for word in words:
        assert word in at_field, (word, at_field)
    assert f'aria-describedby="{field}-error"' in page
    assert "closures: []" in (menus / "calendar.yaml").read_text(encoding="utf-8")
    assert Drafts(records(app)).of("editor") == []


def test_an_impossible_date_in_calendar_yaml_is_told_in_both_languages(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "closures: []", "closures:\n  - {date: 2026-02-30, name: {zh: 盘点, ko: 결산}}") + 1
    quoted = "- {date: 2026-02-30, name: {zh: 盘点, ko: 결산}}"
    [chinese] = problems(validate("--lang", "zh"))
    assert chinese == (f"【错误】menus/calendar.yaml 第{line}行「{quoted}」："
                       "“2026-02-30”不是日期（2026年2月只有 28 天）。写成 年-月-日，例如 2027-01-01。")
    [korean] = problems(validate("--lang", "ko"))
    assert korean == (f"[오류] menus/calendar.yaml {line}행 「{quoted}」: '2026-02-30'은 날자가 아닙니다"
                      "(2026년 2월은 28일까지입니다). 년-월-일 로 쓰십시오. 례: 2027-01-01.")


def test_a_closure_s_reason_is_said_after_a_label_so_any_name_reads_naturally(app: Flask, menus: Path) -> None:
    client = app.test_client()
    log_in(client, "editor")
    # Staff wrote the whole phrase "closed for training"; the hotline adds no "because of ... closed" around it.
    checked = client.post(CLOSURE, data={"csrf_token": csrf_token(client, CLOSURE), "day": "2026-11-27",
                                         "name_zh": "业务培训停办", "name_ko": "업무 연수로 휴무",
                                         "units": ["marriage_registry"]})
    assert checked.status_code == 303
    number = checked.headers["Location"].rsplit("/", 1)[1]
    published = client.post("/admin/edit/publish", data={"csrf_token": csrf_token(client, "/admin/edit"),
                                                          "draft": number})
    assert published.status_code == 302
    chinese = place_call("2026-11-27T10:00:00+08:00", "12", MENUS_DIR=str(menus))
    assert "图们市民政局婚姻登记处现在不办公：今天停办，事由：业务培训停办。" in chinese.heard()
    korean = place_call("2026-11-27T10:00:00+08:00", "22", MENUS_DIR=str(menus))
    said = " ".join(korean.heard())
    assert "오늘은 쉽니다. 사유: 업무 연수로 휴무." in said
    assert "때문에" not in said and "휴무 휴무" not in said
