"""The speech router: which offices a caller's spoken sentence names, ranked, and whether to forward, ask or not.

Built once per menus version from the frozen Hotline: every unit's names (both languages, whole and in parts),
keywords, the labels of the menu options that lead to it and the terms of its summary become phrases. A phrase
is matched on sounds, not characters, so that what a recogniser mishears still matches: Mandarin as tone-less
pinyin syllables with the initials and finals callers and recognisers confuse folded together (zh/z, ch/c,
sh/s, n/l, -ng/-n), Korean as jamo with the initial-sound rule (두음법칙) applied to both sides (리혼/이혼,
로임/노임). An index of syllable pairs finds the few phrases a sentence can match, so a sentence costs the same
against 20 units or 2,000.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import zhconv
from pypinyin import lazy_pinyin
from pypinyin.contrib.tone_convert import to_finals, to_initials
from rapidfuzz import fuzz

from ivr.core.model import LANGS, Hotline, Lang

# What a phrase is worth by where it comes from: a summary's term only says the office deals with it.
NAME, KEYWORD, LABEL, SUMMARY = "name", "keyword", "label", "summary"
SOURCE_WEIGHT = MappingProxyType({NAME: 1.0, KEYWORD: 1.0, LABEL: 1.0, SUMMARY: 0.8})
# A near match of a long phrase counts from this similarity on (0-1); short phrases match only whole:
# 离开 must not pass for 离婚.
FUZZY_MIN = 0.75
# Near matches need this many syllables: 事业编 must not pass for 失业金 with one of three missing.
FUZZY_SYLLABLES: MappingProxyType[str, int] = MappingProxyType({"zh": 4, "ko": 3})
ONE_INSERTED = 0.9  # a phrase of three syllables or more said with one more inside it (找个工作, 结了婚登记)
SOUND_ALIKE = 0.8  # a whole match only once zh/z, n/l, -ng/-n... are folded
LIST_MIN = 0.6  # a unit scoring less is not named by the sentence at all
FORWARD_MIN = 0.85  # an exact name or keyword (0.9), not a fuzzy one or a summary's term
MARGIN = 0.15  # units within this of the best one are as likely as it: the caller is asked
MAX_CHOICES = 3  # keys 1-3
LOW_CONFIDENCE = 0.5
# A caller's request is a sentence or two; a longer transcript (a radio in the room) is cut, so that no input
# makes a step slow: 200 characters route in well under a millisecond.
MAX_CHARS = 200
SUMMARY_MIN_SYLLABLES = 3
GENERIC_OWNERS = 3  # a phrase of more offices than this (and a quarter of them) names none

# What callers say around their request; removed before matching so they match no phrase.
ZH_FILLERS = ("喂", "那个", "这个", "嗯", "呃", "啊", "哦", "唉", "呀", "吧", "呢", "嘛", "就是", "请问",
              "我想", "我要", "一下", "您好", "你好", "麻烦", "谢谢", "好的")
KO_FILLERS = frozenset({"여보세요", "저기", "저기요", "음", "어", "아", "그", "저", "그러니까", "있잖아요", "좀",
                        "네", "예", "안녕하세요", "감사합니다", "고맙습니다", "부탁합니다"})
# Words that start a summary's clause without naming a matter: 负责养老服务 is about 养老服务.
ZH_CLAUSE_VERBS = ("负责", "办理", "提供", "管理", "开展", "接受", "指导", "规范", "核发", "组织", "协调", "为",
                   "并", "以及", "承担")
ZH_CLAUSE_BREAKS = re.compile(r"以及|[，。、；：,.;:和及与并的]")
# Korean particles that end a summary's word: 림시구조의 신청 is about 림시구조.
KO_PARTICLES = frozenset("의와과을를은는이가에도로")
KO_CLAUSE_BREAKS = re.compile(r"[\s,.;:·]+")

# Medials before which the initial-sound rule turns ㄹ and ㄴ into ㅇ (리, 려, 료, 류, 례, 랴; 니, 녀...).
_I_LIKE_MEDIALS = frozenset("\u1175\u1163\u1167\u116d\u1172\u1168")
_RIEUL, _NIEUN, _IEUNG = "\u1105", "\u1102", "\u110b"


class Verdict(StrEnum):
    """What the hotline does with a sentence."""

    FORWARD = "forward"  # one office clearly meant: forward at once
    CONFIRM = "confirm"  # one office, to be confirmed by the caller
    CHOOSE = "choose"  # two or three offices offered on keys 1-3
    NONE = "none"  # the sentence names no office


@dataclass(frozen=True)
class Routing:
    """The offices a sentence names, best first with their scores (0-1), and the verdict."""

    ranking: tuple[tuple[str, float], ...]
    verdict: Verdict

    @property
    def offered(self) -> tuple[str, ...]:
        """The unit ids the caller is forwarded to, asked to confirm, or offered on keys 1-3."""
        if self.verdict is Verdict.NONE:
            return ()
        if self.verdict is not Verdict.CHOOSE:
            return (self.ranking[0][0],)
        best = self.ranking[0][1]
        return tuple(unit_id for unit_id, score in self.ranking if score >= best - MARGIN)[:MAX_CHOICES]


@dataclass(frozen=True)
class _Phrase:
    """One phrase in matching form, with the units it names and what it is worth to each."""

    text: str
    codes: str  # one character a folded syllable (Mandarin) or the jamo (Korean)
    sounds: str  # one character a syllable as said, unfolded (Mandarin; the same as codes in Korean)
    syllables: int
    owners: tuple[tuple[str, float], ...]  # (unit id, weight)


@dataclass(frozen=True)
class _Match:
    phrase: _Phrase
    similarity: float
    start: int
    end: int
    exact: bool


@dataclass(frozen=True)
class _Side:
    """Everything one language needs to route: its phrases and the index of syllable pairs to them."""

    lang: Lang
    phrases: tuple[_Phrase, ...]
    by_pair: MappingProxyType[str, tuple[int, ...]]


class Router:
    """Ranks the offices a spoken sentence names; build it once per menus version with from_hotline."""

    def __init__(self, sides: dict[Lang, _Side], order: dict[str, int], syllable_codes: dict[str, str]) -> None:
        self._sides = MappingProxyType(sides)
        self._order = MappingProxyType(order)  # ties go to the unit fewer keys reach, then to the menus' order
        self._codes = MappingProxyType(syllable_codes)

    @classmethod
    def from_hotline(cls, hotline: Hotline) -> Router:
        """Build the router from a validated hotline's units, menu labels and summaries."""
        owners: dict[Lang, dict[str, dict[str, float]]] = {lang: {} for lang in LANGS}
        for lang, unit_id, text, source in _phrases_of(hotline):
            weights = owners[lang].setdefault(text, {})
            weights[unit_id] = max(weights.get(unit_id, 0.0), SOURCE_WEIGHT[source])
        codes: dict[str, str] = {}
        sides = {lang: _build_side(lang, owners[lang], codes) for lang in LANGS}
        order = {unit_id: i for i, unit_id in enumerate(
            sorted(hotline.units, key=lambda u: (len(hotline.key_path(u) or "9999"), hotline.key_path(u) or "")))}
        return cls(sides, order, codes)

    def route(self, sentence: str, lang: Lang, confidence: float | None = None) -> Routing:
        """Rank the offices the sentence names and say whether to forward, confirm, offer a choice or not.

        confidence is the recogniser's (0-1): below 0.5 the call is never forwarded without asking;
        None or 0 means the provider did not say.
        """
        side = self._sides[lang]
        codes, sounds = _sentence_codes(sentence, lang, self._codes)
        matches = _kept(list(_matches(side, codes, sounds, lang)))
        ranking = self._rank(matches)
        return Routing(ranking, _verdict(ranking, confidence))

    def _rank(self, matches: list[_Match]) -> tuple[tuple[str, float], ...]:
        values: dict[str, list[tuple[float, int, int]]] = {}
        for match in matches:
            for unit_id, weight in match.phrase.owners:
                values.setdefault(unit_id, []).append((match.similarity * weight, match.start, match.end))
        scores: dict[str, float] = {}
        for unit_id, found in values.items():
            found.sort(reverse=True)
            best, start, end = found[0]
            # Another phrase of the same office elsewhere in the sentence makes it likelier (办理低保 ... 低收入家庭).
            others = {(s, e) for v, s, e in found[1:] if (e <= start or s >= end) and v >= FUZZY_MIN * 0.8}
            score = round(best * 0.9 + 0.05 * min(2, len(others)), 3)
            if score >= LIST_MIN:
                scores[unit_id] = score
        return tuple(sorted(scores.items(), key=lambda item: (-item[1], self._order.get(item[0], 0))))


