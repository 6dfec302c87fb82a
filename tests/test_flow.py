"""The call flow core decided directly, on the engine's small hotline (tests/fixtures/engine_menus/): the moments
where time moves on while a caller listens."""

from __future__ import annotations

from datetime import datetime

import pytz

from ivr.core.decision import Ask, Event, Forward, Node, NodeKind, Step
from ivr.core.flow import CallFlow
from ivr.core.model import Hotline

SHANGHAI = pytz.timezone("Asia/Shanghai")


def test_a_unit_that_opens_while_its_closed_message_plays_puts_the_caller_through(town: Hotline) -> None:
    flow = CallFlow(town)
    just_opened = SHANGHAI.localize(datetime(2026, 11, 26, 8, 0, 5))
    for key in ("#", "7", None):
        decision = flow.decide(Step(Node(NodeKind.CLOSED, "bureau"), "zh", back="main"),
                               Event(digits=key, no_input=key is None), just_opened)
        forwards = [a for a in decision.actions if isinstance(a, Forward)]
        assert [f.number for f in forwards] == ["+864333600001"], key
        assert decision.outcome == "forwarded"


def test_a_unit_still_closed_repeats_its_closed_message_and_options(town: Hotline) -> None:
    flow = CallFlow(town)
    evening = SHANGHAI.localize(datetime(2026, 11, 26, 19, 0))
    closed = Step(Node(NodeKind.CLOSED, "marriage_station"), "zh", back="main")
    decision = flow.decide(closed, Event(digits="#"), evening)
    [ask] = [a for a in decision.actions if isinstance(a, Ask)]
    assert [p.text for p in ask.prompts] == [
        "河口镇婚姻登记站现在不办公：今天已经下班。", "下次办公时间是明天上午8点30分。",
        "听地址和办公时间请按1，留言请按2，返回上一级请按星号键。"]


def test_a_silent_voice_message_returns_to_the_menu_the_caller_came_from(town: Hotline) -> None:
    flow = CallFlow(town)
    evening = SHANGHAI.localize(datetime(2026, 11, 26, 19, 0))
    empty = flow.decide(Step(Node(NodeKind.RECORDED, "parks_office"), "zh", back="others"), Event(), evening)
    first, ask = empty.actions
    assert getattr(first, "text", None) == "没有录到您的留言。"
    assert isinstance(ask, Ask) and ask.next.node == Node(NodeKind.MENU, "others")
    assert ask.prompts[0].text.startswith("园林绿化，请按1。")
    closed = Step(Node(NodeKind.CLOSED, "parks_office"), "zh", back="others")
    record = flow.decide(closed, Event(digits="2"), evening)
    assert [type(a).__name__ for a in record.actions] == ["Say", "Record", "Say", "Redirect"]
    assert record.actions[-1].step.node == Node(NodeKind.MENU, "others")  # type: ignore[union-attr]


def test_callers_in_one_minute_share_a_decision_and_the_next_minute_decides_again(town: Hotline) -> None:
    flow = CallFlow(town)
    step, key_2 = Step(Node(NodeKind.MENU, "main"), "zh"), Event(digits="2")
    early, late = (SHANGHAI.localize(datetime(2026, 11, 26, 15, 59, s)) for s in (1, 59))
    assert flow.decide(step, key_2, early) is flow.decide(step, key_2, late)
    assert flow.decide(step, key_2, late).outcome == "forwarded"
    closed = flow.decide(step, key_2, SHANGHAI.localize(datetime(2026, 11, 26, 16, 0, 0)))
    assert closed.outcome == "closed" and closed.out_of_hours
    huge = Event(digits="2" * 100_000)
    assert flow.decide(step, huge, early) == CallFlow(town).decide(step, huge, early)


def test_callers_saying_the_same_sentence_in_one_minute_share_a_decision(town: Hotline) -> None:
    flow = CallFlow(town)
    step = Step(Node(NodeKind.MENU, "main"), "zh")
    said = Event(speech="我想办离婚", confidence=0.87)
    early, late = (SHANGHAI.localize(datetime(2026, 11, 26, 10, 0, s)) for s in (1, 59))
    assert flow.decide(step, said, early) is flow.decide(step, Event(speech="我想办离婚", confidence=0.87), late)
    assert flow.decide(step, said, early) is not flow.decide(step, Event(speech="我想办低保", confidence=0.87), early)
    rambling = Event(speech="我想办离婚" * 2_000)  # longer than any kept key: decided afresh, alike
    assert flow.decide(step, rambling, early) == CallFlow(town).decide(step, rambling, early)
    assert flow.decide(step, rambling, early) is not flow.decide(step, rambling, early)


def test_every_node_kind_reads_back_from_the_text_a_webhook_url_carries() -> None:
    for kind in NodeKind:
        place = Node(kind, "marriage_station")
        assert Node.parse(str(place)) == place and Node.parse(str(place)).kind is kind
    assert Node.parse("language") == Node(NodeKind.LANGUAGE, "")
    assert Node.read("menu:main") == Node(NodeKind.MENU, "main")


def test_a_place_no_flow_writes_is_refused_by_parse_and_unknown_to_read() -> None:
    for forged in ("dial:operator", "", "MENU:main", "menu main", "<script>:x"):
        assert Node.read(forged) is None
        try:
            Node.parse(forged)
        except ValueError:
            continue
        raise AssertionError(f"{forged!r} was parsed")
