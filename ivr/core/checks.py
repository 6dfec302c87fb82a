"""Typed readers for one YAML document that record a located problem instead of raising."""

from __future__ import annotations

import difflib
import re
import unicodedata
from calendar import monthrange
from collections.abc import Mapping, Sequence
from datetime import date, time
from itertools import pairwise
from typing import Any

from ivr.core.model import LANGS, Period, Text
from ivr.core.phoneplan import check_chinese_number
from ivr.core.problems import Problem, Severity
from ivr.core.wording import Advice, Param, Term, advice
from ivr.core.yamlsource import KeyPath, YamlDocument, format_key_path

# Twilio reads at most 4,096 characters in one <Say>; a caller forgets long before that.
MAX_SPOKEN_CHARS = 300
PERIOD_PATTERN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class _Missing:
    """Stands for a required key that is absent, already reported, so readers stay silent about it."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class DocumentChecker:
    """Reads values out of one YAML document, collecting every problem with its file and line."""

    def __init__(self, doc: YamlDocument, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems

    def report(self, path: KeyPath, wording: str, *, severity: Severity = "error", advice: Advice | None = None,
               params: Mapping[str, Param] | None = None, **named: Param) -> None:
        """Record a problem, by its catalogue id (ivr.core.wording) and parameters, at the line where the key
        path starts, quoting that line."""
        line = self.doc.line(path)
        self.problems.append(Problem.of(self.doc.file, line, format_key_path(path), wording, severity=severity,
                                        quoted=self.doc.source_line(line), advice=advice, params=params, **named))

    def mapping(
        self, path: KeyPath, value: Any, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """Return value as a mapping after checking its keys, or None when it is not a mapping."""
        if value is MISSING:
            return None
        if path == () and not value and required:
            sections = ", ".join(f"'{key}:'" for key in required)
            self.report(path, "doc.empty_many" if len(required) > 1 else "doc.empty_one", sections=sections)
            return {key: MISSING for key in required}
        if not isinstance(value, dict):
            self.report(path, "value.not_mapping", given=_describe(value))
            return None
        known = list(required) + list(optional)
        if known:
            for key in value:
                if key not in known:
                    self.report((*path, key), "key.unknown", key=str(key), advice=_did_you_mean(str(key), known))
        for key in required:
            if key not in value:
                self.report(path, "key.missing", key=key)
        return {**{key: MISSING for key in required}, **value}

    def identifier(self, path: KeyPath, value: Any) -> bool:
        """Check that an id is lower-case letters, digits and underscores."""
        if isinstance(value, str) and IDENTIFIER.match(value):
            return True
        self.report(path, "value.bad_id", value=str(value))
        return False

    def string(self, path: KeyPath, value: Any, *, spoken: bool = False) -> str | None:
        """Return a non-empty string, or None after recording why it is not one."""
        if value is MISSING:
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            self.report(path, "value.empty_text")
            return None
        if not isinstance(value, str):
            self.report(path, "value.not_text", given=_describe(value))
            return None
        if spoken and len(value) > MAX_SPOKEN_CHARS:
            self.report(path, "text.too_long", length=len(value), limit=MAX_SPOKEN_CHARS)
        return value.strip()

    def text(self, path: KeyPath, value: Any) -> Text | None:
        """Return a caller-facing text that has both its Mandarin and its Korean form."""
        if value is MISSING:
            return None
        if isinstance(value, str):
            self.report(path, "text.one_for_both")
            return None
        given = self.mapping(path, value, optional=LANGS)
        if given is None:
            return None
        forms: dict[str, str] = {}
        for lang in LANGS:
            if lang not in given or given[lang] is None or given[lang] == "":
                self.report(path, "text.missing_lang", language=Term(f"lang_{lang}"), lang=lang)
                continue
            form = self.string((*path, lang), given[lang], spoken=True)
            if form is not None:
                forms[lang] = form
        if len(forms) != len(LANGS):
            return None
        # A voice reads each field in its own language: a Korean voice cannot read Chinese characters to a
        # caller, nor a Mandarin one Hangul. Such a slip is an error, never a warning under a "passed".
        wrong = [written for written, is_written_in in (("zh", _is_chinese), ("ko", _is_korean))
                 if not is_written_in(forms[written])]
        for written in wrong:
            self.report((*path, written), "text.zh_without_han" if written == "zh" else "text.ko_without_hangul",
                        text=forms[written])
        if wrong:
            return None
        return Text(zh=forms["zh"], ko=forms["ko"])

    def integer(self, path: KeyPath, value: Any, low: int, high: int) -> int | None:
        """Return a whole number between low and high."""
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.report(path, "value.not_whole_number", low=low, high=high, given=_describe(value))
            return None
        return value

    def string_list(self, path: KeyPath, value: Any) -> tuple[str, ...]:
        """Return a list of non-empty strings."""
        if value is MISSING:
            return ()
        if not isinstance(value, list):
            self.report(path, "value.not_list", given=_describe(value))
            return ()
        items = [self.string((*path, i), item) for i, item in enumerate(value)]
        return tuple(item for item in items if item is not None)

    def phone(self, path: KeyPath, value: Any) -> str | None:
        """Return a Chinese phone number in E.164, or None after explaining what is wrong with it."""
        if value is MISSING:
            return None
        # YAML reads an unquoted 04333623441 as an octal number: use the digits as they were written.
        written = self.doc.written(path) if isinstance(value, int) else value
        shown = written if written is not None else value
        if shown is None or (isinstance(shown, str) and not shown.strip()):
            self.report(path, "phone.empty")
            return None
        if not isinstance(written, str):
            self.report(path, "phone.invalid", number=str(shown))
            return None
        verdict = check_chinese_number(written)
        if verdict.e164 is None:
            self.report(path, verdict.wording, number=written, params=dict(verdict.params))
        return verdict.e164

    def postcode(self, path: KeyPath, value: Any) -> str | None:
        """Return a six-digit Chinese postcode, read as written even when it was not quoted."""
        if value is MISSING:
            return None
        written = self.doc.written(path) if isinstance(value, int) else value
        if isinstance(written, str) and re.fullmatch(r"\d{6}", written):
            return written
        self.report(path, "value.not_postcode", value=str(written if written is not None else value))
        return None

    def day(self, path: KeyPath, value: Any) -> date | None:
        """Return a calendar date written YYYY-MM-DD."""
        if value is MISSING:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            wording, why = _why_not_a_date(str(value))
            self.report(path, wording, value=str(value), params=why)
            return None

    def month_day(self, path: KeyPath, value: Any) -> tuple[int, int] | None:
        """Return a (month, day) pair written MM-DD."""
        if value is MISSING:
            return None
        match = re.fullmatch(r"(\d{2})-(\d{2})", str(value))
        if match:
            month, day = int(match[1]), int(match[2])
            try:
                date(2024, month, day)  # a leap year, so 02-29 is allowed
                return month, day
            except ValueError:
                pass
        self.report(path, "value.not_month_day", value=str(value))
        return None

    def clock(self, path: KeyPath, value: Any) -> time | None:
        """Return a time of day written "HH:MM", read as written even when YAML took it for a number."""
        if value is MISSING:
            return None
        # YAML 1.1 reads an unquoted 11:30 as the number 690 (sexagesimal): use what was written.
        written = self.doc.written(path) if isinstance(value, int) else value
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", written.strip()) if isinstance(written, str) else None
        moment = _clock(int(match[1]), int(match[2])) if match else None
        if moment is None:
            self.report(path, "value.not_time", value=str(written if written is not None else value))
        return moment

    def periods(self, path: KeyPath, value: Any) -> tuple[Period, ...] | None:
        """Return opening periods written "HH:MM-HH:MM", sorted and checked for overlaps."""
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.report(path, "hours.not_list", given=_describe(value))
            return None
        found: list[tuple[Period, KeyPath]] = []
        for i, item in enumerate(value):
            period = self._period((*path, i), item)
            if period is not None:
                found.append((period, (*path, i)))
        found.sort(key=lambda pair: pair[0].start)
        for (before, _), (after, after_path) in pairwise(found):
            if after.start < before.end:
                self.report(after_path, "hours.overlap", after=str(after), before=str(before))
                return None
        return _merge_adjacent([period for period, _ in found])

    def _full_width_period(self, path: KeyPath, value: str) -> None:
        ascii_form = unicodedata.normalize("NFKC", value)
        marks = " ".join(f"'{ch}'" for ch in _full_width(value))
        self.report(path, "hours.full_width", value=value, marks=marks, fixed=ascii_form)

    def _period(self, path: KeyPath, value: Any) -> Period | None:
        match = PERIOD_PATTERN.match(str(value)) if isinstance(value, str) else None
        start = end = None
        if match:
            start = _clock(int(match[1]), int(match[2]))
            end = _clock(int(match[3]), int(match[4]))
        if match and (start is None or end is None):
            wrong = f"{match[1]}:{match[2]}" if start is None else f"{match[3]}:{match[4]}"
            self.report(path, "hours.bad_clock", wrong=wrong, value=str(value))
            return None
        if (start is None or end is None) and isinstance(value, str) and _full_width(value):
            self._full_width_period(path, value)
            return None
        if start is None or end is None:
            self.report(path, "hours.not_period", value=str(value))
            return None
        if end <= start:
            self.report(path, "hours.backwards", value=str(value))
            return None
        return Period(start, end)


def _why_not_a_date(text: str) -> tuple[str, dict[str, Param]]:
    """Say what is impossible about a date written YYYY-MM-DD: the month, or the day in that month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if match is None:
        return "value.not_date", {}
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return "value.not_date_month", {"month": month}
    days = monthrange(year, month)[1]
    if day > days or day < 1:
        return "value.not_date_day", {"year": year, "month": month, "days": days,
                                      "month_en": f"{date(year, month, 1):%B}"}
    return "value.not_date", {}


