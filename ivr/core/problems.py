"""Problems found in the menus: where (file, line, the line's own text), and which catalogued message says what
is wrong and what to write, with its parameters; said in Chinese, Korean or English (ivr.core.wording)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ivr.core.wording import CATALOGUE, Advice, Lang, Param, say, sentence

Severity = Literal["error", "warning"]
# The label a problem starts with, by language: (error, warning).
LABELS: dict[Lang, tuple[str, str]] = {"zh": ("错误", "提醒"), "ko": ("오류", "주의"), "en": ("error", "warning")}
_END = (".", "?", "!")
MAX_QUOTED = 120  # characters of the offending line quoted beside a problem


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in the menus, located for the person who edits them.

    `wording` names the message in the catalogue; `fix_wording`, when given, names another entry whose
    advice replaces the message's own (a "did you mean" shared by many messages).
    """

    file: str
    line: int | None
    key_path: str
    wording: str
    params: tuple[tuple[str, Param], ...] = ()
    severity: Severity = "error"
    quoted: str = ""  # the offending line as written, so staff find it without line numbers
    fix_wording: str = ""

    def __post_init__(self) -> None:
        for wording_id in (self.wording, self.fix_wording):
            if wording_id and wording_id not in CATALOGUE:
                raise KeyError(f"'{wording_id}' is not in ivr.core.wording's catalogue; add it there with its zh, "
                               "ko and en words")

    @classmethod
    def of(cls, file: str, line: int | None, key_path: str, wording: str, *, severity: Severity = "error",
           quoted: str = "", advice: Advice | None = None, params: Mapping[str, Param] | None = None,
           **named: Param) -> Problem:
        """Make a problem from a catalogue id and its parameters (given by name, or as a mapping); `advice`
        replaces the message's own advice with a shared one."""
        given = {**(params or {}), **named, **dict(advice.params if advice else ())}
        return cls(file, line, key_path, wording, tuple(sorted(given.items())), severity, _shortened(quoted.strip()),
                   advice.wording if advice else "")

    def what(self, lang: Lang) -> str:
        """Say what is wrong, in a language."""
        return say(self.wording, lang, dict(self.params))

    def fix(self, lang: Lang) -> str:
        """Say what to write instead, in a language (empty when the message has no advice)."""
        return say(self.fix_wording or self.wording, lang, dict(self.params), "fix")

    @property
    def message(self) -> str:
        """What is wrong, in English (for operators and logs)."""
        return self.what("en")

    @property
    def hint(self) -> str:
        """What to write instead, in English."""
        return self.fix("en")

    def where(self, lang: Lang) -> str:
        """Say where the problem is: the file, the line number and the line as written."""
        if lang == "en":
            return f"{self.file}:{self.line}" if self.line else self.file
        place = self.file
        if self.line:
            place += f" 第{self.line}行" if lang == "zh" else f" {self.line}행"
        elif self.key_path:  # no line to point at (a section missing from the whole file): name the section
            place += f"（{self.key_path}）" if lang == "zh" else f" ({self.key_path})"
        if self.quoted:
            place += f"「{self.quoted}」" if lang == "zh" else f" 「{self.quoted}」"
        return place

    def label(self, lang: Lang) -> str:
        """Return the word that says whether this is an error or a warning, in a language."""
        error, warning = LABELS[lang]
        return error if self.severity == "error" else warning

    def said(self, lang: Lang) -> str:
        """Say what is wrong and what to write, in a language, without the place."""
        return sentence(self.wording, lang, dict(self.params), self.fix_wording)

    def render(self, lang: Lang) -> str:
        """Say the whole problem in one line of a language: where, what is wrong, what to write."""
        if lang == "en":
            return str(self)
        said = self.said(lang)
        if lang == "zh":
            return f"【{self.label(lang)}】{self.where(lang)}：{said}"
        return f"[{self.label(lang)}] {self.where(lang)}: {said}"

    def __str__(self) -> str:
        where = self.where("en")
        path = f" {self.key_path}:" if self.key_path else ""
        text = f"{where}{path} {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        if not text.endswith(_END):
            text += "."
        return text if self.severity == "error" else f"warning: {text}"


def _shortened(line: str) -> str:
    """Quote a line whole when it is of a readable length, else its start: enough to find it."""
    return line if len(line) <= MAX_QUOTED else line[:MAX_QUOTED] + "…"


def quote_line(lines: tuple[str, ...], line: int | None) -> str:
    """Return a file's line as written, to quote beside a problem (empty when there is no such line)."""
    return _shortened(lines[line - 1].strip()) if line and 0 < line <= len(lines) else ""


class MenuError(Exception):
    """The menus cannot be loaded; carries every error found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in self.problems))
