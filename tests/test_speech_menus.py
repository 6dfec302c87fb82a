"""Callers say what they need at every menu: the menus listen (TwiML), the router's verdict decides whether the
call is forwarded or the caller is asked, and every journey ends somewhere sensible. The engine runs on the small
town's hotline of tests/fixtures/router_menus/ (Mandarin on a Google model, Korean on a Deepgram one); the
bureau's menus are checked for their Gather attributes only."""

from __future__ import annotations

import dataclasses
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from ivr.clock import parse_moment
from ivr.core.decision import Event, Node, NodeKind, Step
from ivr.core.flow import CallFlow
from ivr.core.listening import MAX_HINT_CHARS, MAX_HINTS, speech_hints
from ivr.core.loader import load_hotline
from ivr.core.model import Text
from ivr.simulator import CallSimulator, Ending, Said, pressed_keys
from tests.conftest import BUNDLED_MENUS, CLOSED_EVENING, OPEN_WEEKDAY, Provider, make_app, twiml

FIXTURE = Path(__file__).parent / "fixtures" / "router_menus"
CALL = {"CallSid": "CA" + "5" * 32, "From": "+8613812345678", "To": "+864333622075"}
MAIN_ZH = "/voice/step?node=menu:main&lang=zh&input=none"
MAIN_KO = "/voice/step?node=menu:main&lang=ko&input=none"
WATER, PARKS, MARRIAGE, SERVICE_CENTRE = "+864333624942", "+864333663501", "+864333623441", "+864333622075"


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A private copy of the town's hotline (the service may write a published version into its folder)."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "town"))


def town_app(town: Path, at: str = OPEN_WEEKDAY) -> Flask:
    return make_app(MENUS_DIR=str(town), FROZEN_TIME=at)


@pytest.fixture
def provider(town: Path) -> Provider:
    return Provider(town_app(town).test_client())


def said(provider: Provider, url: str, sentence: str, confidence: str | None = None) -> ET.Element:
    form = {**CALL, "SpeechResult": sentence}
    if confidence is not None:
        form["Confidence"] = confidence
    return twiml(provider.post(url, form))


def pressed(provider: Provider, url: str, key: str) -> ET.Element:
    return twiml(provider.post(url, {**CALL, "Digits": key}))


def dialed(root: ET.Element) -> str | None:
    return root.findtext("Dial/Number")


def says(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter("Say")]


def action(root: ET.Element) -> str:
    """The Gather's action as a path and query the test client can post to again."""
    url = root.find("Gather").get("action", "")  # type: ignore[union-attr]
    return url


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# The TwiML: every menu listens, in the caller's language -------------------------------------------------------


@pytest.mark.parametrize("lang, language, model", [("zh", "cmn-Hans-CN", "googlev2_telephony"),
                                                   ("ko", "ko", "deepgram_nova-3")])
def test_the_menu_listens_in_the_callers_language_with_the_configured_model(provider: Provider, lang: str,
                                                                            language: str, model: str) -> None:
    root = pressed(provider, "/voice/step?node=language", "1" if lang == "zh" else "2")
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "dtmf speech"
    assert (gather.get("language"), gather.get("speechModel")) == (language, model)
    assert gather.get("speechTimeout") == "2"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("profanityFilter") == "false"
    assert gather.get("numDigits") == "1" and gather.get("finishOnKey") == ""
    # Silence is reported to the action, marked as the place where no input means no input.
    assert query(gather.get("action", "")) == {"node": "menu:main", "lang": lang, "input": "none", "seq": "1"}
    hints = (gather.get("hints") or "").split(",")
    assert 0 < len(hints) <= MAX_HINTS and all(0 < len(h) <= MAX_HINT_CHARS for h in hints)
    expected = {"zh": {"河口镇婚姻登记站", "停水", "是", "不是"},
                "ko": {"하구진 혼인등기소", "단수", "네", "아니"}}[lang]
    assert expected <= set(hints)
    assert not {"停水", "是"} & set(hints) if lang == "ko" else not {"단수", "네"} & set(hints)


def test_the_main_menu_invites_the_caller_to_speak_in_one_short_sentence(provider: Provider) -> None:
    zh = says(pressed(provider, "/voice/step?node=language", "1"))
    ko = says(pressed(provider, "/voice/step?node=language", "2"))
    assert zh[0] == "可以直接说出要办的事，比如“家里停水了”。"
    assert ko[0] == "“수도가 끊겼습니다”처럼 용건을 바로 말씀하셔도 됩니다."
    assert zh[1].startswith("供水，请按1。")