def _is_chinese(text: str) -> bool:
    """Tell whether a text has Han characters, or no letters at all besides its {placeholders}."""
    letters = [ch for ch in PLACEHOLDER.sub("", text) if ch.isalpha()]
    return not letters or any(unicodedata.name(ch, "").startswith("CJK") for ch in letters)


def _is_korean(text: str) -> bool:
    """Tell whether a text has Hangul, or no letters at all besides its {placeholders} (a name, a number)."""
    letters = [ch for ch in PLACEHOLDER.sub("", text) if ch.isalpha()]
    return not letters or any("\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"
                              for ch in letters)


def _full_width(text: str) -> str:
    """Return the full-width characters of a text that has an ASCII form (：－０), typed with Chinese input on."""
    return "".join(dict.fromkeys(ch for ch in text if ord(ch) > 0x7F and unicodedata.normalize("NFKC", ch).isascii()))


def _merge_adjacent(periods: list[Period]) -> tuple[Period, ...]:
    # "08:00-12:00" and "12:00-16:00" are one opening: callers are never told the office closes at noon.
    merged: list[Period] = []
    for period in periods:
        if merged and merged[-1].end == period.start:
            merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return tuple(merged)


def _clock(hour: int, minute: int) -> time | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return time(hour, minute)
    return None


def _describe(value: Any) -> Param:
    if value is None:
        return Term("nothing")
    if isinstance(value, dict):
        return Term("a_mapping")
    if isinstance(value, list):
        return Term("a_list")
    return f"'{value}'"


def _did_you_mean(key: str, known: list[str]) -> Advice:
    """Return the advice for an unknown key: the known key it is closest to, else the keys allowed."""
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return advice("hint.did_you_mean", close=close[0])
    return advice("hint.keys_allowed", allowed=", ".join(known))