def _verdict(ranking: tuple[tuple[str, float], ...], confidence: float | None) -> Verdict:
    if not ranking:
        return Verdict.NONE
    best = ranking[0][1]
    close = sum(1 for _, score in ranking if score >= best - MARGIN)
    if close > 1:
        return Verdict.CHOOSE
    low = confidence is not None and 0 < confidence < LOW_CONFIDENCE
    return Verdict.FORWARD if best >= FORWARD_MIN and not low else Verdict.CONFIRM


# Phrases -----------------------------------------------------------------------------------------------------


def _phrases_of(hotline: Hotline) -> Iterator[tuple[Lang, str, str, str]]:
    """Every phrase that names a unit: (language, unit id, phrase, source)."""
    prefixes = {lang: _place_prefix([u.name(lang) for u in hotline.units.values()]) for lang in LANGS}
    for unit in hotline.units.values():
        for lang in LANGS:
            for name in _name_parts(unit.name(lang), prefixes[lang]):
                yield lang, unit.id, name, NAME
            for term in _summary_terms(unit.summary(lang), lang):
                yield lang, unit.id, term, SUMMARY
        for keyword in unit.keywords:
            yield _script_of(keyword), unit.id, keyword, KEYWORD
    for menu in hotline.menus.values():
        for option in menu.options:
            if option.unit:
                for lang in LANGS:
                    for term in _label_terms(option.label(lang), lang):
                        yield lang, option.unit, term, LABEL


