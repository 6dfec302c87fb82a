"""The hotline as frozen objects: units, schedules, menus, prompts and calendar entries."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

from ivr.core.problems import Problem

Lang = Literal["zh", "ko"]
LANGS: tuple[Lang, ...] = ("zh", "ko")

# Keys that mean the same at every menu level; a menu may not use them for options.
OPERATOR_KEY = "0"
BACK_KEY = "*"
REPEAT_KEY = "#"
RESERVED_KEYS = frozenset({OPERATOR_KEY, BACK_KEY, REPEAT_KEY})


@dataclass(frozen=True)
class Text:
    """A caller-facing text in Mandarin and Korean."""

    zh: str
    ko: str

    def __call__(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.ko


@dataclass(frozen=True)
class Period:
    """One opening period of a day; start inclusive, end exclusive."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Season:
    """A named range of month-days, e.g. summer from 05-01 to 09-30 inclusive."""

    id: str
    name: Text
    first: tuple[int, int]
    last: tuple[int, int]

    def contains(self, day: date) -> bool:
        """Tell whether the day falls in this season (ranges may wrap over the new year)."""
        md = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= md <= self.last
        return md >= self.first or md <= self.last


@dataclass(frozen=True)
class WeekHours:
    """A week's opening periods by weekday (0 = Monday); a weekday not in it is a day off."""

    days: Mapping[int, tuple[Period, ...]]

    @property
    def weekdays(self) -> frozenset[int]:
        """The usual working days of the week."""
        return frozenset(self.days)

    def on(self, weekday: int) -> tuple[Period, ...]:
        """Return the periods of a working day on that weekday.

        A make-up working day or an extra opening on a day off keeps the hours of the first working weekday.
        """
        if weekday in self.days:
            return self.days[weekday]
        return self.days[min(self.days)] if self.days else ()


@dataclass(frozen=True)
class Hours:
    """One version of a schedule: its week in each season, in force from a day on (None: from the start)."""

    since: date | None
    seasons: Mapping[str, WeekHours]  # season id -> the week


@dataclass(frozen=True)
class Schedule:
    """Opening hours by season and weekday, possibly changing from a date on."""

    id: str
    name: Text
    versions: tuple[Hours, ...]  # the first has no date, the others in date order

    def hours_on(self, day: date) -> Hours:
        """Return the version of the hours in force on a day."""
        return next(v for v in reversed(self.versions) if v.since is None or v.since <= day)

    def week(self, day: date, season_id: str) -> WeekHours:
        """Return the week in force on a day, in the season that day belongs to."""
        return self.hours_on(day).seasons[season_id]

    def next_change(self, day: date) -> Hours | None:
        """Return the first version that comes into force after the day, if any."""
        return next((v for v in self.versions if v.since is not None and v.since > day), None)


@dataclass(frozen=True)
class Unit:
    """An office callers can reach: the bureau, a department or a sub-agency."""

    id: str
    kind: str
    name: Text
    phone: str | None  # E.164, or None when reached through the main line
    address: Text
    postcode: str
    head: str | None
    schedule: Schedule
    summary: Text
    keywords: tuple[str, ...]
    parent: str | None


@dataclass(frozen=True)
class Option:
    """One key of a menu, leading to a submenu or a unit."""

    key: str
    label: Text
    menu: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Menu:
    """A menu level: its options by key, and an optional introduction."""

    id: str
    title: Text
    intro: Text | None
    options: tuple[Option, ...]
    parent: str | None

    def option(self, key: str) -> Option | None:
        """Return the option bound to a key, if any."""
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Prompt:
    """A fixed thing the hotline says, with optional recordings per language."""

    id: str
    text: Text
    audio: Mapping[str, str]  # lang -> path relative to the audio folder


@dataclass(frozen=True)
class Voice:
    """How one language is offered and spoken."""

    lang: Lang
    key: str
    name: str
    voice: str
    language_tag: str


@dataclass(frozen=True)
class CalendarEntry:
    """A staff-entered or State Council day range: open (make-up day, extra opening, special hours) or closed."""

    first: date
    last: date
    open: bool
    name: Text
    units: frozenset[str] | None  # None: the whole bureau
    source: Literal["state_council", "staff"]
    hours: tuple[Period, ...] | None = None  # a special day's own hours
    closes: time | None = None  # a special day on which every unit closes early, e.g. at 11:30

    def covers(self, day: date, unit_id: str) -> bool:
        """Tell whether this entry applies to the unit on that day."""
        return self.first <= day <= self.last and (self.units is None or unit_id in self.units)


