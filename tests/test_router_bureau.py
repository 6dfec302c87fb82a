"""The speech router on the bureau's menus: the labelled sentences of tests/speech_sentences.yaml, as callers say
them, are routed right at least nine times in ten, and none is forwarded to a wrong office or forwarded at all
when it names no office."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ivr.cli import main
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


def score(router: Router, sentences: list[dict[str, object]]) -> dict[str, list[object]]:
    """Route each sentence; sort them into right (forwarded or asked), wrong forwards, missed, and for the
    sentences that name no office, NONE or forwarded."""
    found: dict[str, list[object]] = {k: [] for k in ("forwarded", "asked", "wrong_forwards", "missed", "none",
                                                      "none_asked", "none_forwarded")}
    for s in sentences:
        routing = router.route(str(s["say"]), s["lang"])  # type: ignore[arg-type]
        if s["to"] == "none":
            kind = {Verdict.NONE: "none", Verdict.FORWARD: "none_forwarded"}.get(routing.verdict, "none_asked")
        elif set(routing.offered) & set(s["to"]):  # type: ignore[arg-type]
            kind = "forwarded" if routing.verdict is Verdict.FORWARD else "asked"
        else:
            kind = "wrong_forwards" if routing.verdict is Verdict.FORWARD else "missed"
        found[kind].append((s["say"], routing.verdict.value, routing.offered))
    return found


def figures(found: dict[str, list[object]]) -> str:
    offices = sum(len(found[k]) for k in ("forwarded", "asked", "wrong_forwards", "missed"))
    right = len(found["forwarded"]) + len(found["asked"])
    nothing = len(found["none"]) + len(found["none_asked"]) + len(found["none_forwarded"])
    return (f"{offices} naming an office: {right} routed right ({right / offices:.1%}; {len(found['forwarded'])} "
            f"forwarded, {len(found['asked'])} asked), {len(found['wrong_forwards'])} forwarded to a wrong office, "
            f"{len(found['missed'])} missed; {nothing} naming none: {len(found['none'])} NONE, "
            f"{len(found['none_asked'])} asked, {len(found['none_forwarded'])} forwarded")


def test_the_labelled_sentences_are_routed_right_and_never_forwarded_wrong(router: Router) -> None:
    found = score(router, SENTENCES)
    held_out = score(router, [s for s in SENTENCES if s.get("held_out")])
    print(f"\nall {len(SENTENCES)}: {figures(found)}\nheld out {sum(map(len, held_out.values()))} (written after "
          f"the tuning): {figures(held_out)}\nmissed: {found['missed']}")
    offices = sum(len(found[k]) for k in ("forwarded", "asked", "wrong_forwards", "missed"))
    assert (len(found["forwarded"]) + len(found["asked"])) / offices >= 0.9, found["missed"]
    assert found["wrong_forwards"] == []
    assert found["none_forwarded"] == []
    assert len(found["none"]) / (len(found["none"]) + len(found["none_asked"])) >= 0.9, found["none_asked"]


def test_ivr_find_routes_a_whole_sentence_and_prints_the_ranking_and_the_verdict() -> None:
    result = CliRunner().invoke(main, ["find", "喂，我想辦離婚"])
    assert (result.exit_code, result.stdout.splitlines()) == (0, [
        "图们市民政局婚姻登记处  +864333623441  (keys 2 after the language choice)  score 0.90",
        "verdict: forward (one office is clearly meant; a caller saying it is put through to 图们市民政局婚姻登记处)"])
    korean = CliRunner().invoke(main, ["find", "로임을", "못", "받았습니다", "--lang", "ko"])
    assert korean.stdout.splitlines() == [
        "로동관계및감찰중재과(신방판공실)  +864333622075  (keys 7 after the language choice)  score 0.90",
        "사업단위인사조배과(사업단위전문기술인원관리과)  +864333622075  (keys 5 2 after the language choice)  "
        "score 0.90",
        "verdict: choose (a caller saying it is offered keys 1-2: 로동관계및감찰중재과(신방판공실); "
        "사업단위인사조배과(사업단위전문기술인원관리과))"]
    unsure = CliRunner().invoke(main, ["find", "我想办离婚", "--confidence", "0.3"])
    assert unsure.stdout.splitlines()[-1] == \
        "verdict: confirm (a caller saying it is asked to confirm 图们市民政局婚姻登记处)"


def test_ivr_find_json_and_a_sentence_that_names_no_office() -> None:
    result = CliRunner().invoke(main, ["find", "低保怎么申请", "--json"])
    found = json.loads(result.stdout)
    assert (found["lang"], found["verdict"], found["offered"]) == (
        "zh", "choose", ["social_assistance_center", "social_assistance_section"])
    assert [(r["unit"], r["score"], r["keys"]) for r in found["ranking"]] == [
        ("social_assistance_center", 0.9, "11"), ("social_assistance_section", 0.9, "12")]
    nothing = CliRunner().invoke(main, ["find", "今天天气怎么样", "--json"])
    assert nothing.exit_code == 1
    assert json.loads(nothing.stdout) == {"sentence": "今天天气怎么样", "lang": "zh", "verdict": "none", "offered": [],
                                          "ranking": [], "mentioned": []}
    # A word staff look for but no caller would say alone still finds the unit whose summary has it.
    staff = CliRunner().invoke(main, ["find", "财务"])
    assert staff.stdout.splitlines() == [
        "办公室（机关党支部）  +864333622075  (keys 9 4 after the language choice)",
        "verdict: none (a caller saying it names no office and is not put through; "
        "the words appear in these units' names, keywords or summaries)"]
