"""Loads the menus folder into a validated, frozen Hotline, or reports every problem found."""

from __future__ import annotations

import difflib
import logging
import os
import string
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytz

from ivr.core.calendar import OFFICIAL_HOLIDAY_KEYS, official_years
from ivr.core.checks import DocumentChecker
from ivr.core.hoursfile import WEEKDAY_EXAMPLE, ScheduleReader
from ivr.core.model import (
    LANGS,
    PROMPT_FIELDS,
    RESERVED_KEYS,
    SPEECH_LANGUAGES,
    SPEECH_MODELS,
    SPEECH_TIMEOUTS,
    CalendarData,
    CalendarEntry,
    Hotline,
    Menu,
    Option,
    Period,
    Prompt,
    Recogniser,
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
from ivr.core.speech import PARTICLES, menu_seconds
from ivr.core.wording import Advice, Param, Term, advice
from ivr.core.yamlsource import KeyPath, YamlDocument, read_yaml

FILES = ("hotline.yaml", "schedules.yaml", "units.yaml", "menu.yaml", "prompts.yaml", "calendar.yaml")
UNIT_KINDS = ("bureau", "department", "agency")
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
    """Turns the parsed files into model objects, checking references across files."""

    def __init__(self, folder: Path, shown: str, docs: dict[str, YamlDocument], problems: list[Problem],
                 audio_dir: Path | None = None) -> None:
        self.folder = folder
        self.audio_dir = audio_dir
        self.shown = shown
        self.docs = docs
        self.problems = problems
        self.checkers = {name: DocumentChecker(doc, problems) for name, doc in docs.items()}

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
        check = self.checkers["hotline.yaml"]
        top = check.mapping((), self.docs["hotline.yaml"].data, required=("hotline", "languages", "calls"),
                            optional=("speech",))
        if top is None or not {"hotline", "languages", "calls"} <= set(top):
            return None
        head = check.mapping(("hotline",), top["hotline"], required=("name", "operator", "timezone"),
                             optional=("audio_dir",))
        if head is None:
            return None
        name = check.text(("hotline", "name"), head.get("name"))
        operator = check.string(("hotline", "operator"), head.get("operator"))
        timezone = check.string(("hotline", "timezone"), head.get("timezone"))
        if timezone is not None and timezone not in pytz.all_timezones_set:
            check.report(("hotline", "timezone"), "hotline.bad_timezone", value=str(timezone))
            timezone = None
        audio_dir = self.audio_dir or (self.folder / str(head.get("audio_dir", "../audio"))).resolve()
        languages = self._languages(check, top["languages"])
        calls = check.mapping(("calls",), top["calls"],
                              required=("gather_timeout", "tries", "dial_timeout", "voicemail_max_seconds"))
        if calls is None:
            return None
        numbers = {
            "gather_timeout": check.integer(("calls", "gather_timeout"), calls.get("gather_timeout"), 1, 60),
            "tries": check.integer(("calls", "tries"), calls.get("tries"), 1, 10),
            "dial_timeout": check.integer(("calls", "dial_timeout"), calls.get("dial_timeout"), 5, 120),
            "voicemail_max_seconds": check.integer(("calls", "voicemail_max_seconds"),
                                                   calls.get("voicemail_max_seconds"), 10, 600),
        }
        if name is None or operator is None or timezone is None or languages is None:
            return None
        if any(value is None for value in numbers.values()):
            return None
        settings = Settings(timezone=timezone, **{k: v for k, v in numbers.items() if v is not None})
        return name, operator, languages, settings, audio_dir

    def _languages(self, check: DocumentChecker, value: Any) -> tuple[Voice, ...] | None:
        given = check.mapping(("languages",), value, required=LANGS)
        if given is None:
            return None
        voices: list[Voice] = []
        keys: dict[str, str] = {}
        for lang, spec in given.items():
            path: KeyPath = ("languages", lang)
            fields = check.mapping(path, spec, required=("key", "name", "voice", "language_tag"))
            if lang not in LANGS or fields is None:
                continue
            key = str(fields.get("key", ""))
            if len(key) != 1 or key not in "123456789":
                check.report((*path, "key"), "hotline.bad_language_key", key=str(key))
                continue
            if key in keys:
                check.report((*path, "key"), "hotline.language_key_taken", key=str(key), other=str(keys[key]))
                continue
            keys[key] = lang
            texts = [check.string((*path, f), fields.get(f)) for f in ("name", "voice", "language_tag")]
            if all(texts):
                voices.append(Voice(lang, key, *(t for t in texts if t)))
        return tuple(voices) if len(voices) == len(LANGS) else None

    def _speech(self) -> SpeechSettings | None:
        """Read the optional speech: section; without it the menus wait for keys only."""
        check = self.checkers["hotline.yaml"]
        data = self.docs["hotline.yaml"].data
        if not isinstance(data, dict) or "speech" not in data:
            return None
        fields = check.mapping(("speech",), data["speech"], required=("timeout", *LANGS))
        if fields is None:
            return None
        timeout = check.integer(("speech", "timeout"), fields.get("timeout"), *SPEECH_TIMEOUTS)
        recognisers = {lang: self._recogniser(check, ("speech", lang), lang, fields.get(lang)) for lang in LANGS}
        if timeout is None or any(r is None for r in recognisers.values()):
            return None
        return SpeechSettings(timeout, MappingProxyType({k: r for k, r in recognisers.items() if r is not None}))

    def _recogniser(self, check: DocumentChecker, path: KeyPath, lang: str, value: Any) -> Recogniser | None:
        fields = check.mapping(path, value, required=("model", "language"))
        if fields is None:
            return None
        model = check.string((*path, "model"), fields.get("model"))
        language = check.string((*path, "language"), fields.get("language"))
        if model is None or language is None:
            return None
        family = SPEECH_MODELS.get(model)
        if family is None:
            close = difflib.get_close_matches(model, list(SPEECH_MODELS), n=1)
            check.report((*path, "model"), "hotline.unknown_speech_model", model=model,
                         language=Term(f"lang_{lang}"), models=", ".join(SPEECH_MODELS),
                         advice=advice("hint.did_you_mean", close=close[0]) if close else None)
            return None
        expected = SPEECH_LANGUAGES[family][lang]
        if language != expected:
            check.report((*path, "language"), "hotline.speech_language_mismatch", language_code=language,
                         model=model, language=Term(f"lang_{lang}"), expected=expected)
            return None
        return Recogniser(model, language)

    # schedules.yaml -------------------------------------------------------------------------------

    def _schedules_file(self) -> tuple[tuple[Season, ...], dict[str, Schedule]]:
        check = self.checkers["schedules.yaml"]
        top = check.mapping((), self.docs["schedules.yaml"].data, required=("seasons", "schedules"))
        if top is None:
            return (), {}
        seasons = self._seasons(check, top.get("seasons"))
        schedules: dict[str, Schedule] = {}
        given = check.mapping(("schedules",), top.get("schedules"))
        reader = ScheduleReader(check, seasons)
        for schedule_id, spec in (given or {}).items():
            schedule = reader.schedule(("schedules", schedule_id), schedule_id, spec)
            if schedule is not None:
                schedules[schedule_id] = schedule
        return seasons, schedules

    def _seasons(self, check: DocumentChecker, value: Any) -> tuple[Season, ...]:
        given = check.mapping(("seasons",), value)
        seasons: list[Season] = []
        for season_id, spec in (given or {}).items():
            path: KeyPath = ("seasons", season_id)
            fields = check.mapping(path, spec, required=("name", "from", "to"))
            if fields is None or not check.identifier(path, season_id):
                continue
            name = check.text((*path, "name"), fields.get("name"))
            first = check.month_day((*path, "from"), fields.get("from"))
            last = check.month_day((*path, "to"), fields.get("to"))
            if name and first and last:
                seasons.append(Season(season_id, name, first, last))
        if seasons:
            self._check_season_cover(check, seasons)
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
        check = self.checkers["units.yaml"]
        top = check.mapping((), self.docs["units.yaml"].data, required=("units",))
        given = check.mapping(("units",), (top or {}).get("units")) if top else None
        if given == {}:
            check.report(("units",), "units.none")
        if given and len(given) > MAX_UNITS:
            check.report(("units",), "units.too_many", count=len(given), limit=MAX_UNITS)
            return {}
        units: dict[str, Unit] = {}
        for unit_id, spec in (given or {}).items():
            unit = self._unit(check, ("units", unit_id), unit_id, spec, schedules)
            if unit is not None:
                units[unit_id] = unit
        for unit in units.values():
            if unit.parent is not None and unit.parent not in units and unit.parent in (given or {}):
                continue
            if unit.parent is not None and unit.parent not in (given or {}):
                check.report(("units", unit.id, "parent"), "units.not_unit", value=str(unit.parent),
                             advice=_known("units", list(given or {}), unit.parent))
        return units

    def _unit(
        self, check: DocumentChecker, path: KeyPath, unit_id: str, spec: Any, schedules: Mapping[str, Schedule]
    ) -> Unit | None:
        # References are checked against what the files declare, so one broken schedule is reported
        # once rather than again at every unit that uses it.
        fields = check.mapping(
            path, spec,
            required=("kind", "name", "address", "postcode", "schedule", "summary", "keywords"),
            optional=("phone", "head", "parent"),
        )
        if fields is None or not check.identifier(path, unit_id):
            return None
        kind = check.string((*path, "kind"), fields.get("kind"))
        if kind is not None and kind not in UNIT_KINDS:
            check.report((*path, "kind"), "units.bad_kind", value=str(kind))
        name = check.text((*path, "name"), fields.get("name"))
        phone = check.phone((*path, "phone"), fields["phone"]) if "phone" in fields else None
        address = check.text((*path, "address"), fields.get("address"))
        postcode = check.postcode((*path, "postcode"), fields.get("postcode"))
        head = check.string((*path, "head"), fields["head"]) if "head" in fields else None
        schedule_id = None
        if isinstance(fields.get("schedule"), list):
            check.report((*path, "schedule"), "units.one_schedule", example=WEEKDAY_EXAMPLE)
        else:
            schedule_id = check.string((*path, "schedule"), fields.get("schedule"))
        declared = self._declared("schedules.yaml", "schedules")
        if schedule_id is not None and schedule_id not in declared:
            check.report((*path, "schedule"), "units.not_schedule", value=str(schedule_id),
                         advice=_known("schedules", declared, schedule_id))
        summary = check.text((*path, "summary"), fields.get("summary"))
        keywords = check.string_list((*path, "keywords"), fields.get("keywords", []))
        parent = check.string((*path, "parent"), fields["parent"]) if "parent" in fields else None
        if "phone" in fields and phone is None:
            return None
        if None in (kind, name, address, postcode, summary) or schedule_id not in schedules:
            return None
        assert name and address and summary and postcode and kind and schedule_id
        return Unit(unit_id, kind, name, phone, address, postcode, head, schedules[schedule_id],
                    summary, keywords, parent)

    # menu.yaml ------------------------------------------------------------------------------------

    def _menu_file(self, units: Mapping[str, Unit]) -> tuple[str | None, dict[str, Menu]]:
        check = self.checkers["menu.yaml"]
        top = check.mapping((), self.docs["menu.yaml"].data, required=("main_menu", "menus"))
        if top is None:
            return None, {}
        given = check.mapping(("menus",), top.get("menus")) or {}
        unit_ids = set(units) | set(self._declared("units.yaml", "units"))
        menus: dict[str, Menu] = {}
        for menu_id, spec in given.items():
            menu = self._menu(check, ("menus", menu_id), menu_id, spec, set(given), unit_ids)
            if menu is not None:
                menus[menu_id] = menu
        main = check.string(("main_menu",), top.get("main_menu"))
        if main is not None and main not in given:
            check.report(("main_menu",), "menus.not_menu", value=str(main), advice=_known("menus", list(given), main))
            return None, menus
        if main is None or len(menus) != len(given) or self._has_cycle(check, menus, main):
            return None, menus
        return main, self._with_parents(menus, main)

    def _menu(
        self, check: DocumentChecker, path: KeyPath, menu_id: str, spec: Any, menu_ids: set[str], unit_ids: set[str]
    ) -> Menu | None:
        fields = check.mapping(path, spec, required=("title", "options"), optional=("intro",))
        if fields is None or not check.identifier(path, menu_id):
            return None
        title = check.text((*path, "title"), fields.get("title"))
        intro = check.text((*path, "intro"), fields["intro"]) if "intro" in fields else None
        given = check.mapping((*path, "options"), fields.get("options")) or {}
        if not given and "options" in fields:
            check.report((*path, "options"), "menus.no_options")
        options = [self._option(check, (*path, "options", key), str(key), spec, menu_ids, unit_ids)
                   for key, spec in given.items()]
        if title is None or None in options or ("intro" in fields and intro is None):
            return None
        return Menu(menu_id, title, intro, tuple(sorted((o for o in options if o), key=lambda o: o.key)), None)

    def _option(
        self, check: DocumentChecker, path: KeyPath, key: str, spec: Any, menu_ids: set[str], unit_ids: set[str]
    ) -> Option | None:
        if key in RESERVED_KEYS:
            meaning = {"0": "operator", "*": "back", "#": "repeat"}[key]
            check.report(path, "menus.reserved_key", key=key, meaning=Term(meaning))
            return None
        if len(key) != 1 or key not in "123456789":
            check.report(path, "menus.bad_key", key=key)
            return None
        fields = check.mapping(path, spec, required=("label",), optional=("menu", "unit"))
        if fields is None:
            return None
        label = check.text((*path, "label"), fields.get("label"))
        targets = [t for t in ("menu", "unit") if t in fields]
        if len(targets) != 1:
            check.report(path, "menus.two_targets")
            return None
        target = check.string((*path, targets[0]), fields[targets[0]])
        known = menu_ids if targets[0] == "menu" else unit_ids
        if target is not None and not known:
            return None  # the file that should declare them is broken or empty, and says so itself
        if target is not None and target not in known:
            where = "menus_file" if targets[0] == "menu" else "units_file"
            check.report((*path, targets[0]), "menus.not_target", value=str(target), kind=Term(targets[0]),
                         advice=_known(where, sorted(known), target))
            return None
        if label is None or target is None:
            return None
        return Option(key, label, **{targets[0]: target})

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
        check = self.checkers["prompts.yaml"]
        top = check.mapping((), self.docs["prompts.yaml"].data, required=("prompts",))
        given = check.mapping(("prompts",), (top or {}).get("prompts")) or {}
        audio_dir = settings[4] if settings else None
        prompts: dict[str, Prompt] = {}
        for prompt_id, spec in given.items():
            prompt = self._prompt(check, ("prompts", prompt_id), prompt_id, spec, audio_dir)
            if prompt is not None:
                prompts[prompt_id] = prompt
        for prompt_id in PROMPT_FIELDS:
            if prompt_id not in given:
                check.report(("prompts",), "prompts.missing", prompt=prompt_id)
        return prompts

    def _prompt(
        self, check: DocumentChecker, path: KeyPath, prompt_id: str, spec: Any, audio_dir: Path | None
    ) -> Prompt | None:
        fields = check.mapping(path, spec, optional=(*LANGS, "audio"))
        if fields is None:
            return None
        text = check.text(path, {lang: fields[lang] for lang in LANGS if lang in fields})
        if text is None:
            return None
        expected = PROMPT_FIELDS.get(prompt_id)
        if expected is None:
            check.report(path, "prompts.unknown", severity="warning", prompt=prompt_id)
        for lang in LANGS:
            parts = list(string.Formatter().parse(text(lang)))
            used = {name for _, name, _, _ in parts if name is not None}
            for _, name, spec, _ in parts:
                if name is not None and spec and spec not in PARTICLES:
                    check.report((*path, lang), "prompts.bad_particle", placeholder=f"{{{name}:{spec}}}",
                                 particle=spec, particles=", ".join(PARTICLES))
            allowed = expected if expected is not None else used
            if used != allowed:
                check.report((*path, lang), "prompts.placeholders", used=_braces(used), allowed=_braces(allowed))
        audio = self._audio(check, (*path, "audio"), fields.get("audio"), audio_dir) if "audio" in fields else {}
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
        check = self.checkers["calendar.yaml"]
        top = check.mapping((), self.docs["calendar.yaml"].data, required=("holiday_names",),
                            optional=("state_council", "closures", "openings", "special_days"))
        top = top or {}
        names: dict[str, Text] = {}
        for key, value in (check.mapping(("holiday_names",), top.get("holiday_names")) or {}).items():
            text = check.text(("holiday_names", key), value)
            if text is not None:
                names[key] = text
        for key in OFFICIAL_HOLIDAY_KEYS:
            if key not in names and isinstance(top.get("holiday_names"), dict):
                check.report(("holiday_names",), "calendar.holiday_unnamed", key=str(key))
        entries: list[CalendarEntry] = []
        years: set[int] = set()
        for year, notice in (check.mapping(("state_council",), top.get("state_council", {})) or {}).items():
            path: KeyPath = ("state_council", year)
            if not str(year).isdigit():
                check.report(path, "calendar.not_year", value=str(year))
                continue
            years.add(int(year))
            if int(year) in official_years():
                check.report(path, "calendar.replaces_official", severity="warning", year=str(year))
            fields = check.mapping(path, notice, required=("holidays",), optional=("workdays",)) or {}
            notice_entries: list[tuple[KeyPath, CalendarEntry]] = []
            for kind, is_open in (("holidays", False), ("workdays", True)):
                for i, spec in enumerate(self._list(check, (*path, kind), fields.get(kind, []))):
                    entry = self._entry(check, (*path, kind, i), spec, is_open, "state_council", names, units,
                                        year=int(year))
                    if entry:
                        notice_entries.append(((*path, kind, i), entry))
            self._check_notice_conflicts(check, notice_entries)
            entries.extend(entry for _, entry in notice_entries)
        for kind, is_open in (("closures", False), ("openings", True), ("special_days", True)):
            for i, spec in enumerate(self._list(check, (kind,), top.get(kind, []))):
                entry = self._entry(check, (kind, i), spec, is_open, "staff", names, units)
                if entry:
                    entries.append(entry)
        return CalendarData(frozenset(years), tuple(entries), MappingProxyType(names))

    def _check_notice_conflicts(self, check: DocumentChecker, found: list[tuple[KeyPath, CalendarEntry]]) -> None:
        """A day cannot be both a holiday and a make-up working day of the same notice."""
        holidays = [(p, e) for p, e in found if not e.open]
        for path, workday in ((p, e) for p, e in found if e.open):
            clash = next((p for p, h in holidays if h.first <= workday.last and workday.first <= h.last), None)
            if clash is not None:
                check.report(path, "calendar.workday_and_holiday", day=str(workday.first),
                             other=str(self.docs["calendar.yaml"].line(clash)))

    def _list(self, check: DocumentChecker, path: KeyPath, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            check.report(path, "calendar.not_days")
            return []
        return value

    def _entry(
        self, check: DocumentChecker, path: KeyPath, spec: Any, is_open: bool, source: str,
        names: Mapping[str, Text], units: Mapping[str, Unit], year: int | None = None,
    ) -> CalendarEntry | None:
        # A special day has its own hours or closes early (a half day); other entries open or close whole days.
        special = path[0] == "special_days"
        allowed = ("date", "from", "to") + (() if source == "state_council" else ("units",))
        fields = check.mapping(path, spec, required=("name",),
                               optional=(*allowed, "hours", "closes") if special else allowed)
        if fields is None:
            return None
        hours, closes = self._special_hours(check, path, fields) if special else (None, None)
        # Days, name and units are checked independently, so one entry reports all its mistakes at once.
        days = self._entry_days(check, path, fields, year)
        name = self._entry_name(check, (*path, "name"), fields.get("name"), names)
        entry_units = None
        if "units" in fields:
            entry_units = frozenset(check.string_list((*path, "units"), fields["units"]))
            for unit_id in sorted(entry_units - set(units)):
                check.report((*path, "units"), "units.not_unit", value=unit_id,
                             advice=_known("units", list(units), unit_id))
        if days is None or name is None or (special and not hours and closes is None):
            return None
        return CalendarEntry(days[0], days[1], is_open, name, entry_units, source,  # type: ignore[arg-type]
                             hours, closes)

    def _special_hours(self, check: DocumentChecker, path: KeyPath,
                       fields: dict[str, Any]) -> tuple[tuple[Period, ...] | None, time | None]:
        """Read a special day's own hours, or the time every unit closes that day: one of the two."""
        if ("hours" in fields) == ("closes" in fields):
            check.report(path, "calendar.hours_and_closes" if "hours" in fields
                         else "calendar.neither_hours_nor_closes")
            return None, None
        if "closes" in fields:
            return None, check.clock((*path, "closes"), fields["closes"])
        if fields["hours"] == []:
            check.report((*path, "hours"), "calendar.no_period")
        return check.periods((*path, "hours"), fields["hours"]), None

    def _entry_days(self, check: DocumentChecker, path: KeyPath, fields: dict[str, Any],
                    year: int | None) -> tuple[date, date] | None:
        if "date" in fields:
            first = last = check.day((*path, "date"), fields["date"])
        elif "from" in fields and "to" in fields:
            first, last = check.day((*path, "from"), fields["from"]), check.day((*path, "to"), fields["to"])
        else:
            check.report(path, "calendar.no_day")
            return None
        if first is None or last is None:
            return None
        if last < first:
            check.report((*path, "to"), "calendar.range_backwards", first=str(first), last=str(last))
            return None
        if year is not None and (first.year != year or last.year != year):
            check.report(path, "calendar.wrong_year", first=str(first), last=str(last), year=str(year))
            return None
        return first, last

    def _entry_name(self, check: DocumentChecker, path: KeyPath, value: Any, names: Mapping[str, Text]) -> Text | None:
        if isinstance(value, str):
            if value in names:
                return names[value]
            check.report(path, "calendar.not_holiday_name", value=str(value))
            return None
        return check.text(path, value)

    def _declared(self, file: str, key: str) -> list[str]:
        data = self.docs[file].data
        section = data.get(key) if isinstance(data, dict) else None
        return [str(k) for k in section] if isinstance(section, dict) else []


def _known(what: str, names: list[str], given: str | None = None) -> Advice:
    """Return the advice for a name that is not one of `what` (a Term's key): the closest, or those there are."""
    if not names:
        return advice("hint.none_yet", what=Term(what))
    close = difflib.get_close_matches(given, names, n=1) if given else []
    if close:
        return advice("hint.did_you_mean", close=close[0])
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return advice("hint.use_one_of", what=Term(what), names=shown)


def _is_audio(path: Path) -> bool:
    """Tell from its first bytes whether a file is a WAV (RIFF....WAVE) or an MP3 (ID3 tag or frame sync)."""
    with path.open("rb") as file:
        head = file.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return True
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _braces(names: set[str] | frozenset[str]) -> Param:
    return ", ".join("{" + n + "}" for n in sorted(names)) if names else Term("no_placeholders")