@dataclass(frozen=True)
class CalendarData:
    """The editable calendar: State Council notices for years the official data lacks, and staff overrides."""

    state_council_years: frozenset[int]
    entries: tuple[CalendarEntry, ...]
    holiday_names: Mapping[str, Text]


@dataclass(frozen=True)
class Settings:
    """Call-handling numbers staff may tune."""

    timezone: str
    gather_timeout: int
    tries: int
    dial_timeout: int
    voicemail_max_seconds: int


# The provider's speech models this hotline may use, by family, and the code each family gives the languages
# (Twilio: Google models take cmn-Hans-CN and ko-KR, Deepgram's zh-CN and ko; phone_call has neither).
SPEECH_MODELS: Mapping[str, str] = {
    "googlev2_telephony": "google", "googlev2_telephony_short": "google", "googlev2_short": "google",
    "googlev2_long": "google", "deepgram_nova-2": "deepgram", "deepgram_nova-3": "deepgram",
}
SPEECH_LANGUAGES: Mapping[str, Mapping[str, str]] = {
    "google": {"zh": "cmn-Hans-CN", "ko": "ko-KR"},
    "deepgram": {"zh": "zh-CN", "ko": "ko"},
}
# Seconds of silence after which the recogniser takes the sentence as finished (a whole number on a phone line).
SPEECH_TIMEOUTS = (1, 5)


@dataclass(frozen=True)
class Recogniser:
    """How one language is listened to: the provider's speech model and that model's code for the language."""

    model: str
    language: str


@dataclass(frozen=True)
class SpeechSettings:
    """Speech at the menus: the recogniser per language and the seconds of silence that end a sentence."""

    timeout: int
    recognisers: Mapping[str, Recogniser]  # lang -> recogniser


@dataclass(frozen=True)
class Hotline:
    """The whole validated hotline, ready for the call flow."""

    name: Text
    settings: Settings
    languages: tuple[Voice, ...]
    operator_id: str
    units: Mapping[str, Unit]
    seasons: tuple[Season, ...]
    schedules: Mapping[str, Schedule]
    menus: Mapping[str, Menu]
    main_menu: str
    prompts: Mapping[str, Prompt]
    calendar: CalendarData
    audio_dir: str
    source_dir: str  # the menus folder as the person who loaded it wrote it, for messages
    calendar_line: int | None = None  # where state_council starts in calendar.yaml, for warnings
    warnings: tuple[Problem, ...] = field(default=())
    speech: SpeechSettings | None = None  # None: the menus wait for keys only

    @property
    def operator(self) -> Unit:
        """The unit whose line answers key 0: the bureau's main line."""
        return self.units[self.operator_id]

    def voice(self, lang: Lang) -> Voice:
        """Return how the given language is spoken."""
        return next(v for v in self.languages if v.lang == lang)

    def line_of(self, unit: Unit) -> str:
        """Return the E.164 number that reaches a unit: its own line, else the main line."""
        return unit.phone or self.operator.phone or ""

    def season_of(self, day: date) -> Season:
        """Return the season a day belongs to (the loader guarantees exactly one)."""
        return next(s for s in self.seasons if s.contains(day))

    def prompt(self, prompt_id: str, lang: Lang) -> str:
        """Return a prompt's text in a language."""
        return self.prompts[prompt_id].text(lang)

    def key_path(self, unit_id: str) -> str | None:
        """Return the fewest keys after the language choice that reach a unit ("0" for the operator)."""
        if unit_id == self.operator_id:
            return OPERATOR_KEY
        unit_paths, _ = key_paths(self.menus, self.main_menu)
        return unit_paths.get(unit_id)

    def resolve_unit(self, given: str) -> Unit:
        """Return the unit named by its id or its name in either language (whole, or without the city's prefix)."""
        wanted = " ".join(given.split()).casefold()
        if wanted in self.units:
            return self.units[wanted]
        names = self._unit_names()
        matches = {unit.id: unit for name, unit in names if name.casefold() == wanted}
        if not matches:
            # Staff say 婚姻登记处 for 图们市民政局婚姻登记处: a name may be given without the city's prefix.
            matches = {unit.id: unit for name, unit in names
                       if name != unit.id and wanted and name.casefold().endswith(wanted)}
        if len(matches) == 1:
            return next(iter(matches.values()))
        if matches:
            listed = ", ".join(f"{u.id} ({u.name.zh})" for u in matches.values())
            raise UnknownUnit(f"'{given}' names several units: {listed}; give one of these ids.")
        close = difflib.get_close_matches(wanted, [name.casefold() for name, _ in names], n=1, cutoff=0.6)
        if close:
            unit = next(unit for name, unit in names if name.casefold() == close[0])
            raise UnknownUnit(f"'{given}' is not a unit; did you mean {unit.id} ({unit.name.zh}, {unit.name.ko})?")
        raise UnknownUnit(f"'{given}' is not a unit; `ivr tree` lists their names and `ivr find WORD` finds one.")

    def _unit_names(self) -> list[tuple[str, Unit]]:
        """Every way a unit may be named: its id and its names in both languages."""
        return [(name, unit) for unit in self.units.values() for name in (unit.id, unit.name.zh, unit.name.ko)]

    def find_units(self, words: str) -> list[Unit]:
        """Return the units whose name, keywords or summary mention every given word, in either language."""
        wanted = [w.casefold() for w in words.split()]
        found = []
        for unit in self.units.values():
            haystack = " ".join([unit.id, unit.name.zh, unit.name.ko, unit.summary.zh, unit.summary.ko,
                                 *unit.keywords]).casefold()
            if wanted and all(w in haystack for w in wanted):
                found.append(unit)
        return found


