"""Times, dates and opening hours as a caller hears them, in Mandarin and Korean."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime, time

import phonenumbers

from ivr.core.korean import PARTICLES, with_particle
from ivr.core.model import Lang, Menu, Period, Prompt, WeekHours
from ivr.core.schedule import Outlook

ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
ZH_SHORT_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
KO_WEEKDAYS = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
# Within this many days a weekday name is clear ("周四", "下周三"); further away the date is said too.
WEEKDAY_ONLY_DAYS = 6


def part_of_day(clock: time, lang: Lang) -> str:
    """Name the part of the day a time falls in: 上午/中午/下午/晚上, 오전/낮/오후/저녁."""
    hour = clock.hour
    if hour < 12:
        return "上午" if lang == "zh" else "오전"
    if hour < 13:
        return "中午" if lang == "zh" else "낮"
    if hour < 18:
        return "下午" if lang == "zh" else "오후"
    return "晚上" if lang == "zh" else "저녁"


def say_clock(clock: time, lang: Lang, with_part: bool = True) -> str:
    """Say a time of day on the 12-hour clock: 下午1点30分, 오후 1시 30분."""
    hour = clock.hour % 12 or 12
    part = part_of_day(clock, lang) if with_part else ""
    if lang == "zh":
        return f"{part}{hour}点" + (f"{clock.minute}分" if clock.minute else "")
    spoken = f"{hour}시" + (f" {clock.minute}분" if clock.minute else "")
    return f"{part} {spoken}" if part else spoken


def say_day(day: date, today: date, lang: Lang) -> str:
    """Say a day relative to today: 今天, 明天, 周四 (this week), 下周三 (next week), or 10月8日星期四 further away."""
    ahead = (day - today).days
    if ahead == 0:
        return "今天" if lang == "zh" else "오늘"
    if ahead == 1:
        return "明天" if lang == "zh" else "내일"
    if 1 < ahead <= WEEKDAY_ONLY_DAYS:
        weekday = ZH_SHORT_WEEKDAYS[day.weekday()] if lang == "zh" else KO_WEEKDAYS[day.weekday()]
        if day.isocalendar()[:2] == today.isocalendar()[:2]:
            return weekday
        # Next calendar week: "Wednesday" said on a Thursday would sound like yesterday.
        return f"下{weekday}" if lang == "zh" else f"다음 주 {weekday}"
    year_zh = f"{day.year}年" if day.year != today.year else ""
    year_ko = f"{day.year}년 " if day.year != today.year else ""
    if lang == "zh":
        return f"{year_zh}{day.month}月{day.day}日{ZH_WEEKDAYS[day.weekday()]}"
    return f"{year_ko}{day.month}월 {day.day}일 {KO_WEEKDAYS[day.weekday()]}"


def say_moment(moment: datetime, now: datetime, lang: Lang) -> str:
    """Say when something happens, as naturally as a person would: 明天上午8点30分, 10월 8일 목요일 오전 8시."""
    day = say_day(moment.date(), now.date(), lang)
    clock = say_clock(moment.time(), lang)
    return f"{day}{clock}" if lang == "zh" else f"{day} {clock}"


def say_period(period: Period, lang: Lang) -> str:
    """Say an opening period; the part of the day is said again only when it changes."""
    start = say_clock(period.start, lang)
    same_part = part_of_day(period.start, lang) == part_of_day(period.end, lang)
    end = say_clock(period.end, lang, with_part=not same_part)
    return f"{start}至{end}" if lang == "zh" else f"{start}부터 {end}까지"


def say_weekdays(weekdays: frozenset[int], lang: Lang) -> str:
    """Say the working weekdays: 星期一至星期五, 월요일부터 금요일까지."""
    days = sorted(weekdays)
    names = ZH_WEEKDAYS if lang == "zh" else KO_WEEKDAYS
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        first, last = names[days[0]], names[days[-1]]
        return f"{first}至{last}" if lang == "zh" else f"{first}부터 {last}까지"
    return ("、" if lang == "zh" else ", ").join(names[d] for d in days)


def say_week(week: WeekHours, lang: Lang) -> str:
    """Say a week's hours, weekdays with the same hours together, holidays excepted.

    星期一至星期四，上午8点30分至下午4点；星期五，上午8点30分至下午3点30分，节假日除外
    """
    groups: dict[tuple[Period, ...], list[int]] = {}
    for weekday, periods in sorted(week.days.items()):
        groups.setdefault(periods, []).append(weekday)
    if lang == "zh":
        said = [f"{say_weekdays(frozenset(days), lang)}，{say_periods(periods, lang)}" for periods, days in
                groups.items()]
        return "；".join(said) + "，节假日除外"
    said = [f"{say_weekdays(frozenset(days), lang)} {say_periods(periods, lang)}" for periods, days in groups.items()]
    return "; ".join(said) + ", 공휴일 제외"


def say_hours(outlook: Outlook, lang: Lang) -> str:
    """Say a unit's hours as the information gives them: today's special hours, the week, a change soon."""
    said = say_week(outlook.week, lang)
    if outlook.today is not None:
        today = say_periods(outlook.today, lang) or ("不办公" if lang == "zh" else "쉽니다")
        said = f"今天{today}；平时{said}" if lang == "zh" else f"오늘은 {today}; 평소에는 {said}"
    if outlook.change is not None:
        since, week = outlook.change
        new = say_week(week, lang)
        said += f"；从{say_date(since, lang)}起，{new}" if lang == "zh" else f"; {say_date(since, lang)}부터 {new}"
    return said


def say_periods(periods: tuple[Period, ...], lang: Lang) -> str:
    """Say a day's opening periods: 上午8点至11点30分，下午1点至4点30分."""
    return ("，" if lang == "zh" else ", ").join(say_period(p, lang) for p in periods)


