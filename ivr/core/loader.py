"""Loads the menus folder into a validated, frozen Hotline, or reports every problem found."""

from __future__ import annotations

import logging
import os
import string
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ivr.core.calendarfile import read_calendar
from ivr.core.checks import DocumentChecker
from ivr.core.hoursfile import ScheduleReader
from ivr.core.korean import PARTICLES
from ivr.core.model import (
    LANGS,
    PROMPT_FIELDS,
    CalendarData,
    Hotline,
    Menu,
    Prompt,
    Schedule,
    Season,
    Settings,
    SpeechSettings,
    Text,
    Unit,
    Voice,
    key_paths,
)
from ivr.core.problems import MenuError, Problem
from ivr.core.schema import (
    CALLS,
    HOTLINE_FILE,
    MENU,
    MENU_FILE,
    PROMPT,
    PROMPTS_FILE,
    SCHEDULES_FILE,
    SEASON,
    SPEECH,
    UNIT,
    UNITS_FILE,
    known_advice,
)
from ivr.core.speech import menu_seconds
from ivr.core.walker import Walk
from ivr.core.wording import Param, Term
from ivr.core.yamlsource import KeyPath, YamlDocument, read_yaml

FILES = ("hotline.yaml", "schedules.yaml", "units.yaml", "menu.yaml", "prompts.yaml", "calendar.yaml")
MAX_PRESSES = 3
# Callers forget the first options of a menu that takes longer than this to say.
MAX_MENU_SECONDS = 25
# Far beyond a city bureau (the seed has 18), far below what would make checking or a call slow.
MAX_UNITS = 5000
AUDIO_SUFFIXES = (".wav", ".mp3")
log = logging.getLogger(__name__)


def load_hotline(menus_dir: str | Path, audio_dir: Path | None = None) -> Hotline:
    """Load and validate a menus folder; raise MenuError listing every error found."""
    hotline, problems = check_hotline(menus_dir, audio_dir)
    if hotline is None:
        raise MenuError(problems)
    return hotline


def check_hotline(menus_dir: str | Path, audio_dir: Path | None = None) -> tuple[Hotline | None, list[Problem]]:
    """Validate a menus folder; return the hotline (None on any error) and all problems found.

    audio_dir, when given, replaces the recordings folder hotline.yaml names (a saved copy has its own).
    """
    folder = Path(menus_dir)
    shown = str(menus_dir).rstrip("/") or "."
    if not folder.is_dir():
        return None, [Problem.of(shown, None, "", "folder.not_menus")]
    problems: list[Problem] = []
    docs: dict[str, YamlDocument] = {}
    for name in FILES:
        doc, found = read_yaml(folder / name, f"{shown}/{name}")
        problems.extend(found)
        if doc is not None:
            docs[name] = doc
    if len(docs) != len(FILES):
        return None, problems
    try:
        hotline = _Builder(folder, shown, docs, problems, audio_dir).build()
    except Exception as exc:  # a staff member sees a sentence, never a traceback; the service keeps its menus
        log.exception("Checking the menus in %s failed unexpectedly.", shown)
        return None, [*problems, Problem.of(shown, None, "", "folder.checker_failed",
                                            error=f"{type(exc).__name__} ({str(exc)[:200]})")]
    if any(p.severity == "error" for p in problems):
        return None, problems
    return hotline, problems


