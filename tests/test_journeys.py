"""The caller's journey end to end, through the real webhooks, signed as the provider signs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.core.model import Hotline
from ivr.simulator import CallResult
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, Editor, place_call
from tests.test_menus_data import SEED_LINES

OWN_LINES = {unit: line for unit, line in SEED_LINES.items() if unit != "bureau"}
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
def test_an_open_unit_with_its_own_line_is_forwarded_to_its_e164_number(hotline: Hotline, unit_id: str) -> None:
    call = place_call(OPEN_WEEKDAY, "1" + keys_to(hotline, unit_id), CALLER_ID="+864333622075")
    assert forwards(call) == [{"number": OWN_LINES[unit_id], "unit": unit_id, "caller_id": "+864333622075",
                               "timeout": "25"}]
    assert f"正在为您转接{hotline.units[unit_id].name.zh}，请稍候。" in call.heard()
    assert call.outcome.as_json() == {"kind": "forwarded", "number": OWN_LINES[unit_id], "unit": unit_id,
                            "dial_status": "completed"}
    assert call.heard()[-1] == "感谢您的来电，再见。"


@pytest.mark.parametrize("unit_id", sorted(OWN_LINES))
def test_a_closed_unit_says_why_and_when_it_opens_next(hotline: Hotline, unit_id: str) -> None:
    call = place_call(CLOSED_EVENING, "1" + keys_to(hotline, unit_id))
    name = hotline.units[unit_id].name.zh
    assert forwards(call) == []
    assert f"{name}现在不办公：今天已经下班。" in call.heard()
    opens = "明天上午8点30分" if unit_id == "marriage_registry" else "明天上午8点"
    assert f"下次办公时间是{opens}。" in call.heard()
    assert call.outcome.as_json() == {"kind": "caller_hung_up", "node": f"closed:{unit_id}"}


def test_a_department_without_a_line_is_put_through_the_main_line(hotline: Hotline) -> None:
    call = place_call(OPEN_WEEKDAY, "1" + keys_to(hotline, "social_insurance_section"))
    assert forwards(call)[0]["number"] == "+864333622075"
    assert "社会保险科没有单独的电话，正在为您转接局总机，请稍候。" in call.heard()


def test_the_charity_federation_without_a_line_goes_through_the_main_line(hotline: Hotline) -> None:
    call = place_call(OPEN_WEEKDAY, "1" + keys_to(hotline, "charity_federation"))
    assert forwards(call)[0] == {"number": "+864333622075", "unit": "charity_federation", "caller_id": None,
                                 "timeout": "25"}


def test_zero_reaches_the_operator_at_every_level_when_open() -> None:
    for keys in ("0", "10", "110", "160"):
        call = place_call(OPEN_WEEKDAY, keys)
        assert forwards(call)[0]["number"] == "+864333622075", keys
        assert forwards(call)[0]["unit"] == "bureau"
        assert "正在为您转接总机，请稍候。" in call.heard() or keys == "0"


def test_the_operator_when_the_bureau_is_closed_says_so_and_offers_a_message() -> None:
    call = place_call("2026-11-28T10:00:00+08:00", "10")  # a Saturday
    assert forwards(call) == []
    assert "图们市民政和人力资源社会保障局现在不办公：周末休息。" in call.heard()
    assert "下次办公时间是下周一上午8点。" in call.heard()


def test_star_goes_back_and_hash_repeats() -> None:
    call = place_call(OPEN_WEEKDAY, "16*#")
    menus = [t for t in call.heard() if t.startswith("低保")]
    assert len(menus) == 3  # main, main again after '*', main repeated after '#'
    veterans = [t for t in call.heard() if t.startswith("退役军人就业创业和帮扶")]
    assert len(veterans) == 1
    back_to_language = place_call(OPEN_WEEKDAY, "1*2")
    assert back_to_language.heard()[-2].startswith("최저생활보장")


def test_the_korean_journey_is_entirely_in_korean(hotline: Hotline) -> None:
    call = place_call("2026-10-01T10:00:00+08:00", "2" + keys_to(hotline, "marriage_registry") + "1#2")
    after_choice = call.heard()[4:]
    assert after_choice, call.transcript
    for text in after_choice:
        assert HANGUL.search(text) and not HAN.search(text), text
    langs = [line.lang for line in call.transcript if line.kind == "heard"][4:]
    assert set(langs) == {"ko"}
    assert "도문시 민정국 혼인등기처는 지금 업무시간이 아닙니다. 국경절 휴무입니다." in after_choice
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
    assert message.outcome.kind == "voicemail" and message.outcome.unit == "marriage_registry"
    menu = place_call(OPEN_WEEKDAY, "12*", dial_status=status)
    assert menu.heard()[-2].startswith("低保等社会救助，请按1。")


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
    assert forwards(call)[0]["number"] == "+864333622075"  # after three tries: the operator


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


def test_the_voice_message_path_when_closed(hotline: Hotline) -> None:
    call = place_call(CLOSED_EVENING, "1" + keys_to(hotline, "talent_center") + "2")
    heard = call.heard()
    assert "请在提示音后留言，说明您的姓名、事由和回电号码，说完后挂机或按井号键。" in heard
    assert heard[-1] == "您的留言已经收到，工作人员会尽快给您回电。再见。"
    assert call.outcome.kind == "voicemail" and call.outcome.unit == "talent_center"
    recorded = next(line for line in call.transcript if line.kind == "recorded")
    assert recorded.detail["RecordingUrl"].endswith(recorded.detail["RecordingSid"])


def test_information_gives_number_address_postcode_hours_and_duties_in_the_callers_language() -> None:
    call = place_call("2026-07-04T10:00:00+08:00", "121")  # a summer Saturday
    info = next(t for t in call.heard() if t.startswith("图们市民政局婚姻登记处，电话"))
    assert info == ("图们市民政局婚姻登记处，电话零四三三，三六二，三四四幺，地址：吉林省延边州图们市口岸大街2527号，"
                    "邮政编码133100。办公时间：星期一至星期五，上午8点30分至下午4点，节假日除外。"
                    "办理结婚登记、离婚登记和婚姻登记记录证明，并管理婚姻登记档案。")
    korean = place_call("2026-07-04T10:00:00+08:00", "281")
    info_ko = next(t for t in korean.heard() if t.startswith("도문시 장례관리소, 전화 "))
    assert info_ko.startswith("도문시 장례관리소, 전화 공사삼삼, 삼육이, 사구사이, 주소")
    assert "길림성 연변주 도문시 금수거리 416호" in info_ko and "우편번호 133100" in info_ko
    assert "오전 8시 30분부터 낮 12시까지, 오후 1시 30분부터 5시까지" in info_ko


def test_information_of_a_unit_without_its_own_line_gives_the_main_line() -> None:
    call = place_call("2026-07-04T10:00:00+08:00", "1921")  # the charity federation, on a Saturday
    info = next(t for t in call.heard() if t.startswith("图们市慈善总会，"))
    assert info.startswith("图们市慈善总会，电话零四三三，三六二，二零七五，地址：")


def test_lunch_break_and_holiday_reasons_are_spoken() -> None:
    lunch = place_call("2026-11-26T12:10:00+08:00", "18")
    assert "图们市殡葬管理所现在不办公：午休时间。" in lunch.heard()
    assert "下次办公时间是今天下午1点。" in lunch.heard()
    spring = place_call("2026-02-18T10:00:00+08:00", "18")
    assert "图们市殡葬管理所现在不办公：春节放假。" in spring.heard()
    assert "下次办公时间是下周二上午8点。" in spring.heard()  # six days ahead, in the next week


def test_korean_particles_follow_the_name_they_attach_to() -> None:
    funeral = place_call(CLOSED_EVENING, "28")
    assert "도문시 장례관리소는 지금 업무시간이 아닙니다. 오늘 업무가 끝났습니다." in funeral.heard()
    menu = next(t for t in funeral.heard() if t.startswith("최저생활보장"))
    assert "혼인등기는 2번, " in menu and "취업, 실업과 양성은 3번, " in menu
    charity = place_call(OPEN_WEEKDAY, "292")
    assert "도문시 자선총회는 따로 전화가 없어 대표전화로 련결합니다. 잠시 기다려 주십시오." in charity.heard()


def test_hash_or_star_at_the_language_choice_replays_it_without_using_up_a_try() -> None:
    call = place_call(CLOSED_EVENING, "#*#1")
    assert call.heard().count("普通话请按1。") == 4
    assert "对不起，您按的键无效。" not in call.heard()
    assert call.outcome.as_json() == {"kind": "caller_hung_up", "node": "menu:main"}


def test_star_after_the_operator_returns_to_the_submenu_the_caller_came_from() -> None:
    call = place_call(CLOSED_EVENING, "160*")  # veterans submenu, operator (closed), back
    assert call.heard()[-2].startswith("退役军人就业创业和帮扶")


def test_star_after_a_failed_forward_returns_to_the_submenu_as_the_prompt_says() -> None:
    call = place_call(OPEN_WEEKDAY, "161*", dial_status="no-answer")
    assert "再拨一次请按1，留言请按2，返回上一级请按星号键。" in call.heard()
    assert call.heard()[-2].startswith("退役军人就业创业和帮扶")


def test_one_tries_the_line_again_after_a_failed_forward() -> None:
    call = place_call(OPEN_WEEKDAY, "121", dial_status="busy")
    assert [line.detail["number"] for line in call.transcript if line.kind == "forwarded"] == [
        "+864333623441", "+864333623441"]



def test_closed_sentences_say_now_once_and_a_korean_closure_is_a_sentence(menus: Path, edit: Editor) -> None:
    edit("calendar.yaml", "closures: []",
         "closures:\n  - {date: 2026-11-27, name: {zh: 全体职工会议, ko: 전체 직원회의}}")
    meeting = place_call("2026-11-27T10:00:00+08:00", "28", MENUS_DIR=str(menus))
    assert "도문시 장례관리소는 지금 업무시간이 아닙니다. 오늘은 쉽니다. 사유: 전체 직원회의." in meeting.heard()
    chinese = place_call("2026-11-27T10:00:00+08:00", "18", MENUS_DIR=str(menus))
    assert "图们市殡葬管理所现在不办公：今天停办，事由：全体职工会议。" in chinese.heard()
    lunch = place_call("2026-11-26T12:10:00+08:00", "28")
    assert "도문시 장례관리소는 지금 업무시간이 아닙니다. 점심 휴식시간입니다." in lunch.heard()
    assert not any(line.count("现在") > 1 for line in place_call("2026-11-26T12:10:00+08:00", "18").heard())
