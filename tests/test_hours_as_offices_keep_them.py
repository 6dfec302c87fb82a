"""Hours as offices really keep them: by weekday, by season and weekday, special days, and new hours from a date.

Each rule is shown on a small hotline written by the test (bureau, marriage registry, funeral office), with
the dates as evidence: 2026-11-26 is a Thursday, 2026-11-27 a Friday, 2026-12-31 a Thursday, 2027-01-01 New
Year's Day (a Friday), 2027-01-04 a Monday.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import pytz
from click.testing import CliRunner

from ivr.cli import main
from ivr.core.decision import Ask, Event, Node, Step
from ivr.core.flow import CallFlow
from ivr.core.loader import load_hotline
from ivr.core.model import Hotline, Lang
from ivr.core.schedule import OfficeHours
from ivr.core.speech import say_moment
from tests.conftest import Provider, SmallHotline, make_app, twiml

SHANGHAI = pytz.timezone("Asia/Shanghai")

STANDARD = """\
schedules:
  standard:
    name: {zh: 机关办公时间, ko: 기관 업무시간}
    days: [mon-fri]
    hours:
      summer: ["08:30-12:00", "13:30-17:00"]
      winter: ["08:00-11:30", "13:00-16:30"]
"""
# The marriage office closes at 15:30 on Fridays, and from 2027-01-01 keeps 09:00-17:00 every weekday.
MARRIAGE = """\
  marriage:
    name: {zh: 婚姻登记处办公时间, ko: 혼인등기처 업무시간}
    hours:
      mon-thu: ["08:30-16:00"]
      fri: ["08:30-15:30"]
    changes:
      - from: 2027-01-01
        days: [mon-fri]
        hours: ["09:00-17:00"]
"""
HALF_DAY = """\
special_days:
  - {date: 2026-12-31, hours: ["08:00-11:30"], units: [bureau], name: {zh: 年末半天, ko: 년말 반일}}
"""


def at(text: str) -> datetime:
    return SHANGHAI.localize(datetime.fromisoformat(text))


@pytest.fixture
def hotline(small_hotline: SmallHotline) -> Hotline:
    return load_hotline(small_hotline(STANDARD + MARRIAGE, HALF_DAY))


def is_open(hotline: Hotline, unit_id: str, moment: str) -> bool:
    return OfficeHours(hotline).status(hotline.units[unit_id], at(moment)).open


def next_open_said(hotline: Hotline, unit_id: str, moment: str, lang: Lang) -> str:
    status = OfficeHours(hotline).status(hotline.units[unit_id], at(moment))
    assert status.next_open is not None
    return say_moment(status.next_open, status.at, lang)


def heard(hotline: Hotline, node: str, moment: str, lang: Lang, key: str | None = None) -> list[str]:
    """What a caller hears at a node of the call at a moment."""
    decision = CallFlow(hotline).decide(Step(Node.parse(node), lang, back="main"), Event(digits=key), at(moment))
    return [p.text for a in decision.actions if isinstance(a, Ask) for p in a.prompts]


# Hours by weekday ---------------------------------------------------------------------------------------------

def test_on_fridays_the_marriage_office_closes_at_15_30(hotline: Hotline) -> None:
    assert is_open(hotline, "marriage_registry", "2026-11-27T15:29")
    assert not is_open(hotline, "marriage_registry", "2026-11-27T15:30")
    assert is_open(hotline, "marriage_registry", "2026-11-26T15:45")  # a Thursday: until 16:00
    assert not is_open(hotline, "marriage_registry", "2026-11-26T16:00")


def test_after_15_30_on_a_friday_callers_hear_it_opens_on_monday(hotline: Hotline) -> None:
    assert next_open_said(hotline, "marriage_registry", "2026-11-27T15:30", "zh") == "下周一上午8点30分"
    assert next_open_said(hotline, "marriage_registry", "2026-11-27T15:30", "ko") == "다음 주 월요일 오전 8시 30분"
    assert heard(hotline, "unit:marriage_registry", "2026-11-27T15:30", "zh")[:2] == [
        "婚姻登记处现在不办公：今天已经下班。", "下次办公时间是下周一上午8点30分。"]


def test_the_information_says_the_friday_hours_apart(hotline: Hotline) -> None:
    info_zh = heard(hotline, "closed:marriage_registry", "2026-11-27T15:30", "zh", key="1")[0]
    assert "办公时间：星期一至星期四，上午8点30分至下午4点；星期五，上午8点30分至下午3点30分，节假日除外。" in info_zh
    info_ko = heard(hotline, "closed:marriage_registry", "2026-11-27T15:30", "ko", key="1")[0]
    assert "업무시간: 월요일부터 목요일까지 오전 8시 30분부터 오후 4시까지; " \
           "금요일 오전 8시 30분부터 오후 3시 30분까지, 공휴일 제외." in info_ko


def test_hours_by_season_then_by_weekday(small_hotline: SmallHotline) -> None:
    summer_fridays = STANDARD + """\
  marriage:
    name: {zh: 婚姻登记处办公时间, ko: 혼인등기처 업무시간}
    hours:
      summer: {mon-thu: ["08:30-16:00"], fri: ["08:30-12:00"]}
      winter: {mon-fri: ["08:30-16:00"]}
