"""Times and dates are spoken naturally, with today/tomorrow where natural."""

from __future__ import annotations

from datetime import date, datetime, time

import pytz

from ivr.core.model import Hotline
from ivr.core.schedule import OfficeHours
from ivr.core.speech import say_clock, say_hours, say_moment

SHANGHAI = pytz.timezone("Asia/Shanghai")


def at(text: str) -> datetime:
    return SHANGHAI.localize(datetime.fromisoformat(text))


def test_times_of_day() -> None:
    assert say_clock(time(8), "zh") == "上午8点"
    assert say_clock(time(13, 30), "zh") == "下午1点30分"
    assert say_clock(time(12), "zh") == "中午12点"
    assert say_clock(time(8, 30), "ko") == "오전 8시 30분"
    assert say_clock(time(13), "ko") == "오후 1시"


def test_moments_relative_to_now() -> None:
    now = at("2026-11-26T12:00")  # a Thursday
    assert say_moment(at("2026-11-26T13:30"), now, "zh") == "今天下午1点30分"
    assert say_moment(at("2026-11-26T13:30"), now, "ko") == "오늘 오후 1시 30분"
    assert say_moment(at("2026-11-27T08:00"), now, "zh") == "明天上午8点"
    assert say_moment(at("2026-11-27T08:00"), now, "ko") == "내일 오전 8시"
    assert say_moment(at("2026-11-28T08:30"), now, "zh") == "周六上午8点30分"  # this week
    assert say_moment(at("2026-11-30T08:30"), now, "zh") == "下周一上午8点30分"  # next week
    assert say_moment(at("2026-11-30T08:30"), now, "ko") == "다음 주 월요일 오전 8시 30분"
    assert say_moment(at("2026-05-06T08:30"), at("2026-04-30T16:45"), "zh") == "下周三上午8点30分"


def test_a_date_further_away_is_said_with_month_day_and_weekday() -> None:
    now = at("2026-10-01T09:00")
    assert say_moment(at("2026-10-08T08:00"), now, "zh") == "10月8日星期四上午8点"
    assert say_moment(at("2026-10-08T08:00"), now, "ko") == "10월 8일 목요일 오전 8시"
    assert say_moment(at("2027-01-04T08:00"), at("2026-12-25T09:00"), "zh") == "2027年1月4日星期一上午8点"


def test_opening_hours_in_both_languages(hotline: Hotline) -> None:
    standard = hotline.units["bureau"]
    hours = OfficeHours(hotline)
    assert say_hours(hours.outlook(standard, date(2026, 11, 26)), "zh") == \
        "星期一至星期五，上午8点至11点30分，下午1点至4点30分，节假日除外"
    assert say_hours(hours.outlook(standard, date(2026, 7, 2)), "zh") == \
        "星期一至星期五，上午8点30分至中午12点，下午1点30分至5点，节假日除外"
    assert say_hours(hours.outlook(hotline.units["marriage_registry"], date(2026, 11, 26)), "ko") == \
        "월요일부터 금요일까지 오전 8시 30분부터 오후 4시까지, 공휴일 제외"


def test_korean_particles_take_the_form_the_last_syllable_asks_for() -> None:
    from ivr.core.korean import with_particle
    from ivr.core.speech import fill_prompt

    assert with_particle("도문시 자선총회", "은") == "도문시 자선총회는"
    assert with_particle("사회보험과", "은") == "사회보험과는"
    assert with_particle("도문시 취업봉사국", "는") == "도문시 취업봉사국은"
    assert with_particle("사회구조과(아동복지과)", "이") == "사회구조과(아동복지과)가"
    assert with_particle("2번", "를") == "2번을"
    assert fill_prompt("{unit:은} 지금 업무시간이 아닙니다.", unit="도문시 장례관리소") == \
        "도문시 장례관리소는 지금 업무시간이 아닙니다."
    assert fill_prompt("{unit}现在不办公", unit="殡葬管理所") == "殡葬管理所现在不办公"