class _Builder:
    """Turns the parsed files into model objects, as ivr.core.schema declares them, checking references across
    files."""

    def __init__(self, folder: Path, shown: str, docs: dict[str, YamlDocument], problems: list[Problem],
                 audio_dir: Path | None = None) -> None:
        self.folder = folder
        self.audio_dir = audio_dir
        self.shown = shown
        self.docs = docs
        self.problems = problems
        self.walks = {name: Walk(DocumentChecker(doc, problems)) for name, doc in docs.items()}
        self.checkers = {name: walk.check for name, walk in self.walks.items()}

    def build(self) -> Hotline | None:
        settings = self._hotline_file()
        seasons, schedules = self._schedules_file()
        units = self._units_file(schedules)
        main_menu, menus = self._menu_file(units)
        prompts = self._prompts_file(settings)
        calendar = self._calendar_file(units)
        if settings is None or main_menu is None:
            return None
        name, operator, languages, config, audio_dir = settings
        speech = self._speech()
        declared_units = self._declared("units.yaml", "units")
        if declared_units and operator not in declared_units:
            self.checkers["hotline.yaml"].report(("hotline", "operator"), "hotline.operator_not_unit",
                                                  value=str(operator))
        if operator not in units or any(p.severity == "error" for p in self.problems):
            return None
        if units[operator].phone is None:
            self.checkers["units.yaml"].report(("units", operator, "phone"), "hotline.operator_no_phone")
        self._check_reachability(units, menus, main_menu, operator)
        self._check_menu_lengths(menus, prompts)
        warnings = tuple(p for p in self.problems if p.severity == "warning")
        return Hotline(
            name=name,
            settings=config,
            languages=languages,
            operator_id=operator,
            units=MappingProxyType(units),
            seasons=seasons,
            schedules=MappingProxyType(schedules),
            menus=MappingProxyType(menus),
            main_menu=main_menu,
            prompts=MappingProxyType(prompts),
            calendar=calendar,
            audio_dir=str(audio_dir),
            source_dir=self.shown,
            calendar_line=self.docs["calendar.yaml"].line(("state_council",)),
            warnings=warnings,
            speech=speech,
        )

    # hotline.yaml ---------------------------------------------------------------------------------

    def _hotline_file(self) -> tuple[Text, str, tuple[Voice, ...], Settings, Path] | None:
        top = self.walks["hotline.yaml"].record((), self.docs["hotline.yaml"].data, HOTLINE_FILE)
        if top is None or not top.complete:
            return None
        head, calls = top["hotline"], top["calls"]
        audio_dir = self.audio_dir or (self.folder / str(head["audio_dir"])).resolve()
        settings = Settings(timezone=head["timezone"], **{key: calls[key] for key in CALLS.required})
        return head["name"], head["operator"], top["languages"], settings, audio_dir

    def _speech(self) -> SpeechSettings | None:
        """Read the optional speech: section; without it the menus wait for keys only."""
        data = self.docs["hotline.yaml"].data
        if not isinstance(data, dict) or "speech" not in data:
            return None
        fields = self.walks["hotline.yaml"].record(("speech",), data["speech"], SPEECH)
        if fields is None or not fields.complete:
            return None
        return SpeechSettings(fields["timeout"], MappingProxyType({lang: fields[lang] for lang in LANGS}))

    # schedules.yaml -------------------------------------------------------------------------------

    def _schedules_file(self) -> tuple[tuple[Season, ...], dict[str, Schedule]]:
        walk = self.walks["schedules.yaml"]
        top = walk.record((), self.docs["schedules.yaml"].data, SCHEDULES_FILE)
        if top is None:
            return (), {}
        seasons = self._seasons(walk, top["seasons"])
        reader = ScheduleReader(walk.check, seasons)
        return seasons, walk.each(("schedules",), top["schedules"], reader.schedule)

    def _seasons(self, walk: Walk, value: Any) -> tuple[Season, ...]:
        def season(path: KeyPath, season_id: Any, spec: Any) -> Season | None:
            fields = walk.record(path, spec, SEASON, ident=season_id)
            if fields is None or not fields.complete:
                return None
            return Season(season_id, fields["name"], fields["from"], fields["to"])

        seasons = list(walk.each(("seasons",), value, season).values())
        if seasons:
            self._check_season_cover(walk.check, seasons)
        return tuple(seasons)

    def _check_season_cover(self, check: DocumentChecker, seasons: list[Season]) -> None:
        day = date(2024, 1, 1)  # a leap year, so 02-29 is checked too
        while day.year == 2024:
            holders = [s.id for s in seasons if s.contains(day)]
            if len(holders) != 1:
                if holders:
                    check.report(("seasons",), "seasons.overlap", day=f"{day:%m-%d}", seasons=" and ".join(holders))
                else:
                    check.report(("seasons",), "seasons.gap", day=f"{day:%m-%d}")
                return
            day += timedelta(days=1)

    # units.yaml -----------------------------------------------------------------------------------

    def _units_file(self, schedules: Mapping[str, Schedule]) -> dict[str, Unit]:
        walk = self.walks["units.yaml"]
        walk.known = {"schedules": self._declared("schedules.yaml", "schedules")}
        walk.built = {"schedules": schedules}
        check = walk.check
        top = walk.record((), self.docs["units.yaml"].data, UNITS_FILE)
        given = check.mapping(("units",), top["units"]) if top else None
        if given == {}:
            check.report(("units",), "units.none")
        if given and len(given) > MAX_UNITS:
            check.report(("units",), "units.too_many", count=len(given), limit=MAX_UNITS)
            return {}
        units: dict[str, Unit] = {}
        for unit_id, spec in (given or {}).items():
            fields = walk.record(("units", unit_id), spec, UNIT, ident=unit_id)
            if fields is not None and fields.complete:
                units[unit_id] = Unit(unit_id, **fields)
        for unit in units.values():
            if unit.parent is not None and unit.parent not in units and unit.parent in (given or {}):
                continue
            if unit.parent is not None and unit.parent not in (given or {}):
                check.report(("units", unit.id, "parent"), "units.not_unit", value=str(unit.parent),
                             advice=known_advice("units", list(given or {}), unit.parent))
        return units

    # menu.yaml ------------------------------------------------------------------------------------

    def _menu_file(self, units: Mapping[str, Unit]) -> tuple[str | None, dict[str, Menu]]:
        walk = self.walks["menu.yaml"]
        check = walk.check
        top = walk.record((), self.docs["menu.yaml"].data, MENU_FILE)
        if top is None:
            return None, {}
        given = check.mapping(("menus",), top["menus"]) or {}
        walk.known = {"menus": set(given), "units": set(units) | set(self._declared("units.yaml", "units"))}
        menus: dict[str, Menu] = {}
        for menu_id, spec in given.items():
            fields = walk.record(("menus", menu_id), spec, MENU, ident=menu_id)
            if fields is not None and fields.complete:
                menus[menu_id] = Menu(menu_id, fields["title"], fields["intro"], fields["options"], None)
        main = check.string(("main_menu",), top["main_menu"])
        if main is not None and main not in given:
            check.report(("main_menu",), "menus.not_menu", value=str(main),
                         advice=known_advice("menus", list(given), main))
            return None, menus
        if main is None or len(menus) != len(given) or self._has_cycle(check, menus, main):
            return None, menus
        return main, self._with_parents(menus, main)

    def _has_cycle(self, check: DocumentChecker, menus: Mapping[str, Menu], main: str) -> bool:
        visiting: list[str] = []
        done: set[str] = set()

        def visit(menu_id: str) -> bool:
            if menu_id in visiting:
                loop = " → ".join([*visiting[visiting.index(menu_id):], menu_id])
                check.report(("menus", visiting[-1]), "menus.loop", loop=loop)
                return True
            if menu_id in done or menu_id not in menus:
                return False
            visiting.append(menu_id)
            found = any(visit(o.menu) for o in menus[menu_id].options if o.menu)
            visiting.pop()
            done.add(menu_id)
            return found

        return any(visit(menu_id) for menu_id in [main, *menus])

    def _with_parents(self, menus: dict[str, Menu], main: str) -> dict[str, Menu]:
        parents: dict[str, str | None] = {main: None}
        queue = [main]
        while queue:
            menu_id = queue.pop(0)
            for option in menus[menu_id].options:
                if option.menu and option.menu not in parents:
                    parents[option.menu] = menu_id
                    queue.append(option.menu)
        return {
            menu_id: Menu(m.id, m.title, m.intro, m.options, parents.get(menu_id, main if menu_id != main else None))
            for menu_id, m in menus.items()
        }

    def _check_reachability(self, units: Mapping[str, Unit], menus: Mapping[str, Menu], main: str,
                            operator: str) -> None:
        unit_paths, menu_paths = key_paths(menus, main)
        presses = {unit_id: len(path) for unit_id, path in unit_paths.items()}
        presses[operator] = 1  # key 0 at every level
        for unit_id in units:
            if unit_id not in presses:
                self.checkers["units.yaml"].report(("units", unit_id), "units.unreached", severity="warning",
                                                   unit=unit_id)
            elif presses[unit_id] > MAX_PRESSES:
                self.checkers["units.yaml"].report(("units", unit_id), "units.too_deep", severity="warning",
                                                   unit=unit_id, presses=presses[unit_id], limit=MAX_PRESSES)
        for menu_id in menus:
            if menu_id not in menu_paths:
                self.checkers["menu.yaml"].report(("menus", menu_id), "menus.unreached", severity="warning",
                                                  menu=menu_id)

    def _check_menu_lengths(self, menus: Mapping[str, Menu], prompts: Mapping[str, Prompt]) -> None:
        """Warn of a menu callers listen to for longer than MAX_MENU_SECONDS before they can choose."""
        if not {"menu_option", "menu_keys"} <= set(prompts):
            return
        for menu in menus.values():
            for lang in LANGS:
                seconds = menu_seconds(menu, prompts, lang)
                if seconds > MAX_MENU_SECONDS:
                    self.checkers["menu.yaml"].report(
                        ("menus", menu.id), "menus.too_long", severity="warning", language=Term(f"lang_{lang}"),
                        seconds=round(seconds), limit=MAX_MENU_SECONDS)

    # prompts.yaml ---------------------------------------------------------------------------------

    def _prompts_file(self, settings: tuple[Any, ...] | None) -> dict[str, Prompt]:
        walk = self.walks["prompts.yaml"]
        top = walk.record((), self.docs["prompts.yaml"].data, PROMPTS_FILE)
        given = walk.check.mapping(("prompts",), top["prompts"] if top is not None else None) or {}
        audio_dir = settings[4] if settings else None
        prompts: dict[str, Prompt] = {}
        for prompt_id, spec in given.items():
            prompt = self._prompt(walk, ("prompts", prompt_id), prompt_id, spec, audio_dir)
            if prompt is not None:
                prompts[prompt_id] = prompt
        for prompt_id in PROMPT_FIELDS:
            if prompt_id not in given:
                walk.check.report(("prompts",), "prompts.missing", prompt=prompt_id)
        return prompts

    def _prompt(self, walk: Walk, path: KeyPath, prompt_id: str, spec: Any, audio_dir: Path | None) -> Prompt | None:
        check = walk.check
        fields = walk.record(path, spec, PROMPT)
        if fields is None:
            return None
        text = check.text(path, {lang: fields[lang] for lang in LANGS if fields.has(lang)})
        if text is None:
            return None
        expected = PROMPT_FIELDS.get(prompt_id)
        if expected is None:
            check.report(path, "prompts.unknown", severity="warning", prompt=prompt_id)
        for lang in LANGS:
            _check_placeholders(check, (*path, lang), text(lang), expected)
        audio = self._audio(check, (*path, "audio"), fields["audio"], audio_dir) if fields.has("audio") else {}
        return Prompt(prompt_id, text, MappingProxyType(audio))

    def _audio(self, check: DocumentChecker, path: KeyPath, value: Any, audio_dir: Path | None) -> dict[str, str]:
        given = check.mapping(path, value, optional=LANGS) or {}
        audio: dict[str, str] = {}
        for lang, file in given.items():
            name = check.string((*path, lang), file)
            if name is None or audio_dir is None:
                continue
            target = (audio_dir / name).resolve()
            if not target.is_relative_to(audio_dir) or target.suffix.lower() not in AUDIO_SUFFIXES:
                check.report((*path, lang), "audio.bad_path", name=str(name))
            elif not target.is_file():
                check.report((*path, lang), "audio.missing", name=str(name), folder=str(audio_dir))
            elif not os.access(target, os.R_OK):
                check.report((*path, lang), "audio.unreadable", name=str(name))
            elif not _is_audio(target):
                check.report((*path, lang), "audio.not_audio", name=str(name))
            else:
                audio[lang] = target.relative_to(audio_dir).as_posix()
        return audio

    # calendar.yaml --------------------------------------------------------------------------------

    def _calendar_file(self, units: Mapping[str, Unit]) -> CalendarData:
        walk = self.walks["calendar.yaml"]
        walk.built = {"units": units}
        return read_calendar(walk, self.docs["calendar.yaml"].data)

    def _declared(self, file: str, key: str) -> list[str]:
        data = self.docs[file].data
        section = data.get(key) if isinstance(data, dict) else None
        return [str(k) for k in section] if isinstance(section, dict) else []


def _check_placeholders(check: DocumentChecker, path: KeyPath, said: str, expected: frozenset[str] | None) -> None:
    """A prompt's {placeholders} must be those its moment fills in, each with a particle the speech knows."""
    parts = list(string.Formatter().parse(said))
    used = {name for _, name, _, _ in parts if name is not None}
    for _, name, spec, _ in parts:
        if name is not None and spec and spec not in PARTICLES:
            check.report(path, "prompts.bad_particle", placeholder=f"{{{name}:{spec}}}",
                         particle=spec, particles=", ".join(PARTICLES))
    allowed = expected if expected is not None else used
    if used != allowed:
        check.report(path, "prompts.placeholders", used=_braces(used), allowed=_braces(allowed))


def _is_audio(path: Path) -> bool:
    """Tell from its first bytes whether a file is a WAV (RIFF....WAVE) or an MP3 (ID3 tag or frame sync)."""
    with path.open("rb") as file:
        head = file.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return True
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _braces(names: set[str] | frozenset[str]) -> Param:
    return ", ".join("{" + n + "}" for n in sorted(names)) if names else Term("no_placeholders")