"""
    hotline = load_hotline(small_hotline(summer_fridays))
    assert not is_open(hotline, "marriage_registry", "2026-07-03T12:00")  # a summer Friday
    assert is_open(hotline, "marriage_registry", "2026-07-02T15:00")  # a summer Thursday
    assert is_open(hotline, "marriage_registry", "2026-11-27T15:45")  # a winter Friday
    assert next_open_said(hotline, "marriage_registry", "2026-07-03T12:00", "zh") == "下周一上午8点30分"


def test_a_make_up_saturday_keeps_the_hours_of_the_first_working_weekday(hotline: Hotline) -> None:
    # 2026-10-10 is a Saturday worked for National Day (调休): the marriage office keeps Monday's hours.
    assert is_open(hotline, "marriage_registry", "2026-10-10T15:45")
    assert not is_open(hotline, "marriage_registry", "2026-10-10T16:00")


# A special day with its own hours -------------------------------------------------------------------------------

def test_the_bureau_closes_at_11_30_on_31_december_2026(hotline: Hotline) -> None:
    assert is_open(hotline, "bureau", "2026-12-31T11:29")
    assert not is_open(hotline, "bureau", "2026-12-31T11:30")
    assert not is_open(hotline, "bureau", "2026-12-31T13:30")  # no afternoon that day
    assert is_open(hotline, "bureau", "2026-12-30T13:30")  # the day before is a usual day
    assert is_open(hotline, "funeral_office", "2026-12-31T13:30")  # the half day is the bureau's only


def test_after_the_half_day_callers_hear_it_opens_after_new_year(hotline: Hotline) -> None:
    # 2027-01-01 is New Year's Day, then a weekend: the next opening is Monday 4 January at 8:00.
    assert next_open_said(hotline, "bureau", "2026-12-31T11:30", "zh") == "下周一上午8点"
    assert next_open_said(hotline, "bureau", "2026-12-31T11:30", "ko") == "다음 주 월요일 오전 8시"
    assert heard(hotline, "unit:bureau", "2026-12-31T12:00", "ko")[:2] == [
        "도문시 민정인력자원사회보장국은 지금 업무시간이 아닙니다. 오늘 업무가 끝났습니다.",
        "다음 업무시간은 다음 주 월요일 오전 8시입니다."]


def test_the_information_on_the_half_day_says_todays_hours_first(hotline: Hotline) -> None:
    [info, _] = heard(hotline, "closed:bureau", "2026-12-31T12:00", "zh", key="1")
    assert "办公时间：今天上午8点至11点30分；平时星期一至星期五，上午8点至11点30分，下午1点至4点30分，" \
           "节假日除外。" in info
    [info_ko, _] = heard(hotline, "closed:bureau", "2026-12-31T12:00", "ko", key="1")
    assert "업무시간: 오늘은 오전 8시부터 11시 30분까지; 평소에는 월요일부터 금요일까지" in info_ko


def test_every_unit_closes_at_11_30_when_the_special_day_gives_only_the_closing_time(
    small_hotline: SmallHotline,
) -> None:
    # Unquoted, as staff may write it: YAML would read 11:30 as the number 690.
    early = "special_days:\n  - {date: 2026-12-31, closes: 11:30, name: {zh: 年末半天, ko: 년말 반일}}\n"
    hotline = load_hotline(small_hotline(STANDARD + MARRIAGE, early))
    assert is_open(hotline, "bureau", "2026-12-31T08:00") and not is_open(hotline, "bureau", "2026-12-31T11:30")
    # The marriage office keeps its own opening time and closes at 11:30 like the others.
    assert not is_open(hotline, "marriage_registry", "2026-12-31T08:15")
    assert is_open(hotline, "marriage_registry", "2026-12-31T11:29")
    assert not is_open(hotline, "marriage_registry", "2026-12-31T11:30")
    assert not is_open(hotline, "funeral_office", "2026-12-31T14:00")
    assert next_open_said(hotline, "marriage_registry", "2026-12-31T11:30", "zh") == "下周一上午9点"  # new hours
    [info, _] = heard(hotline, "closed:marriage_registry", "2026-12-31T12:00", "zh", key="1")
    assert "办公时间：今天上午8点30分至11点30分；平时星期一至星期四" in info


# New hours from a date ------------------------------------------------------------------------------------------

def test_new_hours_from_1_january_2027_and_the_day_before_keeps_the_old_ones(hotline: Hotline) -> None:
    assert is_open(hotline, "marriage_registry", "2026-12-31T08:30")  # old hours: from 8:30
    assert not is_open(hotline, "marriage_registry", "2026-12-31T16:00")  # old hours: until 16:00
    assert not is_open(hotline, "marriage_registry", "2027-01-04T08:30")  # new hours: from 9:00
    assert is_open(hotline, "marriage_registry", "2027-01-04T09:00")
    assert is_open(hotline, "marriage_registry", "2027-01-08T16:30")  # a Friday: 17:00 for every weekday now


def test_the_next_opening_across_the_change_is_said_with_the_new_hours(hotline: Hotline) -> None:
    assert next_open_said(hotline, "marriage_registry", "2026-12-31T16:00", "zh") == "下周一上午9点"
    assert next_open_said(hotline, "marriage_registry", "2026-12-31T16:00", "ko") == "다음 주 월요일 오전 9시"
    assert heard(hotline, "unit:marriage_registry", "2027-01-04T08:30", "zh")[:2] == [
        "婚姻登记处现在不办公：还没有到上班时间。", "下次办公时间是今天上午9点。"]


def test_the_information_announces_a_change_within_30_days(hotline: Hotline) -> None:
    [info, _] = heard(hotline, "closed:marriage_registry", "2026-12-19T10:00", "zh", key="1")
    assert info.endswith("办公时间：星期一至星期四，上午8点30分至下午4点；星期五，上午8点30分至下午3点30分，"
                         "节假日除外；从2027年1月1日起，星期一至星期五，上午9点至下午5点，节假日除外。办理结婚登记。")
    [earlier, _] = heard(hotline, "closed:marriage_registry", "2026-11-28T10:00", "zh", key="1")
    assert "2027" not in earlier  # 34 days ahead: not yet announced
    [info_ko, _] = heard(hotline, "closed:marriage_registry", "2026-12-19T10:00", "ko", key="1")
    assert "; 2027년 1월 1일부터 월요일부터 금요일까지 오전 9시부터 오후 5시까지, 공휴일 제외." in info_ko


# ivr hours shows them -------------------------------------------------------------------------------------------

def test_ivr_hours_shows_todays_hours_and_the_week_as_callers_hear_it(hotline: Hotline) -> None:
    result = CliRunner().invoke(main, ["hours", "婚姻登记处", "--at", "2026-11-27T15:30", "--menus", "small"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "At 2026-11-27T15:30:00+08:00:",
        "marriage_registry            +864333623441   closed  after closing; opens 2026-11-30 08:30 "
        "(下周一上午8点30分)",
        "  today: 08:30-15:30",
        "  hours: 星期一至星期四，上午8点30分至下午4点；星期五，上午8点30分至下午3点30分，节假日除外",
    ]
    half_day = CliRunner().invoke(main, ["hours", "bureau", "--at", "2026-12-31T09:00", "--menus", "small", "--json"])
    [row] = json.loads(half_day.stdout)
    assert (row["open"], row["closes_at"], row["today"]) == (True, "2026-12-31T11:30:00+08:00", ["08:00-11:30"])
    assert row["hours"]["zh"].startswith("今天上午8点至11点30分；平时星期一至星期五")


# Checked as strictly as before ----------------------------------------------------------------------------------

PLAIN = """\
schedules:
  standard:
    name: {zh: 机关办公时间, ko: 기관 업무시간}
    days: [mon-fri]
    hours: ["08:00-11:30", "13:00-16:30"]
  marriage:
    name: {zh: 婚姻登记处办公时间, ko: 혼인등기처 업무시간}
