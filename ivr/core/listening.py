"""What the menus listen for besides keys: the recogniser's settings and hints per language, and the short spoken
answers ("是", "아니요", "第二个") to a confirmation."""

from __future__ import annotations

import re
import unicodedata

from ivr.core.decision import MAX_NODE_LENGTH, OFFERED_SEPARATOR, Listen, Node, NodeKind
from ivr.core.model import LANGS, Hotline, Lang

# The provider's limits on hints: at most 500 phrases of at most 100 characters each.
MAX_HINTS = 500
MAX_HINT_CHARS = 100

YES, NO = "yes", "no"
# Whole answers to "is it this office?", compared once punctuation and spaces are gone.
_ANSWERS: dict[str, frozenset[str]] = {
    YES: frozenset({"是", "对", "是的", "对的", "是啊", "对啊", "对对", "对对对", "是是", "没错", "好", "好的", "嗯",
                    "네", "예", "맞습니다", "맞아요", "맞아", "네네", "예예", "그렇습니다", "네맞습니다",
                    "예맞습니다"}),
    NO: frozenset({"不是", "不对", "不", "不要", "不是的", "都不是", "错了", "아니", "아니요", "아니오", "아닙니다",
                   "아니에요", "아니예요", "틀립니다", "아니요아닙니다"}),
}
# A key said as a word: "2", "二", "第二个", "2号", "이", "2번", "둘", "두번째".
_SPOKEN_KEYS: dict[str, frozenset[str]] = {
    "1": frozenset({"一", "幺", "第一", "第一个", "일", "일번", "하나", "첫번째"}),
    "2": frozenset({"二", "两", "第二", "第二个", "이번", "둘", "두번째"}),
    "3": frozenset({"三", "第三", "第三个", "삼", "삼번", "셋", "세번째"}),
}
_NUMBERED = re.compile(r"^([1-3])(?:号|个|번)?$")


def spoken_answer(sentence: str, lang: Lang) -> str | None:
    """Read a short answer: YES, NO, or a key "1"-"3" said as a word; None when the sentence is something else."""
    import zhconv

    text = unicodedata.normalize("NFKC", sentence[:40]).casefold()
    if lang == "zh":
        text = zhconv.convert(text, "zh-cn")
    text = "".join(ch for ch in text if ch.isalnum())
    for answer, words in _ANSWERS.items():
        if text in words:
            return answer
    numbered = _NUMBERED.match(text)
    if numbered:
        return numbered.group(1)
    return next((key for key, words in _SPOKEN_KEYS.items() if text in words), None)


def answer_key(answer: str, offered: int) -> str:
    """Return the key a spoken answer stands for: yes is 1 and no is 2 for one office; with several, only a number."""
    if offered == 1:
        return {YES: "1", NO: "2", "1": "1", "2": "2"}.get(answer, "invalid")
    return answer if answer.isdigit() else "invalid"  # a yes or no says nothing when offices are to be picked


def fitting(offered: tuple[str, ...]) -> tuple[str, ...]:
    """Return the offered offices (best first) that fit in a confirmation node of at most MAX_NODE_LENGTH."""
    kept: list[str] = []
    for unit_id in offered:
        if len(str(Node(NodeKind.CONFIRM, OFFERED_SEPARATOR.join([*kept, unit_id])))) > MAX_NODE_LENGTH:
            break
        kept.append(unit_id)
    return tuple(kept)


def listening(hotline: Hotline) -> dict[Lang, Listen]:
    """Return how each language is listened to at the menus, with its hints; empty when the hotline takes keys only."""
    speech = hotline.speech
    if speech is None:
        return {}
    return {lang: Listen(speech.recognisers[lang].language, speech.recognisers[lang].model,
                         ",".join(speech_hints(hotline, lang)), speech.timeout)
            for lang in LANGS if lang in speech.recognisers}


def speech_hints(hotline: Hotline, lang: Lang) -> tuple[str, ...]:
    """The phrases the recogniser should expect in a language: the answers to a confirmation, then the offices'
    names and keywords, each without commas, at most MAX_HINT_CHARS long, at most MAX_HINTS of them."""
    hangul = lang == "ko"
    answers = sorted(w for words in _ANSWERS.values() for w in words if _is_hangul(w) == hangul)
    phrases = [*answers]
    for unit in hotline.units.values():
        phrases.extend(re.split(r"[（）()、,，]", unit.name(lang)))  # 社会救助科（儿童福利科）: each name apart
        phrases.extend(k for k in unit.keywords if _is_hangul(k) == hangul)
    hints: dict[str, None] = {}
    for phrase in phrases:
        cleaned = " ".join(phrase.split())[:MAX_HINT_CHARS].strip()
        if cleaned:
            hints.setdefault(cleaned)
    return tuple(hints)[:MAX_HINTS]


def _is_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)