def _place_prefix(names: list[str]) -> str:
    """The city's prefix most names start with (图们市, 도문시): callers leave it out."""
    start = _most_common_start(names)
    alike = [n for n in names if len(n) > 3 and n[:2] == start]
    common = alike[0] if alike else ""
    for name in alike:
        while not name.startswith(common):
            common = common[:-1]
    return common if len(common) >= 2 and sum(n.startswith(common) for n in names) >= 2 else ""


def _most_common_start(names: list[str]) -> str:
    starts = [n[:2] for n in names]
    return max(set(starts), key=lambda s: (starts.count(s), s)) if starts else ""


def _name_parts(name: str, prefix: str) -> Iterator[str]:
    """A name whole, without the city's prefix, and each part in brackets: 社会福利科（慈善总会、安全生产科）."""
    yield name
    short = name[len(prefix):].strip() if prefix and name.startswith(prefix) else name
    yield short
    for part in re.split(r"[（）()、,，]", short):
        if part.strip():
            yield part.strip()


def _summary_terms(summary: str, lang: Lang) -> Iterator[str]:
    """The matters a summary names, one clause at a time, without the verbs that introduce them."""
    if lang == "zh":
        for clause in ZH_CLAUSE_BREAKS.split(summary):
            term = clause.strip()
            for verb in ZH_CLAUSE_VERBS:
                term = term.removeprefix(verb)
            if len(term) >= SUMMARY_MIN_SYLLABLES:
                yield term
        return
    for word in KO_CLAUSE_BREAKS.split(summary):
        if word.endswith("다"):
            continue  # a predicate (맡습니다, 처리합니다), not a matter
        term = word[:-1] if len(word) > SUMMARY_MIN_SYLLABLES and word[-1] in KO_PARTICLES else word
        if len(term) >= SUMMARY_MIN_SYLLABLES:
            yield term


def _label_terms(label: str, lang: Lang) -> Iterator[str]:
    """The matters a menu label names: 办理低保、医疗救助和临时救助 names 低保, 医疗救助 and 临时救助."""
    breaks = ZH_CLAUSE_BREAKS if lang == "zh" else re.compile(r"[,.、]+|(?<=[^\s])[와과]\s")
    for part in breaks.split(label):
        term = part.strip()
        if lang == "zh":
            for verb in ZH_CLAUSE_VERBS:
                term = term.removeprefix(verb)
        if len(term.replace(" ", "")) >= 2:
            yield term


def _script_of(text: str) -> Lang:
    return "ko" if any("가" <= ch <= "힣" for ch in text) else "zh"