"""  # the marriage schedule's lines below start at line 11 of schedules.yaml (after the 4 lines of seasons)

MISTAKES = [
    ("""    hours:\n      mon-thu: ["08:30-16:00"]\n      fir: ["08:30-15:30"]\n""",
     "13 schedules.marriage.hours.fir: 'fir' is not a weekday or a range of weekdays; did you mean 'fri'?"),
    ("""    hours:\n      mon-thu: ["08:30-16:00"]\n      thu-fri: ["08:30-15:30"]\n""",
     "13 schedules.marriage.hours.thu-fri: thu is given twice, in 'mon-thu' and in 'thu-fri'; give each weekday "
     "its hours once."),
    ("""    days: [mon-fri]\n    hours:\n      mon-thu: ["08:30-16:00"]\n""",
     "12 schedules.marriage.hours: fri is a working day (days:) without hours here; give its hours, or take it "
     "out of days:."),
    ("""    days: [mon-fri]\n    hours:\n      mon-sat: ["08:30-16:00"]\n""",
     "12 schedules.marriage.hours: sat has hours here but is not in days:; add it to days:, or remove its hours."),
    ("""    hours: ["08:30-16:00"]\n""",
     "11 schedules.marriage.hours: the working days are not given; add 'days: [mon-fri]' to the schedule, or give "
     "the hours per weekday (mon-thu: [...], fri: [...])."),
    ("""    hours:\n      mon-fri: {summer: ["08:30-16:00"], winter: ["08:30-16:00"]}\n""",
     "12 schedules.marriage.hours.mon-fri: the summer season is given inside the hours of 'mon-fri'; the season "
     "comes first: write summer: {mon-fri: [...]}."),
    ("""    hours:\n      fri-mon: ["08:30-16:00"]\n""",
     "12 schedules.marriage.hours.fri-mon: the range 'fri-mon' runs backwards; write the first day first, "
     "e.g. mon-fri."),
    ("""    hours:\n      mon-fri: ["08:30-12:30", "12:00-16:00"]\n""",
     "12 schedules.marriage.hours.mon-fri[1]: the opening period 12:00-16:00 overlaps 08:30-12:30; make each "
     "period end before the next one starts."),
    ("""    days: [mon-fri]\n    hours: ["08:30-16:00"]\n    fri: ["08:30-15:30"]\n""",
     "13 schedules.marriage.fri: the hours of 'fri' are written beside hours:, not under it; give each weekday's "
     'hours under hours:, e.g. hours: {mon-thu: ["08:30-16:00"], fri: ["08:30-15:30"]}.'),
    ("""    days: [mon-fri]\n    hours: {}\n""",
     '12 schedules.marriage.hours: gives no hours; write them as one list ["08:30-16:00"], or per weekday '
     "(mon-thu: [...], fri: [...])."),
    ("""    days: [mon-fri]\n    hours:\n      sumer: ["08:30-16:00"]\n      winter: ["08:30-16:00"]\n""",
     "13 schedules.marriage.hours.sumer: unknown key 'sumer'; did you mean 'summer'?"),
    ("""    days: [mon-fri]\n    hours:\n      sumer: ["08:30-16:00"]\n      wintr: ["08:30-16:00"]\n""",
     "13 schedules.marriage.hours.sumer: 'sumer' is neither a weekday nor a season; did you mean the season "
     "'summer'?\nsmall/schedules.yaml:14 schedules.marriage.hours.wintr: 'wintr' is neither a weekday nor a season; "
     "did you mean the season 'winter'?"),
    ("""    days: []\n    hours: ["08:30-16:00"]\n""",
     "11 schedules.marriage.days: gives no working day; list the days the office opens, e.g. [mon-fri]."),
    ("""    days: [mon-fri, fri]\n    hours: ["08:30-16:00"]\n""",
     "11 schedules.marriage.days[1]: fri is given twice; list each working day once."),
    ("""    hours:\n      summer: {mon-fri: ["08:30-16:00"]}\n""",
     "11 schedules.marriage.hours: no hours are given for the winter season; add 'winter:' with its periods, or "
     "write one list for the whole year."),
    ("""    days: [mon-fri]\n    hours: ["08:30-16:00"]\n    changes:\n      - from: 2027-01-01\n"""
     """        hours: ["09:00-17:00"]\n      - from: 2026-06-01\n        hours: ["09:00-17:00"]\n""",
     "16 schedules.marriage.changes[1].from: the change from 2026-06-01 does not come after the change from "
     "2027-01-01; list the changes in date order, each from a later day."),
]


@pytest.mark.parametrize(("marriage", "error"), MISTAKES, ids=[error.split(":")[1] for _, error in MISTAKES])
def test_a_mistake_in_hours_is_refused_at_its_line(small_hotline: SmallHotline, marriage: str, error: str) -> None:
    small_hotline(PLAIN + marriage)
    result = CliRunner().invoke(main, ["validate", "--menus", "small"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == f"small/schedules.yaml:{error}".splitlines()


def test_a_unit_keeps_one_schedule(small_hotline: SmallHotline) -> None:
    folder = small_hotline(STANDARD + MARRIAGE)
    units = folder / "units.yaml"
    text = units.read_text(encoding="utf-8")
    units.write_text(text.replace("schedule: marriage", "schedule: [marriage, standard]"), encoding="utf-8")
    line = text.splitlines().index("    schedule: marriage") + 1
    result = CliRunner().invoke(main, ["validate", "--menus", "small"])
    assert result.stderr.splitlines() == [
        f"small/units.yaml:{line} units.marriage_registry.schedule: a unit keeps one schedule; give hours that differ "
        'by weekday inside that schedule in schedules.yaml: hours: {mon-thu: ["08:30-16:00"], fri: ["08:30-15:30"]}.']


def test_a_special_day_needs_its_hours_or_its_closing_time(small_hotline: SmallHotline) -> None:
    small_hotline(STANDARD + MARRIAGE, """special_days:
  - {date: 2026-12-31, units: [bureau], name: {zh: 年末半天, ko: 년말 반일}}
  - {date: 2026-12-30, hours: [], name: {zh: 年末, ko: 년말}}
  - {date: 2026-12-29, hours: ["08:00-11:30", "11:00-12:00"], name: {zh: 年末, ko: 년말}}
  - {date: 2026-12-28, hours: ["08:00-11:30"], closes: "11:30", name: {zh: 年末, ko: 년말}}
  - {date: 2026-12-25, closes: "11.30", name: {zh: 年末, ko: 년말}}