def say_date(day: date, lang: Lang) -> str:
    """Say a date in full: 2027年1月1日, 2027년 1월 1일."""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else f"{day.year}년 {day.month}월 {day.day}일"


# Characters a synthesized voice says in a second at its usual speed (Han characters; Hangul syllables),
# punctuation and spaces not counted: about 180 characters of Mandarin take 40 seconds.
CHARS_PER_SECOND = {"zh": 4.5, "ko": 6.0}


def speaking_seconds(text: str, lang: Lang) -> float:
    """Estimate how long a synthesized voice takes to say a text."""
    return sum(1 for ch in text if ch.isalnum()) / CHARS_PER_SECOND[lang]


def say_options(menu: Menu, option_prompt: str, lang: Lang) -> str:
    """Say a menu's options in key order with the menu_option prompt: 婚姻登记，请按2。殡葬服务，请按8。"""
    separator = "" if lang == "zh" else " "  # Chinese sentences end in 。; Korean ones need a space
    return separator.join(fill_prompt(option_prompt, label=o.label(lang), key=o.key) for o in menu.options)


def menu_seconds(menu: Menu, prompts: Mapping[str, Prompt], lang: Lang) -> float:
    """Estimate how long a caller listens to a menu: its introduction, its options and the keys of every level
    (and at the main menu, the invitation to say what they need)."""
    invitation = prompts["speech_invitation"].text(lang) if menu.parent is None and "speech_invitation" in prompts \
        else ""
    texts = [menu.intro(lang) if menu.intro else "", invitation,
             say_options(menu, prompts["menu_option"].text(lang), lang), prompts["menu_keys"].text(lang)]
    return sum(speaking_seconds(text, lang) for text in texts)


# Digits as read out in a phone number: Mandarin says 幺 for 1 and Korean 공 for 0, as operators do.
PHONE_DIGITS = {"zh": dict(zip("0123456789", "零幺二三四五六七八九", strict=True)),
                "ko": dict(zip("0123456789", "공일이삼사오육칠팔구", strict=True))}


def say_phone(e164: str, lang: Lang) -> str:
    """Say a phone number digit by digit in its usual groups: 零四三三，三六二，三四四幺 or 공사삼삼, 삼육이, ..."""
    national = phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    groups = ["".join(PHONE_DIGITS[lang].get(ch, "") for ch in group) for group in national.split()]
    return ("，" if lang == "zh" else ", ").join(g for g in groups if g)


class PromptFormatter(string.Formatter):
    """Fills in a prompt; a Korean particle as format spec ({unit:은}) is attached in the right form."""

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec in PARTICLES:
            return with_particle(str(value), format_spec)
        return str(super().format_field(value, format_spec))


def fill_prompt(template: str, **fields: str) -> str:
    """Fill in a prompt's {placeholders}, attaching Korean particles where the prompt asks for one."""
    return PromptFormatter().format(template, **fields)