def _build_side(lang: Lang, owners: dict[str, dict[str, float]], codes: dict[str, str]) -> _Side:
    by_form: dict[tuple[str, str], dict[str, float]] = {}
    texts: dict[tuple[str, str], str] = {}
    units = len({unit_id for weights in owners.values() for unit_id in weights})
    for text, weights in owners.items():
        if len(weights) > max(GENERIC_OWNERS, units // 4):
            continue  # a phrase many offices share names none of them (业务, 服务中心)
        form = _phrase_codes(text, lang, codes)
        if len(_syllables(form[0], lang)) < 2:
            continue  # one syllable says nothing on its own (科, 과)
        merged = by_form.setdefault(form, {})
        texts.setdefault(form, text)
        for unit_id, weight in weights.items():
            merged[unit_id] = max(merged.get(unit_id, 0.0), weight)
    phrases = tuple(_Phrase(texts[form], form[0], form[1], len(_syllables(form[0], lang)), tuple(sorted(w.items())))
                    for form, w in by_form.items())
    index: dict[str, list[int]] = {}
    for i, phrase in enumerate(phrases):
        for pair in set(_pairs(phrase.codes, lang)):
            index.setdefault(pair, []).append(i)
    return _Side(lang, phrases, MappingProxyType({pair: tuple(ids) for pair, ids in index.items()}))


# Matching ----------------------------------------------------------------------------------------------------


def _matches(side: _Side, codes: str, sounds: str, lang: Lang) -> Iterator[_Match]:
    """The phrases the sentence matches, whole or (long ones) nearly, with where in the sentence.

    A whole match that holds only once the sounds are folded (中级 for 总机, 结婚镇 for 结婚证) counts less than
    one said alike (抵保 for 低保): enough to confirm, not to forward on its own.
    """
    candidates: set[int] = set()
    for pair in _pairs(codes, lang):
        candidates.update(side.by_pair.get(pair, ()))
    for i in candidates:
        phrase = side.phrases[i]
        at = codes.find(phrase.codes)
        if at >= 0:
            alike = sounds[at:at + len(phrase.sounds)] == phrase.sounds
            yield _Match(phrase, 1.0 if alike else SOUND_ALIKE, at, at + len(phrase.codes), True)
            continue
        if lang == "zh" and phrase.syllables >= 3:
            at = _found_with_one_inserted(phrase.codes, codes)
            if at >= 0:
                yield _Match(phrase, ONE_INSERTED, at, at + len(phrase.codes) + 1, False)
                continue
        if phrase.syllables < FUZZY_SYLLABLES[lang]:
            continue
        if len(phrase.codes) <= len(codes):
            aligned = fuzz.partial_ratio_alignment(phrase.codes, codes, score_cutoff=FUZZY_MIN * 100)
            if aligned is not None:
                yield _Match(phrase, aligned.score / 100, aligned.dest_start, aligned.dest_end, False)
        else:
            # The sentence is shorter than the phrase: 社会救助中心 for 社会救助管理中心.
            score = fuzz.ratio(phrase.codes, codes) / 100
            if score >= FUZZY_MIN:
                yield _Match(phrase, score, 0, len(codes), False)


def _found_with_one_inserted(phrase: str, codes: str) -> int:
    """Where the phrase is said with one syllable put inside it (找个工作 for 找工作), or -1."""
    at = codes.find(phrase[0])
    while 0 <= at <= len(codes) - len(phrase) - 1:
        window = codes[at:at + len(phrase) + 1]
        if any(window[:k] + window[k + 1:] == phrase for k in range(1, len(phrase))):
            return at
        at = codes.find(phrase[0], at + 1)
    return -1


def _kept(matches: list[_Match]) -> list[_Match]:
    """Drop a match that lies inside a longer exact match: 养老 within 养老保险, 工资 within 拖欠工资."""
    exact = [m for m in matches if m.exact]
    return [m for m in matches
            if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in exact)]


def _pairs(codes: str, lang: Lang) -> Iterator[str]:
    syllables = _syllables(codes, lang)
    for i in range(len(syllables) - 1):
        yield syllables[i] + syllables[i + 1]


def _syllables(codes: str, lang: Lang) -> list[str]:
    """Split matching form into syllables: one character each in Mandarin, a jamo group each in Korean."""
    if lang == "zh":
        return list(codes)
    syllables: list[str] = []
    for ch in codes:
        if "\u1100" <= ch <= "\u1112" or not syllables or not _is_jamo(syllables[-1][-1]) or not _is_jamo(ch):
            syllables.append(ch)
        else:
            syllables[-1] += ch
    return syllables