class UnknownUnit(ValueError):
    """A unit id or name that matches no unit, or several; the message says which were meant."""


def key_paths(menus: Mapping[str, Menu], main: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return the shortest keys from the main menu to each unit and to each menu, found breadth first."""
    menu_paths = {main: ""}
    unit_paths: dict[str, str] = {}
    queue = [main]
    while queue:
        menu_id = queue.pop(0)
        for option in menus[menu_id].options:
            path = menu_paths[menu_id] + option.key
            if option.menu and option.menu not in menu_paths:
                menu_paths[option.menu] = path
                queue.append(option.menu)
            if option.unit:
                unit_paths.setdefault(option.unit, path)
    return unit_paths, menu_paths


# Every prompt the call flow says, with the {placeholders} it fills in.
PROMPT_FIELDS: Mapping[str, frozenset[str]] = {
    "greeting": frozenset(),
    "language_choice": frozenset(),
    "menu_option": frozenset({"label", "key"}),
    "menu_keys": frozenset(),
    "no_input": frozenset(),
    "invalid_key": frozenset(),
    "goodbye": frozenset(),
    "call_back_later": frozenset(),
    "connecting": frozenset({"unit"}),
    "connecting_via_main_line": frozenset({"unit"}),
    "connecting_operator": frozenset(),
    "closed": frozenset({"unit", "reason"}),
    "next_open": frozenset({"when"}),
    "closed_options": frozenset(),
    "reason_weekend": frozenset(),
    "reason_holiday": frozenset({"holiday"}),
    "reason_lunch": frozenset(),
    "reason_before_opening": frozenset(),
    "reason_after_closing": frozenset(),
    "reason_closure": frozenset({"name"}),
    "info": frozenset({"unit", "phone", "address", "postcode", "hours", "summary"}),
    "info_options": frozenset(),
    "dial_busy": frozenset(),
    "dial_no_answer": frozenset(),
    "dial_failed": frozenset(),
    "dial_canceled": frozenset(),
    "after_dial_options": frozenset(),
    "voicemail_instructions": frozenset(),
    "voicemail_thanks": frozenset(),
    "voicemail_empty": frozenset(),
    "error_apology": frozenset(),
    "speech_invitation": frozenset(),
    "speech_confirm": frozenset({"unit"}),
    "speech_choose": frozenset(),
    "speech_not_understood": frozenset(),
    "speech_use_keys": frozenset(),
    "speech_declined": frozenset(),
}