""")
    result = CliRunner().invoke(main, ["validate", "--menus", "small"])
    assert result.stderr.splitlines() == [
        'small/calendar.yaml:11 special_days[0]: gives neither hours: nor closes:; write closes: "11:30" for a day '
        'every unit ends early, or hours: ["08:00-11:30"] for hours of its own.',
        "small/calendar.yaml:12 special_days[1].hours: gives no opening period; a day without hours is a closure: "
        "list it under closures:.",
        "small/calendar.yaml:13 special_days[2].hours[1]: the opening period 11:00-12:00 overlaps 08:00-11:30; make "
        "each period end before the next one starts.",
        'small/calendar.yaml:14 special_days[3]: gives both hours: and closes:; write closes: "11:30" for a day '
        'every unit ends early, or hours: ["08:00-11:30"] for hours of its own.',
        "small/calendar.yaml:15 special_days[4].closes: '11.30' is not a time of day; write it as \"HH:MM\" in "
        "quotes, e.g. \"11:30\".",
    ]


# Through the webhooks, as the provider hears it -------------------------------------------------------------

def test_the_webhook_at_15_30_on_a_friday_says_closed_and_monday_in_both_languages(small_hotline: SmallHotline) -> None:
    folder = small_hotline(STANDARD + MARRIAGE, HALF_DAY)
    app = make_app(MENUS_DIR=str(folder), FROZEN_TIME="2026-11-27T15:30:00+08:00")
    provider = Provider(app.test_client())
    call = {"CallSid": "CA" + "0" * 32, "From": "+8613812345678", "To": "+864333622075"}
    for lang, closed, when in (
        ("zh", "婚姻登记处现在不办公：今天已经下班。", "下次办公时间是下周一上午8点30分。"),
        ("ko", "혼인등기처는 지금 업무시간이 아닙니다. 오늘 업무가 끝났습니다.",
         "다음 업무시간은 다음 주 월요일 오전 8시 30분입니다."),
    ):
        root = twiml(provider.post(f"/voice/step?node=menu%3Amain&lang={lang}", {**call, "Digits": "1"}))
        assert [say.text for say in root.findall("Gather/Say")][:2] == [closed, when]
        assert root.find("Dial") is None
    open_thursday = make_app(MENUS_DIR=str(folder), FROZEN_TIME="2026-11-26T15:45:00+08:00")
    root = twiml(Provider(open_thursday.test_client()).post("/voice/step?node=menu%3Amain&lang=zh",
                                                            {**call, "Digits": "1"}))
    assert root.findtext("Dial/Number") == "+864333623441"