def _is_jamo(ch: str) -> bool:
    return "\u1100" <= ch <= "\u11ff"


# Normalising -------------------------------------------------------------------------------------------------


def normalise(sentence: str, lang: Lang) -> str:
    """Return the sentence as matched: NFKC (full-width to half-width), lower case, simplified characters,
    no punctuation and no fillers, words separated by single spaces."""
    text = unicodedata.normalize("NFKC", sentence[:MAX_CHARS]).casefold()
    if lang == "zh":
        text = zhconv.convert(text, "zh-cn")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    if lang == "zh":
        for filler in ZH_FILLERS:
            text = text.replace(filler, " ")
    else:
        text = " ".join(word for word in text.split() if word not in KO_FILLERS)
    return " ".join(text.split())


def _sentence_codes(sentence: str, lang: Lang, codes: MappingProxyType[str, str]) -> tuple[str, str]:
    """The sentence in matching form: (folded, as said), one character a syllable in Mandarin; jamo in Korean."""
    text = normalise(sentence, lang)
    if lang == "ko":
        jamo = _korean(text)
        return jamo, jamo
    said = _pinyin(text)
    return ("".join(codes.get(_fold(s), _UNKNOWN) for s in said),
            "".join(codes.get(_SAID + s, _UNKNOWN) for s in said))


def _phrase_codes(text: str, lang: Lang, codes: dict[str, str]) -> tuple[str, str]:
    """A phrase in matching form; a Mandarin syllable met for the first time gets its own character."""
    if lang == "ko":
        jamo = _korean(normalise(text, "ko"))
        return jamo, jamo
    # Phrases keep their fillers: 就业 must stay whole even though 就是 is one.
    text = zhconv.convert(unicodedata.normalize("NFKC", text).casefold(), "zh-cn")
    said = _pinyin(" ".join("".join(ch if ch.isalnum() else " " for ch in text).split()))
    return "".join(_code(_fold(s), codes) for s in said), "".join(_code(_SAID + s, codes) for s in said)


def _code(key: str, codes: dict[str, str]) -> str:
    if key not in codes:
        codes[key] = chr(_CODE_BASE + len(codes))
    return codes[key]


_CODE_BASE = 0xF0000  # the supplementary private use area: room for every syllable and every number
_UNKNOWN = "\uFFFD"  # a syllable no phrase has
_SAID = "="  # marks a syllable as said (unfolded) among the codes' keys


def _pinyin(text: str) -> list[str]:
    """Tone-less pinyin syllables, read in context by pypinyin's phrase dictionary."""
    out: list[str] = []
    # Characters with no pinyin come back in runs ("12", "bb 12"): a number or a Latin word is one syllable.
    for token in lazy_pinyin(text, errors="default"):
        out.extend(token.split())
    return out


@lru_cache(maxsize=4096)
def _fold(syllable: str) -> str:
    """Fold the sounds recognisers and callers confuse: zh/z, ch/c, sh/s, n/l and -ng/-n (not -ong)."""
    if not syllable.isascii() or not syllable.isalpha():
        return syllable
    initial = to_initials(syllable, strict=False)
    final = to_finals(syllable, strict=False)
    if initial + final != syllable:
        return syllable
    initial = {"zh": "z", "ch": "c", "sh": "s", "l": "n"}.get(initial, initial)
    if final.endswith("ng") and not final.endswith("ong"):
        final = final[:-1]
    return initial + final


def _korean(text: str) -> str:
    """Hangul as jamo with the initial-sound rule on every syllable, spaces dropped.

    The rule is applied at every syllable, not only a word's first: compounds are written together (최저로임,
    로동쟁의), and applying it on both sides alike can only join spellings, never split them.
    """
    out: list[str] = []
    for ch in text.replace(" ", ""):
        jamo = unicodedata.normalize("NFD", ch)
        if len(jamo) >= 2 and jamo[0] in (_RIEUL, _NIEUN) and _is_jamo(jamo[0]):
            if jamo[1] in _I_LIKE_MEDIALS:
                jamo = _IEUNG + jamo[1:]
            elif jamo[0] == _RIEUL:
                jamo = _NIEUN + jamo[1:]
        out.append(jamo)
    return "".join(out)

