"""The speech router's engine, on a small town's hotline written for these tests (tests/fixtures/router_menus/):
a service centre (the operator), a water office, a parks office and a marriage station, each with its own names
and keywords. The bureau's menus are scored in tests/test_router_bureau.py."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivr.core.loader import load_hotline
from ivr.core.router import Router, Routing, Verdict, normalise
from tests.conftest import write_small_hotline

FIXTURE = Path(__file__).parent / "fixtures" / "router_menus"
STANDARD = """\
schedules:
  standard:
    name: {zh: 办公时间, ko: 업무시간}
    days: [mon-fri]
    hours:
      summer: ["08:30-12:00", "13:30-17:00"]
      winter: ["08:00-11:30", "13:00-16:30"]
"""


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Router:
    folder = write_small_hotline(tmp_path_factory.mktemp("town") / "menus", STANDARD)
    for name in ("units.yaml", "menu.yaml"):
        shutil.copy(FIXTURE / name, folder / name)
    return Router.from_hotline(load_hotline(folder))


def test_a_keyword_in_a_sentence_forwards_to_its_office(router: Router) -> None:
    assert router.route("我想办离婚", "zh") == Routing((("marriage_station", 0.9),), Verdict.FORWARD)
    assert router.route("家里停水了", "zh").offered == ("water_office",)
    assert router.route("공원에 나무가 쓰러졌어요", "ko").verdict is Verdict.FORWARD


def test_a_name_without_the_towns_prefix_still_names_the_office(router: Router) -> None:
    routing = router.route("请帮我转供水所", "zh")
    assert (routing.verdict, routing.offered) == (Verdict.FORWARD, ("water_office",))
    assert router.route("혼인등기소에 련결해 주세요", "ko").offered == ("marriage_station",)


def test_mandarin_slips_match_on_toneless_pinyin_with_fuzzy_initials_and_finals(router: Router) -> None:
    # 昏 for 婚 sounds the same: as good as the keyword itself.
    assert router.route("结昏要带什么", "zh") == Routing((("marriage_station", 0.9),), Verdict.FORWARD)
    # Folded sounds match, but only to be confirmed: zhi for zi (自来水), nai for lai, zhen for zheng (结婚证).
    assert router.route("知来水不来了", "zh") == Routing((("water_office", 0.72),), Verdict.CONFIRM)
    assert router.route("自奈水不来了", "zh") == Routing((("water_office", 0.72),), Verdict.CONFIRM)
    assert router.route("结婚镇丢了", "zh").offered == ("marriage_station",)
    assert router.route("中级", "zh") == Routing((("bureau", 0.72),), Verdict.CONFIRM)  # zhong ji, 总机 zong ji


def test_a_long_phrase_said_with_one_syllable_more_or_nearly_still_matches(router: Router) -> None:
    assert router.route("用水去开户在哪", "zh") == Routing((("water_office", 0.648),), Verdict.CONFIRM)
    assert router.route("河口镇的供水所", "zh").offered == ("water_office",)
    assert router.route("离了婚", "zh").verdict is Verdict.NONE  # two syllables match only whole


def test_a_two_syllable_keyword_matches_only_whole(router: Router) -> None:
    assert router.route("离开这里", "zh") == Routing((), Verdict.NONE)  # li kai is not li hun
    assert router.route("李欢", "zh").verdict is Verdict.NONE  # li huan is not li hun either
    assert router.route("离昏", "zh").offered == ("marriage_station",)


def test_korean_matches_choson_and_standard_spellings_alike(router: Router) -> None:
    assert router.route("이혼하려고 합니다", "ko").offered == ("marriage_station",)  # keyword 리혼
    assert router.route("녹화 사업을 묻고 싶어요", "ko").offered == ("parks_office",)  # keyword 록화
    assert router.route("리혼", "ko").offered == ("marriage_station",)


def test_traditional_characters_full_width_punctuation_and_fillers_are_normalised(router: Router) -> None:
    assert normalise("喂，請問，那個……結婚登記？ＡＢ１２", "zh") == "结婚登记 ab12"
    assert normalise("여보세요, 저기… 리혼 수속!", "ko") == "리혼 수속"
    assert router.route("喂，請問，結婚證怎麼補辦？", "zh").offered == ("marriage_station",)


def test_a_phrase_inside_a_longer_matched_phrase_does_not_count(router: Router) -> None:
    assert router.route("绿化用水怎么收费", "zh").offered == ("water_office",)  # not 绿化, parks
    assert router.route("绿化带没人管", "zh").offered == ("parks_office",)


def test_two_offices_named_are_offered_as_a_choice(router: Router) -> None:
    routing = router.route("停水了，公园里也没水", "zh")
    assert routing.verdict is Verdict.CHOOSE
    assert set(routing.offered) == {"water_office", "parks_office"}
    assert [score for _, score in routing.ranking] == [0.9, 0.9]


def test_a_summarys_term_alone_is_only_confirmed(router: Router) -> None:
    routing = router.route("用水开户在哪办", "zh")
    assert routing == Routing((("water_office", 0.72),), Verdict.CONFIRM)


def test_a_low_confidence_never_forwards_and_a_missing_one_is_not_low(router: Router) -> None:
    assert router.route("我想办离婚", "zh", confidence=0.3).verdict is Verdict.CONFIRM
    assert router.route("我想办离婚", "zh", confidence=0.49).offered == ("marriage_station",)
    for unknown in (None, 0.0):
        assert router.route("我想办离婚", "zh", confidence=unknown).verdict is Verdict.FORWARD
    assert router.route("我想办离婚", "zh", confidence=0.5).verdict is Verdict.FORWARD


@pytest.mark.parametrize("sentence, lang", [("你好", "zh"), ("今天天气怎么样", "zh"), ("", "zh"), ("？？！", "zh"),
                                            ("여보세요", "ko"), ("잘못 걸었습니다", "ko"), ("12345", "zh"),
                                            ("a" * 10_000, "zh"), ("水" * 2_000, "zh"), ("\u0000\ufeff", "ko")])
def test_sentences_that_name_no_office_are_never_forwarded(router: Router, sentence: str, lang: str) -> None:
    routing = router.route(sentence, lang)  # type: ignore[arg-type]
    assert routing.verdict in (Verdict.NONE, Verdict.CONFIRM) and routing.verdict is not Verdict.FORWARD
    if sentence != "水" * 2_000:
        assert routing == Routing((), Verdict.NONE)


def test_the_routing_is_frozen_and_ranked_best_first(router: Router) -> None:
    routing = router.route("停水了，公园里也没水，还想问离婚", "zh")
    assert routing.verdict is Verdict.CHOOSE and len(routing.offered) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        routing.verdict = Verdict.NONE  # type: ignore[misc]
    assert isinstance(routing.ranking, tuple)


def test_the_router_imports_neither_flask_nor_twilio() -> None:
    code = ("import sys, ivr.core.router; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'twilio', 'sqlalchemy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_very_long_transcript_is_cut_and_stays_fast(router: Router) -> None:
    long = "我想办离婚" + "今天天气怎么样，" * 5_000 + "家里停水了"
    started = time.perf_counter()
    routing = router.route(long, "zh")
    assert time.perf_counter() - started < 0.05
    assert routing.offered == ("marriage_station",)  # the water office, named after 40,000 characters, is cut off


def test_one_router_serves_many_threads_alike(router: Router) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sentences = [("我想办离婚", "zh"), ("停水了，公园里也没水", "zh"), ("이혼하려고 합니다", "ko"), ("你好", "zh"),
                 ("知来水不来了", "zh")] * 40
    alone = [router.route(s, lang) for s, lang in sentences]  # type: ignore[arg-type]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda item: router.route(item[0], item[1]), sentences))
    assert together == alone
    assert [r.verdict for r in alone[:5]] == [Verdict.FORWARD, Verdict.CHOOSE, Verdict.FORWARD, Verdict.NONE,
                                              Verdict.CONFIRM]
