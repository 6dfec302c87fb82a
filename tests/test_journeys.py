"""The caller's journey end to end, through the real webhooks, signed as the provider signs them, on the engine's
small hotline (tests/fixtures/engine_menus/: main menu 1 water office, 2 marriage station, 3 other services with
1 parks office (no line of its own) and 2 the service centre; 0 the centre's main line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.core.loader import load_hotline
from ivr.core.model import Hotline
from ivr.simulator import CallResult
from tests.conftest import CLOSED_EVENING, ENGINE_MENUS, OPEN_WEEKDAY, Editor
from tests.conftest import town_call as place_call

TOWN = load_hotline(ENGINE_MENUS)
MAIN_LINE = "+864333600001"
OWN_LINES = {u.id: u.phone for u in TOWN.units.values() if u.phone and u.id != "bureau"}
HAN = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def keys_to(hotline: Hotline, unit_id: str) -> str:
    """The shortest key path from the main menu to a unit."""
    keys = hotline.key_path(unit_id)
    assert keys, f"no path to {unit_id}"
    return keys


def forwards(result: CallResult) -> list[dict[str, object]]:
    return [line.detail for line in result.transcript if line.kind == "forwarded"]


@pytest.mark.parametrize("unit_id", sorted(OWN_LINES))
def test_an_open_unit_with_its_own_line_is_forwarded_to_its_e164_number(town: Hotline, unit_id: str) -> None:
    call = place_call(OPEN_WEEKDAY, "1" + keys_to(town, unit_id), CALLER_ID="+864333622075")
    assert forwards(call) == [{"number": OWN_LINES[unit_id], "unit": unit_id, "caller_id": "+864333622075",
                               "timeout": "25"}]
    assert f"正在为您转接{town.units[unit_id].name.zh}，请稍候。" in call.heard()
    assert call.outcome.as_json() == {"kind": "forwarded", "number": OWN_LINES[unit_id], "unit": unit_id,
                            "dial_status": "completed"}
    assert call.heard()[-1] == "感谢您的来电，再见。"


@pytest.mark.parametrize("unit_id", sorted(OWN_LINES))
def test_a_closed_unit_says_why_and_when_it_opens_next(town: Hotline, unit_id: str) -> None:
    call = place_call(CLOSED_EVENING, "1" + keys_to(town, unit_id))
    name = town.units[unit_id].name.zh
    assert forwards(call) == []
    assert f"{name}现在不办公：今天已经下班。" in call.heard()
    opens = "明天上午8点30分" if unit_id == "marriage_station" else "明天上午8点"
    assert f"下次办公时间是{opens}。" in call.heard()
    assert call.outcome.as_json() == {"kind": "caller_hung_up", "node": f"closed:{unit_id}"}


def test_a_department_without_a_line_is_put_through_the_main_line(town: Hotline) -> None:
    call = place_call(OPEN_WEEKDAY, "1" + keys_to(town, "parks_office"))
    assert forwards(call)[0] == {"number": MAIN_LINE, "unit": "parks_office", "caller_id": None, "timeout": "25"}
    assert "河口镇园林科没有单独的电话，正在为您转接局总机，请稍候。" in call.heard()


def test_zero_reaches_the_operator_at_every_level_when_open() -> None:
    for keys in ("0", "10", "130"):
        call = place_call(OPEN_WEEKDAY, keys)
        assert forwards(call)[0]["number"] == MAIN_LINE, keys
        assert forwards(call)[0]["unit"] == "bureau"
        assert "正在为您转接总机，请稍候。" in call.heard() or keys == "0"


def test_the_operator_when_the_bureau_is_closed_says_so_and_offers_a_message() -> None:
    call = place_call("2026-11-28T10:00:00+08:00", "10")  # a Saturday
    assert forwards(call) == []
    assert "河口镇便民服务中心现在不办公：周末休息。" in call.heard()
    assert "下次办公时间是下周一上午8点。" in call.heard()


def test_star_goes_back_and_hash_repeats() -> None:
    call = place_call(OPEN_WEEKDAY, "13*#")
    menus = [t for t in call.heard() if t.startswith("供水")]
    assert len(menus) == 3  # main, main again after '*', main repeated after '#'
    others = [t for t in call.heard() if t.startswith("园林绿化")]
    assert len(others) == 1
    back_to_language = place_call(OPEN_WEEKDAY, "1*2")
    assert back_to_language.heard()[-2].startswith("급수")


def test_the_korean_journey_is_entirely_in_korean(town: Hotline) -> None:
    call = place_call("2026-10-01T10:00:00+08:00", "2" + keys_to(town, "marriage_station") + "1#2")
    after_choice = call.heard()[4:]
    assert after_choice, call.transcript
    for text in after_choice:
        assert HANGUL.search(text) and not HAN.search(text), text
    langs = [line.lang for line in call.transcript if line.kind == "heard"][4:]
    assert set(langs) == {"ko"}
    assert "하구진 혼인등기소는 지금 업무시간이 아닙니다. 국경절 휴무입니다." in after_choice
    assert "다음 업무시간은 10월 8일 목요일 오전 8시 30분입니다." in after_choice
    assert call.outcome.kind == "voicemail"


@pytest.mark.parametrize("status, said", [
    ("busy", "对方正在通话中。"),
    ("no-answer", "暂时无人接听。"),
    ("failed", "电话暂时无法接通。"),
    ("canceled", "转接已取消。"),
])
def test_an_unanswered_forward_says_so_and_offers_a_message_or_the_main_menu(status: str, said: str) -> None:
    call = place_call(OPEN_WEEKDAY, "12", dial_status=status)
    heard = call.heard()
    assert heard[heard.index(said) + 1] == "再拨一次请按1，留言请按2，返回上一级请按星号键。"
    message = place_call(OPEN_WEEKDAY, "122", dial_status=status)
    assert message.outcome.kind == "voicemail" and message.outcome.unit == "marriage_station"
    menu = place_call(OPEN_WEEKDAY, "12*", dial_status=status)
    assert menu.heard()[-2].startswith("供水，请按1。")


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_an_answered_forward_ends_the_call_politely(status: str) -> None:
    call = place_call(OPEN_WEEKDAY, "12", dial_status=status)
    assert call.heard()[-1] == "感谢您的来电，再见。"
    assert call.transcript[-1].text == "the hotline hangs up"


def test_a_wrong_key_and_silence_get_a_short_reprompt_then_the_operator_when_open() -> None:
    call = place_call(OPEN_WEEKDAY, "1X.")
    heard = call.heard()
    assert "对不起，您按的键无效。" in heard and "对不起，没有收到您的按键。" in heard
    call = place_call(OPEN_WEEKDAY, "1...")
    assert call.heard().count("对不起，没有收到您的按键。") == 2
    assert forwards(call)[0]["number"] == MAIN_LINE  # after three tries: the operator


def test_too_many_tries_when_closed_is_a_polite_goodbye() -> None:
    call = place_call(CLOSED_EVENING, "1...")
    assert forwards(call) == []
    assert call.heard()[-2:] == ["现在无法为您转接人工服务，请在办公时间再拨打。", "感谢您的来电，再见。"]
    assert call.outcome.as_json() == {"kind": "goodbye"}


def test_silence_at_the_language_choice_is_asked_again_in_both_languages_then_goodbye() -> None:
    call = place_call(CLOSED_EVENING, "...")
    heard = call.heard()
    assert heard.count("对不起，没有收到您的按键。") == 2
    assert heard.count("죄송합니다. 아무 번호도 누르지 않으셨습니다.") == 2
    assert heard[-1] == "전화해 주셔서 감사합니다. 안녕히 계십시오."


def test_the_voice_message_path_when_closed(town: Hotline) -> None:
    call = place_call(CLOSED_EVENING, "1" + keys_to(town, "water_office") + "2")
    heard = call.heard()
    assert "请在提示音后留言，说明您的姓名、事由和回电号码，说完后挂机或按井号键。" in heard
    assert heard[-1] == "您的留言已经收到，工作人员会尽快给您回电。再见。"
    assert call.outcome.kind == "voicemail" and call.outcome.unit == "water_office"
    recorded = next(line for line in call.transcript if line.kind == "recorded")
    assert recorded.detail["RecordingUrl"].endswith(recorded.detail["RecordingSid"])


def test_information_gives_number_address_postcode_hours_and_duties_in_the_callers_language() -> None:
    call = place_call("2026-07-04T10:00:00+08:00", "121")  # a summer Saturday
    info = next(t for t in call.heard() if t.startswith("河口镇婚姻登记站，电话"))
    assert info == ("河口镇婚姻登记站，电话零四三三，三六零，零零零三，地址：河口镇江边路5号，"
                    "邮政编码133101。办公时间：星期一至星期五，上午8点30分至下午4点，节假日除外。"
                    "办理结婚登记和离婚登记。")
    korean = place_call("2026-07-04T10:00:00+08:00", "211")
    info_ko = next(t for t in korean.heard() if t.startswith("하구진 급수소, 전화 "))
    assert info_ko.startswith("하구진 급수소, 전화 공사삼삼, 삼육공, 공공공이, 주소")
    assert "하구진 중심거리 3호" in info_ko and "우편번호 133101" in info_ko
    assert "오전 8시 30분부터 낮 12시까지, 오후 1시 30분부터 5시까지" in info_ko


def test_information_of_a_unit_without_its_own_line_gives_the_main_line() -> None:
    call = place_call("2026-07-04T10:00:00+08:00", "1311")  # the parks office, on a Saturday
    info = next(t for t in call.heard() if t.startswith("河口镇园林科，"))
    assert info.startswith("河口镇园林科，电话零四三三，三六零，零零零幺，地址：")


def test_lunch_break_and_holiday_reasons_are_spoken() -> None:
    lunch = place_call("2026-11-26T12:10:00+08:00", "11")
    assert "河口镇供水所现在不办公：午休时间。" in lunch.heard()
    assert "下次办公时间是今天下午1点。" in lunch.heard()
    national_day = place_call("2026-10-02T10:00:00+08:00", "11")  # the town's own notice: 1 to 7 October
    assert "河口镇供水所现在不办公：国庆节放假。" in national_day.heard()
    assert "下次办公时间是下周四上午8点。" in national_day.heard()  # six days ahead, in the next week


def test_korean_particles_follow_the_name_they_attach_to() -> None:
    water = place_call(CLOSED_EVENING, "21")
    assert "하구진 급수소는 지금 업무시간이 아닙니다. 오늘 업무가 끝났습니다." in water.heard()
    menu = next(t for t in place_call(CLOSED_EVENING, "23").heard() if t.startswith("원림록화"))
    assert "원림록화는 1번, " in menu and "봉사중심은 2번," in menu
    parks = place_call(OPEN_WEEKDAY, "231")
    assert "하구진 원림과는 따로 전화가 없어 대표전화로 련결합니다. 잠시 기다려 주십시오." in parks.heard()


def test_hash_or_star_at_the_language_choice_replays_it_without_using_up_a_try() -> None:
    call = place_call(CLOSED_EVENING, "#*#1")
    assert call.heard().count("普通话请按1。") == 4
    assert "对不起，您按的键无效。" not in call.heard()
    assert call.outcome.as_json() == {"kind": "caller_hung_up", "node": "menu:main"}


def test_star_after_the_operator_returns_to_the_submenu_the_caller_came_from() -> None:
    call = place_call(CLOSED_EVENING, "130*")  # the other services' submenu, operator (closed), back
    assert call.heard()[-2].startswith("园林绿化")


def test_star_after_a_failed_forward_returns_to_the_submenu_as_the_prompt_says() -> None:
    call = place_call(OPEN_WEEKDAY, "131*", dial_status="no-answer")
    assert "再拨一次请按1，留言请按2，返回上一级请按星号键。" in call.heard()
    assert call.heard()[-2].startswith("园林绿化")


def test_one_tries_the_line_again_after_a_failed_forward() -> None:
    call = place_call(OPEN_WEEKDAY, "121", dial_status="busy")
    assert [line.detail["number"] for line in call.transcript if line.kind == "forwarded"] == [
        "+864333600003", "+864333600003"]


def test_closed_sentences_say_now_once_and_a_korean_closure_is_a_sentence(town_menus: Path, town_edit: Editor) -> None:
    town_edit("calendar.yaml", "closures:\n",
              "closures:\n  - {date: 2026-11-27, name: {zh: 全体职工会议, ko: 전체 직원회의}}\n")
    meeting = place_call("2026-11-27T10:00:00+08:00", "21", MENUS_DIR=str(town_menus))
    assert "하구진 급수소는 지금 업무시간이 아닙니다. 전체 직원회의 때문에 휴무입니다." in meeting.heard()
    chinese = place_call("2026-11-27T10:00:00+08:00", "11", MENUS_DIR=str(town_menus))
    assert "河口镇供水所现在不办公：全体职工会议。" in chinese.heard()
    lunch = place_call("2026-11-26T12:10:00+08:00", "21")
    assert "하구진 급수소는 지금 업무시간이 아닙니다. 점심 휴식시간입니다." in lunch.heard()
    assert not any(line.count("现在") > 1 for line in place_call("2026-11-26T12:10:00+08:00", "11").heard())
