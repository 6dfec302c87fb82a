"""The figures page answers staff's questions: named periods in Shanghai, per-office counts, a CSV Excel opens.

Over HTTP with a frozen "now", on SQLite and on a real PostgreSQL server; the calls are written by the records
writer (`Store.apply`) as the webhooks write them, by key and by speech, with every outcome.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from flask import Flask

from ivr.clock import TIMEZONE, parse_moment
from ivr.events import CallEndedEvent, CallEvent, RecordingEvent, StepEvent
from ivr.store.database import Store, upgrade_schema
from ivr.store.report import OFFICE_FIGURES, build_report, name_report
from ivr.web.admin.figures import period_days
from tests.console import console_app, log_in, records

M = "marriage_registry"
F = "funeral_office"

# (node, digits, outcome, unit, dial_status, speech, offered)
Step = tuple[str, str | None, str, str | None, str | None, str | None, str | None]


def by_key(unit: str, key: str, outcome: str = "forwarded") -> Step:
    return ("menu:main", key, outcome, unit, None, None, None)


def by_speech(unit: str, outcome: str = "forwarded") -> Step:
    return ("menu:main", None, outcome, unit, None, "我要办理婚姻登记" if unit == M else "问一下殡葬的事", unit)


def dialed(unit: str, status: str) -> Step:
    return (f"dialed:{unit}", None, "connected" if status == "completed" else "not_connected", unit, status, None,
            None)


def call(sid: str, at: str, steps: list[Step], message_for: str | None = None) -> list[CallEvent]:
    """The events of one call: the language key, the given steps a second apart, a message, the hang-up."""
    start = parse_moment(at)
    events: list[CallEvent] = [StepEvent.make(call_sid=sid, at=start, seq=0, node="language", digits="1",
                                              outcome="menu", language="zh", caller="+8613812345678")]
    for seq, (node, digits, outcome, unit, dial, speech, offered) in enumerate(steps, start=1):
        events.append(StepEvent.make(call_sid=sid, at=start.replace(second=seq), seq=seq, node=node, digits=digits,
                                     outcome=outcome, unit_id=unit, language="zh", dial_status=dial,
                                     speech=speech, offered=offered))
    if message_for is not None:
        events.append(RecordingEvent.make(call_sid=sid, at=start.replace(second=30), recording_sid="RE" + sid[2:],
                                          unit_id=message_for, recording_url="https://api.twilio.com/R" + sid,
                                          duration=9))
    events.append(CallEndedEvent.make(call_sid=sid, at=start.replace(minute=start.minute + 2),
                                      call_status="completed", duration=120))
    return events


# Wednesday 25 and Thursday 26 November 2026 (the week of Monday 23rd); one call the week before.
CALLS = [
    call("CAkeyanswered", "2026-11-25T09:00:00+08:00", [by_key(M, "2"), dialed(M, "completed")]),
    call("CAkeybusy", "2026-11-25T09:10:00+08:00", [by_key(M, "2"), dialed(M, "busy")]),
    call("CAspeechnoanswer", "2026-11-25T10:00:00+08:00", [by_speech(M), dialed(M, "no-answer"),
                                                            (f"after:{M}", "1", "voicemail", M, None, None, None)],
         message_for=M),
    # A sentence offering the funeral office, confirmed with key 1: reached by speech, at the confirmation step.
    call("CAconfirmfailed", "2026-11-26T09:00:00+08:00", [
        ("menu:main", None, "confirm", None, None, "殡葬", F),
        (f"confirm:{F}", "1", "forwarded", F, None, None, None), dialed(F, "failed")]),
    call("CAclosedmessage", "2026-11-26T18:00:00+08:00", [by_key(M, "2", "closed"),
                                                           (f"closed:{M}", "2", "voicemail", M, None, None, None)],
         message_for=M),
    call("CAclosedspeech", "2026-11-26T19:00:00+08:00", [by_speech(F, "closed")]),
    # Busy, back to the menu, the same office again: one call asking, two forwards.
    call("CAtwice", "2026-11-26T10:00:00+08:00", [by_key(M, "2"), dialed(M, "busy"),
                                                  (f"after:{M}", "*", "menu", None, None, None, None),
                                                  by_key(M, "2"), dialed(M, "completed")]),
    # No key pressed (a simulated call writes "."), and a key that is no choice of the main menu.
    call("CAnokey", "2026-11-26T11:00:00+08:00", [("menu:main", ".", "menu", None, None, None, None),
                                                  ("menu:main", "98", "menu", None, None, None, None)]),
    call("CAlastweek", "2026-11-18T09:00:00+08:00", [by_key(F, "8"), dialed(F, "completed")]),
]
ZERO = dict.fromkeys(OFFICE_FIGURES, 0)
MARRIAGE = {"asked": 5, "by_key": 4, "by_speech": 1, "put_through": 5, "answered": 2, "busy": 2, "no_answer": 1,
            "failed": 0, "after_hours": 1, "messages": 2}
FUNERAL = {"asked": 2, "by_key": 0, "by_speech": 2, "put_through": 1, "answered": 0, "busy": 0, "no_answer": 0,
           "failed": 1, "after_hours": 1, "messages": 0}
WEDNESDAY = "2026-11-25T15:00:00+08:00"


@pytest.fixture
def app(database_url: str) -> Flask:
    upgrade_schema(Store.from_url(database_url).engine)  # as `ivr db upgrade` does before a server starts
    app = console_app(DATABASE_URL=database_url, FROZEN_TIME=WEDNESDAY)
    for events in CALLS:
        records(app).apply(events)
        records(app).apply(events)  # a retried batch counts once
    return app


def office_rows(page: str) -> dict[str, dict[str, int]]:
    """Read the per-office table of the figures page: {office name: {figure: n}}."""
    table = page[page.index('id="offices"'):].split("</section>")[0]
    rows = {}
    for name, cells in re.findall(r'<tr class="office-row">\s*<th scope="row"[^>]*>([^<]+)</th>(.*?)</tr>', table,
                                  re.S):
        rows[name] = {figure: int(n) for figure, n in re.findall(r'data-figure="(\w+)">(\d+)<', cells)}
    return rows


@pytest.mark.parametrize(("now", "expected"), [
    # A Wednesday.
    ("2026-11-25T15:00:00+08:00", {"today": ("2026-11-25", "2026-11-25"), "this_week": ("2026-11-23", "2026-11-29"),
                                   "last_week": ("2026-11-16", "2026-11-22"),
                                   "this_month": ("2026-11-01", "2026-11-30"),
                                   "last_month": ("2026-10-01", "2026-10-31")}),
    # A Monday, given in UTC: 23:30 on Sunday the 22nd there is 07:30 on Monday the 23rd in Tumen.
    ("2026-11-22T23:30:00+00:00", {"today": ("2026-11-23", "2026-11-23"), "this_week": ("2026-11-23", "2026-11-29"),
                                   "last_week": ("2026-11-16", "2026-11-22"),
                                   "this_month": ("2026-11-01", "2026-11-30"),
                                   "last_month": ("2026-10-01", "2026-10-31")}),
    # The 1st of a month (a Tuesday), whose week began in the month before.
    ("2026-12-01T08:00:00+08:00", {"today": ("2026-12-01", "2026-12-01"), "this_week": ("2026-11-30", "2026-12-06"),
                                   "last_week": ("2026-11-23", "2026-11-29"),
                                   "this_month": ("2026-12-01", "2026-12-31"),
                                   "last_month": ("2026-11-01", "2026-11-30")}),
    # New Year's day: last month is last year's December.
    ("2027-01-01T00:00:00+08:00", {"today": ("2027-01-01", "2027-01-01"), "this_week": ("2026-12-28", "2027-01-03"),
                                   "last_week": ("2026-12-21", "2026-12-27"),
                                   "this_month": ("2027-01-01", "2027-01-31"),
                                   "last_month": ("2026-12-01", "2026-12-31")}),
])
def test_each_period_covers_its_days_in_shanghai(now: str, expected: dict[str, tuple[str, str]]) -> None:
    app = console_app(FROZEN_TIME=now)
    client = app.test_client()
    log_in(client, "viewer")
    for name, (since, until) in expected.items():
        page = client.get(f"/admin/figures?period={name}").get_data(as_text=True)
        shown = re.search(r'<p id="period" data-since="([\d-]+)" data-until="([\d-]+)" data-period="(\w+)">', page)
        assert shown is not None and shown.groups() == (since, until, name)
        assert 'id="period-' + name + '" aria-current="true"' in page
        assert period_days(name, parse_moment(now).astimezone(TIMEZONE).date()) == (
            date.fromisoformat(since), date.fromisoformat(until))
    # The chosen period in words and dates, in the console's language.
    page = client.get("/admin/figures?period=last_week").get_data(as_text=True)
    first, last = date.fromisoformat(expected["last_week"][0]), date.fromisoformat(expected["last_week"][1])
    assert (f"上周：{first.year}年{first.month}月{first.day}日（星期一） 至 "
            f"{last.year}年{last.month}月{last.day}日（星期日），共 7 天") in page
    korean = client.get("/admin/figures?period=last_week&lang=ko").get_data(as_text=True)
    assert (f"지난 주: {first.year}년 {first.month}월 {first.day}일 (월)부터 "
            f"{last.year}년 {last.month}월 {last.day}일 (일)까지 7일") in korean
    client.get("/admin/figures?lang=zh")
    # No period named: this month; since and until alone: those days, whichever order they come in.
    page = client.get("/admin/figures").get_data(as_text=True)
    assert f'data-since="{expected["this_month"][0]}" data-until="{expected["this_month"][1]}"' in page
    page = client.get("/admin/figures?since=2026-11-20&until=2026-11-02").get_data(as_text=True)
    assert 'data-since="2026-11-02" data-until="2026-11-20" data-period="custom"' in page


def test_per_office_counts_by_key_and_by_speech_with_every_outcome(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    page = client.get("/admin/figures?period=this_week").get_data(as_text=True)
    offices = office_rows(page)
    assert offices["图们市民政局婚姻登记处"] == MARRIAGE
    assert offices["图们市殡葬管理所"] == FUNERAL
    # Every office with a phone is listed, the operator first; those nobody asked for show zeros.
    names = list(offices)
    assert names[0] == "图们市民政和人力资源社会保障局" and offices[names[0]] == ZERO
    hotline = app.extensions["ivr.menus"].flow.hotline
    with_phone = [u for u in hotline.units.values() if u.phone]
    assert len(with_phone) > 5 and len(names) == len(with_phone)
    # Last week: only the answered funeral call of the 18th.
    last_week = office_rows(client.get("/admin/figures?period=last_week").get_data(as_text=True))
    assert last_week["图们市殡葬管理所"] == {**ZERO, "asked": 1, "by_key": 1, "put_through": 1, "answered": 1}
    assert last_week["图们市民政局婚姻登记处"] == ZERO
    # Today (Wednesday): the first three calls only.
    today = office_rows(client.get("/admin/figures?period=today").get_data(as_text=True))
    assert today["图们市民政局婚姻登记处"] == {**ZERO, "asked": 3, "by_key": 2, "by_speech": 1, "put_through": 3,
                                               "answered": 1, "busy": 1, "no_answer": 1, "messages": 1}


def test_a_key_that_is_no_menu_choice_is_not_shown(app: Flask) -> None:
    report = build_report(records(app), date(2026, 11, 23), date(2026, 11, 29))
    assert report["menu_choices"]["menu:main"] == {"2": 5, "98": 1}  # "." is no key; "98" was pressed
    hotline = app.extensions["ivr.menus"].flow.hotline
    assert hotline.menus["main"].option("98") is None
    assert name_report(report, hotline, "zh")["menu_choices"]["主菜单"] == {"2 婚姻登记": 5}
    client = app.test_client()
    log_in(client, "viewer")
    chart = client.get("/admin/figures?period=this_week").get_data(as_text=True).split('id="chart-menu_choices"')[1]
    chart = chart.split("</section>")[0]
    assert "主菜单 · 2 婚姻登记" in chart and "98" not in chart and "· ." not in chart


def test_the_csv_opens_in_excel_in_the_consoles_language(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "viewer")
    response = client.get("/admin/figures.csv?period=this_week")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8's byte-order mark: Excel reads the rest as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["栏目", "编号", "名称", "细目", "数值"]
    assert ["来电", "", "", "", "8"] in rows
    marriage = {row[3]: int(row[4]) for row in rows if row[:3] == ["各单位来电", M, "图们市民政局婚姻登记处"]}
    assert marriage == {"要找": 5, "按键": 4, "说话": 1, "转接": 5, "接通": 2, "占线": 2, "无人接听": 1,
                        "未能拨通": 0, "非办公时间": 1, "留言": 2}
    assert ["菜单选择", "menu:main 2", "主菜单", "2 婚姻登记", "5"] in rows
    assert not any(row[0] == "菜单选择" and row[1] == "menu:main 98" for row in rows)
    assert ["每天来电", "", "2026-11-25", "", "3"] in rows
    # In Korean, the same figures with Korean headers and names.
    korean = client.get("/admin/figures.csv?period=this_week&lang=ko").get_data()
    assert korean.startswith(b"\xef\xbb\xbf")
    korean_rows = list(csv.reader(io.StringIO(korean.decode("utf-8-sig"))))
    assert korean_rows[0] == ["항목", "식별자", "이름", "세부", "값"]
    assert ["단위별 전화", M, "도문시 민정국 혼인등기처", "통화 중", "2"] in korean_rows
