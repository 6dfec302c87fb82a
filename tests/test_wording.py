"""The catalogue of check messages: every message in Chinese, Korean and English alike, and every check in the
code says its problem through the catalogue, never in free English text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ivr.core.problems import Problem
from ivr.core.wording import CATALOGUE, TERMS, placeholders, say

PACKAGE = Path(__file__).resolve().parent.parent / "ivr"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
HAN = re.compile(r"[\u4e00-\u9fff]")
# The calls that name a catalogue entry, and the position of the id among their arguments.
NAMING_CALLS = {"report": 1, "of": 3, "advice": 0, "_wrong": 0, "_explained": 1}


def _english_names(names: set[str]) -> set[str]:
    """English may say `name` as `name_en` (with its noun's plural), or add `_en` names for grammar alone."""
    return {name.removesuffix("_en") for name in names}


@pytest.mark.parametrize("wording", CATALOGUE.values(), ids=list(CATALOGUE))
def test_every_message_exists_in_all_three_languages_with_the_same_placeholders(wording: object) -> None:
    entry = CATALOGUE[wording.id]  # type: ignore[attr-defined]
    for part in ("what", "fix"):
        zh, ko, en = (getattr(entry.phrase(lang), part) for lang in ("zh", "ko", "en"))
        assert bool(zh) == bool(ko) == bool(en), (entry.id, part, zh, ko, en)  # no part in one language only
        if zh:
            assert HAN.search(zh), (entry.id, zh)  # Chinese words, not a copy of the English
            assert HANGUL.search(ko), (entry.id, ko)  # Korean words
    # A value may be said in the problem or in the advice, as each language puts it best.
    zh, ko, en = (placeholders(entry.phrase(lang).what) | placeholders(entry.phrase(lang).fix)
                  for lang in ("zh", "ko", "en"))
    assert zh == ko, entry.id
    assert zh <= _english_names(en), entry.id  # every value is said in English too
    assert {name for name in en if not name.endswith("_en")} <= zh, entry.id


def test_no_staff_message_uses_the_checkers_jargon() -> None:
    jargon = ("ASCII", "mapping", "key path", "YAML 需要", "映射", "매핑")
    for entry in CATALOGUE.values():
        for lang in ("zh", "ko"):
            phrase = entry.phrase(lang)
            said = phrase.what + phrase.fix
            assert not any(word in said for word in jargon), (entry.id, lang, said)


def test_every_term_has_its_three_forms() -> None:
    for key, forms in TERMS.items():
        zh, ko, en = forms
        assert zh and ko and en and HAN.search(zh) and HANGUL.search(ko), key


def _naming_calls() -> list[tuple[str, int, ast.expr]]:
    """Every call in the package that names a message: report(path, id), Problem.of(..., id), advice(id)..."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "of" and not (isinstance(node.func, ast.Attribute) and
                                     getattr(node.func.value, "id", "") == "Problem"):
                continue
            position = NAMING_CALLS.get(name)
            if position is not None and len(node.args) > position:
                found.append((f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", position, node.args[position]))
    return found


def test_every_check_names_a_catalogue_message_not_free_english() -> None:
    calls = _naming_calls()
    assert len(calls) > 120  # loader.py, checks.py, hoursfile.py, yamlsource.py, yamlhelp.py, phoneplan.py...
    for where, _, argument in calls:
        assert not isinstance(argument, ast.JoinedStr), f"{where}: an f-string where a catalogue id belongs"
        literals = [argument] if isinstance(argument, ast.Constant) else \
            [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else []
        for literal in literals:
            assert isinstance(literal, ast.Constant) and literal.value in CATALOGUE, \
                f"{where}: {ast.unparse(literal)} is not a message of ivr/core/wording.py"


def test_no_problem_is_made_from_prose() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Problem":
                pytest.fail(f"{path}:{node.lineno}: build problems with Problem.of(..., catalogue id, params)")


def test_a_problem_refuses_a_message_that_is_not_in_the_catalogue() -> None:
    with pytest.raises(KeyError, match=r"not in ivr\.core\.wording's catalogue"):
        Problem.of("menus/units.yaml", 3, "units", "the phone is wrong")


def test_a_problem_says_where_what_and_what_to_write_in_each_language() -> None:
    problem = Problem.of("menus/schedules.yaml", 50, "schedules.marriage.hours[0]", "hours.full_width",
                         quoted='    hours: ["08：30-16：00"]', value="08：30-16：00", marks="'：'",
                         fixed="08:30-16:00")
    assert problem.render("zh") == (
        '【错误】menus/schedules.yaml 第50行「hours: ["08：30-16：00"]」：“08：30-16：00”里用了中文全角的 \'：\'。'
        '冒号要用英文半角的“:”，不要用中文全角的“：”（横线、数字也一样）：写成「"08:30-16:00"」。')
    assert problem.render("ko").startswith('[오류] menus/schedules.yaml 50행 「hours: ["08：30-16：00"]」: ')
    assert str(problem) == problem.render("en") == (
        "menus/schedules.yaml:50 schedules.marriage.hours[0]: '08：30-16：00' is written with the full-width '：' "
        'of Chinese input; write it with ASCII characters: "08:30-16:00".')
    warning = Problem.of("menus/menu.yaml", 9, "menus.main", "menus.unreached", severity="warning", menu="main")
    assert warning.render("zh").startswith("【提醒】") and warning.render("ko").startswith("[주의] ")
    assert str(warning).startswith("warning: ")


def test_a_term_is_said_in_the_language_of_its_sentence() -> None:
    from ivr.core.wording import Term
    params = {"given": Term("a_list")}
    assert say("value.not_text", "zh", params) == "这里应当写一段文字，现在是一个列表"
    assert say("value.not_text", "ko", params) == "여기에는 글을 써야 하는데 지금은 목록 입니다"
    assert say("value.not_text", "en", params) == "must be a non-empty text, not a list"


def test_a_very_long_line_is_quoted_by_its_start(menus: Path, edit: object) -> None:
    from ivr.core.loader import check_hotline
    long_name = "图们市殡葬管理所" * 40  # 320 characters: too long to say, and too long to quote whole
    edit("units.yaml", "zh: 图们市殡葬管理所", f"zh: {long_name}")  # type: ignore[operator]
    _, found = check_hotline(menus)
    [problem] = [p for p in found if p.wording == "text.too_long"]
    assert problem.quoted == f"zh: {long_name}"[:120] + "…"
    assert "有 320 个字" in problem.render("zh") and "300 个字" in problem.render("zh")


def test_a_korean_particle_takes_the_form_the_value_asks_for() -> None:
    assert say("value.not_postcode", "ko", {"value": "13310"}) == "'13310'은 여섯자리 우편번호가 아닙니다"  # 영
    assert say("value.not_postcode", "ko", {"value": "13312"}) == "'13312'는 여섯자리 우편번호가 아닙니다"  # 이
    assert say("units.not_unit", "ko", {"value": "혼인등기처"}) == "'혼인등기처'는 단위가 아닙니다"
    assert say("units.not_unit", "ko", {"value": "사회보험과"}) == "'사회보험과'는 단위가 아닙니다"
    assert say("units.not_unit", "ko", {"value": "민정국"}) == "'민정국'은 단위가 아닙니다"
    assert say("syntax.unclosed_list", "ko", {"opener": "[", "closers": "]", "fixed": "x]"}) == \
        "이 행에서 연 '['을(를) 닫지 않았습니다"  # a mark is read either way: both forms