def test_the_language_choice_takes_keys_only(provider: Provider) -> None:
    gather = twiml(provider.post("/voice", CALL)).find("Gather")
    assert gather is not None and gather.get("input") == "dtmf"
    assert {"language", "speechModel", "hints", "actionOnEmptyResult"}.isdisjoint(gather.attrib)


@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_every_menu_of_the_bureau_listens_with_hints_within_the_providers_limits(lang: str) -> None:
    app = make_app()
    provider = Provider(app.test_client())
    hotline = load_hotline(BUNDLED_MENUS)
    for menu_id in hotline.menus:
        gather = pressed(provider, f"/voice/step?node=menu:{menu_id}&lang={lang}", "#").find("Gather")
        assert gather is not None, menu_id
        assert (gather.get("input"), gather.get("speechModel"), gather.get("speechTimeout")) == (
            "dtmf speech", "googlev2_telephony", "2")
        assert gather.get("language") == {"zh": "cmn-Hans-CN", "ko": "ko-KR"}[lang]
        hints = (gather.get("hints") or "").split(",")
        assert len(hints) <= MAX_HINTS and all(0 < len(h) <= MAX_HINT_CHARS for h in hints)
        assert ("图们市民政局婚姻登记处" if lang == "zh" else "도문시 민정국 혼인등기처") in hints


def test_hints_stay_within_the_providers_limits_however_many_and_long_the_keywords(town: Path) -> None:
    hotline = load_hotline(town)
    water = hotline.units["water_office"]
    many = {f"office_{n}": dataclasses.replace(water, id=f"office_{n}",
                                               name=Text(f"第{n}号办公室，分所", f"제{n}호 사무실"),
                                               keywords=(f"关键词{n}" + "水" * 150, f"다른말{n}" + "물" * 150))
            for n in range(700)}
    huge = dataclasses.replace(hotline, units={**hotline.units, **many})
    for lang in ("zh", "ko"):
        hints = speech_hints(huge, lang)  # type: ignore[arg-type]
        assert len(hints) == MAX_HINTS
        assert max(len(h) for h in hints) == MAX_HINT_CHARS
        assert not [h for h in hints if "," in h or "，" in h or not h.strip()]
        assert len(set(hints)) == len(hints)


