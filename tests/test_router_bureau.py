"""The speech router on the bureau's menus: the labelled sentences of tests/speech_sentences.yaml, as callers say
them, are routed right at least nine times in ten, and none is forwarded to a wrong office or forwarded at all
when it names no office."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ivr.core.model import Hotline
from ivr.core.router import Router, Verdict

SENTENCES = yaml.safe_load((Path(__file__).parent / "speech_sentences.yaml").read_text(encoding="utf-8"))["sentences"]


@pytest.fixture(scope="module")
def router(hotline: Hotline) -> Router:
    return Router.from_hotline(hotline)


def test_the_labelled_set_is_large_and_in_both_languages(hotline: Hotline) -> None:
    assert len(SENTENCES) >= 200
    assert {s["lang"] for s in SENTENCES} == {"zh", "ko"}
    assert sum(1 for s in SENTENCES if s["to"] == "none") >= 20
    named = {unit for s in SENTENCES if s["to"] != "none" for unit in s["to"]}
    assert named <= set(hotline.units) and named == set(hotline.units)  # every office is asked for


def test_the_labelled_sentences_are_routed_right_and_never_forwarded_wrong(router: Router) -> None:
    right, asked, wrong_forwards, none_forwarded, missed = 0, 0, [], [], []
    offices = [s for s in SENTENCES if s["to"] != "none"]
    for s in offices:
        routing = router.route(s["say"], s["lang"])
        good = bool(set(routing.offered) & set(s["to"]))
        right += good
        asked += good and routing.verdict in (Verdict.CONFIRM, Verdict.CHOOSE)
        if routing.verdict is Verdict.FORWARD and not good:
            wrong_forwards.append((s["say"], routing.offered))
        elif not good:
            missed.append((s["say"], routing.verdict.value, routing.offered))
    nothing = [s for s in SENTENCES if s["to"] == "none"]
    none_right = 0
    for s in nothing:
        routing = router.route(s["say"], s["lang"])
        none_right += routing.verdict is Verdict.NONE
        if routing.verdict is Verdict.FORWARD:
            none_forwarded.append((s["say"], routing.offered))
    print(f"\n{len(offices)} sentences naming an office: {right} routed right ({right / len(offices):.1%}; "
          f"{right - asked} forwarded, {asked} asked), {len(wrong_forwards)} forwarded to a wrong office; "
          f"{len(nothing)} naming none: {none_right} NONE, {len(none_forwarded)} forwarded; missed: {missed}")
    assert right / len(offices) >= 0.9, missed
    assert wrong_forwards == []
    assert none_forwarded == []
    assert none_right / len(nothing) >= 0.9