def test_a_hotline_without_a_speech_section_takes_keys_only(town: Path) -> None:
    text = (town / "hotline.yaml").read_text(encoding="utf-8")
    start, end = text.index("speech:"), text.index("calls:")
    (town / "hotline.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    root = pressed(Provider(town_app(town).test_client()), "/voice/step?node=language", "1")
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf" and "hints" not in gather.attrib
    assert not any("停水" in s for s in says(root))  # no invitation to speak when nobody listens
    forged = said(Provider(town_app(town).test_client()), MAIN_ZH, "我想办离婚")
    assert dialed(forged) is None and says(forged)[0] == "供水，请按1。园林绿化，请按2。婚姻登记，请按3。"


# Forward at once, or ask -------------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [None, "0", "0.93"])
def test_a_clear_request_is_forwarded_when_the_confidence_is_missing_unknown_or_high(
        provider: Provider, confidence: str | None) -> None:
    root = said(provider, MAIN_ZH, "我想办离婚", confidence)
    assert dialed(root) == MARRIAGE
    assert says(root) == ["正在为您转接河口镇婚姻登记站，请稍候。"]
    assert query(root.find("Dial").get("action", ""))["back"] == "main"  # type: ignore[union-attr]


def test_a_clear_request_with_a_low_confidence_is_confirmed_first(provider: Provider) -> None:
    root = said(provider, MAIN_ZH, "我想办离婚", "0.2")
    assert dialed(root) is None
    assert says(root) == ["您是要找河口镇婚姻登记站吗？是请按1，不是请按2。"]
    assert query(action(root))["node"] == "confirm:marriage_station"
    assert root.find("Gather").get("input") == "dtmf speech"  # type: ignore[union-attr]


def test_an_empty_speech_result_is_silence(provider: Provider) -> None:
    root = said(provider, MAIN_ZH, "", "0")
    assert says(root)[0] == "对不起，没有收到您的按键。"
    assert query(action(root))["try"] == "1"
    assert dialed(root) is None


@pytest.mark.parametrize("answer, form", [("key 1", {"Digits": "1"}),
                                          ("是", {"SpeechResult": "是", "Confidence": "0.8"}),
                                          ("是的。", {"SpeechResult": "是的。"})])
def test_a_confirmation_answered_yes_by_key_or_by_voice_forwards(provider: Provider, answer: str,
                                                                 form: dict[str, str]) -> None:
    url = action(said(provider, MAIN_ZH, "我想办离婚", "0.2"))
    root = twiml(provider.post(url, {**CALL, **form}))
    assert dialed(root) == MARRIAGE, answer


def test_a_korean_confirmation_answered_ne_forwards(provider: Provider) -> None:
    url = action(said(provider, MAIN_KO, "리혼하려고 합니다", "0.3"))
    assert says(said(provider, MAIN_KO, "리혼하려고 합니다", "0.3")) == [
        "하구진 혼인등기소를 찾으십니까? 맞으면 1번, 아니면 2번을 누르십시오."]
    assert dialed(said(provider, url, "네")) == MARRIAGE
    assert dialed(said(provider, url, "맞습니다")) == MARRIAGE


@pytest.mark.parametrize("form", [{"SpeechResult": "不是"}, {"Digits": "2"}])
def test_a_confirmation_declined_returns_to_the_menu_that_listens_again(provider: Provider,
                                                                       form: dict[str, str]) -> None:
    url = action(said(provider, MAIN_ZH, "我想办离婚", "0.2"))
    root = twiml(provider.post(url, {**CALL, **form}))
    assert dialed(root) is None
    assert says(root)[:2] == ["好的。", "供水，请按1。园林绿化，请按2。婚姻登记，请按3。"]
    assert query(action(root))["node"] == "menu:main"
    assert root.find("Gather").get("input") == "dtmf speech"  # type: ignore[union-attr]


def test_a_korean_no_declines(provider: Provider) -> None:
    url = action(said(provider, MAIN_KO, "리혼하려고 합니다", "0.3"))
    root = said(provider, url, "아니요")
    assert says(root)[0] == "알겠습니다." and dialed(root) is None


def test_two_offices_are_offered_on_keys_in_the_routers_order_and_key_2_picks_the_second(provider: Provider) -> None:
    root = said(provider, MAIN_ZH, "停水了，公园里也没水", "0.9")
    assert query(action(root))["node"] == "confirm:water_office+parks_office"
    assert says(root) == ["您说的事可能由以下部门办理。", "河口镇供水所，请按1。河口镇园林所，请按2。",
                          "转人工按0，返回按星号键，重听按井号键。"]
    assert dialed(pressed(provider, action(root), "2")) == PARKS
    assert dialed(pressed(provider, action(root), "1")) == WATER
    assert dialed(said(provider, action(root), "第二个")) == PARKS
    # A yes says nothing when two are offered; 3 is not offered: the question again, counted as a try.
    for wrong in (said(provider, action(root), "是"), pressed(provider, action(root), "3")):
        assert dialed(wrong) is None
        assert says(wrong)[0] == "对不起，您按的键无效。"
        assert query(action(wrong))["try"] == "1"


def test_zero_star_and_hash_keep_their_meaning_at_the_confirmation(provider: Provider) -> None:
    url = action(said(provider, MAIN_ZH, "停水了，公园里也没水"))
    assert dialed(pressed(provider, url, "0")) == SERVICE_CENTRE
    back = pressed(provider, url, "*")
    assert query(action(back))["node"] == "menu:main" and dialed(back) is None
    again = pressed(provider, url, "#")
    assert query(action(again))["node"] == "confirm:water_office+parks_office"
    assert says(again)[0] == "您说的事可能由以下部门办理。"


def test_a_new_request_at_the_confirmation_is_routed_again(provider: Provider) -> None:
    url = action(said(provider, MAIN_ZH, "我想办离婚", "0.2"))
    assert dialed(said(provider, url, "不是，我家停水了")) == WATER


@pytest.mark.parametrize("first, second, lang", [("你好", "今天天气怎么样", "zh"),
                                                 ("여보세요", "잘못 걸었습니다", "ko")])
def test_a_sentence_naming_no_office_is_explained_once_then_the_menu_takes_keys_only(
        provider: Provider, first: str, second: str, lang: str) -> None:
    once = said(provider, MAIN_ZH if lang == "zh" else MAIN_KO, first, "0.95")
    assert dialed(once) is None
    sorry = {"zh": "对不起，没有听懂。您可以说“家里停水了”或者“我要办结婚登记”，也可以按键选择。",
             "ko": "죄송합니다. 잘 알아듣지 못했습니다. “수도가 끊겼습니다”나 “결혼등기를 하려고 합니다”처럼 "
                   "말씀하시거나 번호를 눌러 주십시오."}[lang]
    assert says(once)[0] == sorry
    assert once.find("Gather").get("input") == "dtmf speech"  # type: ignore[union-attr]
    twice = said(provider, action(once), second, "0.95")
    assert dialed(twice) is None
    assert says(twice)[0] == {"zh": "请按键选择。", "ko": "번호를 눌러 선택해 주십시오."}[lang]
    gather = twice.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf"  # never a third try by voice
    assert sorry not in says(twice)
    # The keys still work there.
    assert dialed(pressed(provider, action(twice), "1")) == WATER


def test_a_closed_office_reached_by_speech_hears_the_same_as_by_keys(town: Path) -> None:
    provider = Provider(town_app(town, CLOSED_EVENING).test_client())
    by_voice = said(provider, MAIN_ZH, "我想办离婚")
    by_keys = pressed(provider, "/voice/step?node=menu:main&lang=zh", "3")
    assert says(by_voice) == says(by_keys) == [
        "河口镇婚姻登记站现在不办公：今天已经下班。", "下次办公时间是明天上午8点。",
        "听地址和办公时间请按1，留言请按2，返回上一级请按星号键。"]
    assert query(action(by_voice))["node"] == "closed:marriage_station"
    record = pressed(provider, action(by_voice), "2")
    assert record.find("Record") is not None


# The simulator, ivr call and the records ---------------------------------------------------------------------


def test_the_simulator_says_a_sentence_and_names_the_offices_offered_when_the_caller_hangs_up(town: Path) -> None:
    simulator = CallSimulator(town_app(town))
    waiting = simulator.call(pressed_keys("1", Said("停水了，公园里也没水")))
    assert waiting.outcome is not None and waiting.outcome.kind == Ending.CONFIRMING
    assert waiting.outcome.as_json() == {"kind": "confirming", "node": "confirm:water_office+parks_office",
                                         "offered": ["water_office", "parks_office"]}
    picked = simulator.call(pressed_keys("1", Said("停水了，公园里也没水"), "2"))
    assert picked.outcome is not None and (picked.outcome.kind, picked.outcome.number) == (Ending.FORWARDED, PARKS)
    silent = simulator.call(pressed_keys("1.", None, ""))
    assert [line.kind for line in silent.transcript].count("no_input") == 1
    assert silent.outcome is not None and silent.outcome.node == "menu:main"


def test_ivr_call_say_prints_the_outcome_as_json(town: Path) -> None:
    runner = CliRunner()
    args = ["call", "--menus", str(town), "--at", "2026-11-26T09:00+08:00", "--json"]
    choice = runner.invoke(main, [*args, "--say", "停水了，公园里也没水"])
    assert choice.exit_code == 0, choice.output
    import json

    outcome = json.loads(choice.stdout)["outcome"]
    assert outcome == {"kind": "confirming", "node": "confirm:water_office+parks_office",
                       "offered": ["water_office", "parks_office"]}
    korean = json.loads(runner.invoke(main, [*args, "--say", "리혼하려고 합니다"]).stdout)
    assert korean["outcome"]["number"] == MARRIAGE
    said_lines = [line for line in korean["transcript"] if line["kind"] == "said"]
    assert said_lines[0]["text"] == "리혼하려고 합니다" and said_lines[0]["detail"]["confidence"] == 0.9
    low = json.loads(runner.invoke(main, [*args, "--say", "我想办离婚", "--confidence", "0.3", "--press", "1"]).stdout)
    assert low["outcome"]["number"] == MARRIAGE
    assert "您是要找河口镇婚姻登记站吗？是请按1，不是请按2。" in [line["text"] for line in low["transcript"]]


def test_the_flow_keeps_no_decision_for_a_sentence_and_routes_each_afresh(town: Path) -> None:
    flow = CallFlow(load_hotline(town))
    step = Step(Node(NodeKind.MENU, "main"), "zh")
    now = parse_moment(OPEN_WEEKDAY)
    first = flow.decide(step, Event(speech="家里停水了"), now)
    second = flow.decide(step, Event(speech="我想办离婚"), now)
    assert (first.offered, second.offered) == (("water_office",), ("marriage_station",))
    assert (first.outcome, second.outcome) == ("forwarded", "forwarded")
    assert flow.decide(step, Event(speech="你好"), now).offered == ()
    assert flow.decide(step, Event(digits="1"), now).offered is None


def test_the_consoles_try_a_call_says_a_typed_sentence_at_the_first_menu() -> None:
    import re

    from tests.console import console_app, csrf_token, log_in

    client = console_app().test_client()
    log_in(client, "viewer")
    form = {"csrf_token": csrf_token(client, "/admin/try"), "date": "2026-11-26", "time": "09:00",
            "caller_lang": "ko", "dial_status": "completed", "keys": "9", "speak": "1"}

    def page(**more: str) -> str:
        return re.sub(r"\s+", " ", client.post("/admin/try", data={**form, **more}).get_data(as_text=True))

    asked = page(said="로임을 못 받았습니다")
    assert 'data-kind="confirming"' in asked  # the keys typed before the new sentence are dropped
    assert "等待来电者确认：1 劳动关系和监察仲裁科（信访办公室）、2 " in asked
    assert "来电者说：“로임을 못 받았습니다”" in asked
    assert 'name="said" type="text" maxlength="200" value="로임을 못 받았습니다"' in asked
    del form["speak"]  # then a key pressed after the sentence: 1 picks the first office offered
    picked = page(said="로임을 못 받았습니다", keys="", key="1")
    assert 'data-kind="forwarded"' in picked and "0433-3622075" in picked  # it has no line: the main line


@pytest.mark.parametrize("old, new, message", [
    ("    model: googlev2_telephony\n    language: cmn-Hans-CN", "    model: googlev2_telephony\n    language: zh-CN",
     "speech.zh.language: 'zh-CN' is not the code the model 'googlev2_telephony' takes for Mandarin (zh); write "
     "language: cmn-Hans-CN."),
    ("    model: deepgram_nova-3\n    language: ko", "    model: deepgram_nova-3\n    language: ko-KR",
     "speech.ko.language: 'ko-KR' is not the code the model 'deepgram_nova-3' takes for Korean (ko); write "
     "language: ko."),
    ("model: googlev2_telephony", "model: phone_call",
     "speech.zh.model: 'phone_call' is not a speech model the hotline can use for Mandarin (zh); use one of "
     "googlev2_telephony, googlev2_telephony_short, googlev2_short, googlev2_long, deepgram_nova-2, deepgram_nova-3."),
    ("  timeout: 2", "  timeout: auto",
     "speech.timeout: must be a whole number from 1 to 5, not 'auto'; write a plain number such as 1."),
])
def test_speech_settings_are_checked_with_file_and_line(town: Path, old: str, new: str, message: str) -> None:
    text = (town / "hotline.yaml").read_text(encoding="utf-8")
    assert old in text
    (town / "hotline.yaml").write_text(text.replace(old, new), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1 + (1 if old.startswith("    model") and "language" in new else 0)
    result = CliRunner().invoke(main, ["validate", "--menus", str(town), "--today", "2026-06-01"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{town}/hotline.yaml:{line} {message}"]


def test_a_sentence_typed_at_the_interactive_prompt_is_said(town: Path) -> None:
    result = CliRunner().invoke(main, ["call", "--menus", str(town), "--at", "2026-11-26T09:00+08:00"],
                                input="1\n家里停水了\n")
    assert result.exit_code == 0, result.output
    assert "  caller says “家里停水了”" in result.output.splitlines()
    assert result.output.splitlines()[-1] == f"Outcome: forwarded to {WATER} (water_office), completed"


def test_hostile_speech_values_and_forged_confirmation_nodes_still_get_a_sensible_answer(provider: Provider) -> None:
    assert dialed(said(provider, MAIN_ZH, "离婚" * 100_000, "nan")) == MARRIAGE  # cut, and an unreadable confidence
    for confidence in ("-3", "1e400", "abc", "0.5"):
        assert dialed(said(provider, MAIN_ZH, "我想办离婚", confidence)) == MARRIAGE
    nothing = said(provider, MAIN_ZH, "\x00\x1b\u2028 ")  # only control characters: silence
    assert says(nothing)[0] == "对不起，没有收到您的按键。"
    for node in ("confirm:", "confirm:no_such_office", "confirm:%2B%2B%2B"):
        root = pressed(provider, f"/voice/step?node={node}&lang=zh", "1")
        assert dialed(root) is None and query(action(root))["node"] == "menu:main", node
    padded = pressed(provider, "/voice/step?node=confirm:parks_office" + "%2Bx" * 100 + "&lang=zh", "1")
    assert dialed(padded) == PARKS  # the node is cut to its bound; the offices it still names are offered
    keys_only = said(provider, MAIN_ZH + "&miss=99", "你好")
    assert keys_only.find("Gather").get("input") == "dtmf"  # type: ignore[union-attr]


def test_a_confirmation_is_named_by_the_offices_offered_in_figures(town: Path) -> None:
    from ivr.core.names import node_name

    hotline = load_hotline(town)
    assert node_name(hotline, "confirm:water_office+parks_office", "zh") == (
        "确认说出的要办的事：河口镇供水所、河口镇园林所")
    assert node_name(hotline, "confirm:marriage_station", "ko") == "말한 용건 확인: 하구진 혼인등기소"
