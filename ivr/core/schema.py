"""The menus files as data: each mapping's keys, whether required, their default and the check each runs.

A new key is one line in its record; the walker (ivr.core.walker) reads a record with the typed checkers of
ivr.core.checks, and the loader (ivr.core.loader) builds the frozen model and checks references across files.
"""

from __future__ import annotations

import difflib
from typing import Any

import pytz

from ivr.core.hoursfile import WEEKDAY_EXAMPLE
from ivr.core.model import (
    LANGS,
    RESERVED_KEYS,
    SPEECH_LANGUAGES,
    SPEECH_MODELS,
    SPEECH_TIMEOUTS,
    Option,
    Recogniser,
    Schedule,
    Text,
    Voice,
)
from ivr.core.walker import Field, Group, Reader, Record, Walk, nested
from ivr.core.wording import Advice, Term, advice
from ivr.core.yamlsource import KeyPath

UNIT_KINDS = ("bureau", "department", "agency")
MENU_KEYS = "123456789"

# Readers of one value, by the typed checkers -----------------------------------------------------------


def text(walk: Walk, path: KeyPath, value: Any) -> Text | None:
    """Read a caller-facing text in both languages."""
    return walk.check.text(path, value)


def string(walk: Walk, path: KeyPath, value: Any) -> str | None:
    """Read a non-empty string."""
    return walk.check.string(path, value)


def strings(walk: Walk, path: KeyPath, value: Any) -> tuple[str, ...]:
    """Read a list of non-empty strings."""
    return walk.check.string_list(path, value)


def phone(walk: Walk, path: KeyPath, value: Any) -> str | None:
    """Read a Chinese phone number, as E.164."""
    return walk.check.phone(path, value)


def postcode(walk: Walk, path: KeyPath, value: Any) -> str | None:
    """Read a six-digit postcode."""
    return walk.check.postcode(path, value)


def month_day(walk: Walk, path: KeyPath, value: Any) -> tuple[int, int] | None:
    """Read a day of the year written MM-DD."""
    return walk.check.month_day(path, value)


def as_written(walk: Walk, path: KeyPath, value: Any) -> Any:
    """Keep a value as YAML read it, for the loader to read in its turn (a section that needs others first)."""
    return value


def whole(low: int, high: int) -> Reader:
    """Return a reader of a whole number from low to high."""

    def read(walk: Walk, path: KeyPath, value: Any) -> int | None:
        return walk.check.integer(path, value, low, high)

    return read


def one_of(choices: tuple[str, ...], wording: str) -> Reader:
    """Return a reader of a string that should be one of choices; another is reported and kept."""

    def read(walk: Walk, path: KeyPath, value: Any) -> str | None:
        found = walk.check.string(path, value)
        if found is not None and found not in choices:
            walk.check.report(path, wording, value=str(found))
        return found

    return read


def known_advice(what: str, names: list[str], given: str | None = None) -> Advice:
    """Return the advice for a name that is not one of `what` (a Term's key): the closest, or those there are."""
    names = [name for name in names if isinstance(name, str)]  # a null or numeric id is reported where it stands
    if not names:
        return advice("hint.none_yet", what=Term(what))
    close = difflib.get_close_matches(given, names, n=1) if given else []
    if close:
        return advice("hint.did_you_mean", close=close[0])
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return advice("hint.use_one_of", what=Term(what), names=shown)


# hotline.yaml ------------------------------------------------------------------------------------------


def timezone(walk: Walk, path: KeyPath, value: Any) -> str | None:
    """Read a time zone by its tz database name (Asia/Shanghai)."""
    zone = walk.check.string(path, value)
    if zone is not None and zone not in pytz.all_timezones_set:
        walk.check.report(path, "hotline.bad_timezone", value=str(zone))
        return None
    return zone


def language_key(walk: Walk, path: KeyPath, value: Any) -> str | None:
    """Read the key that chooses a language: one digit from 1 to 9, not another language's."""
    key = str(value)
    if len(key) != 1 or key not in MENU_KEYS:
        walk.check.report(path, "hotline.bad_language_key", key=key)
        return None
    taken = walk.seen.setdefault("language_key", {})
    if key in taken:
        walk.check.report(path, "hotline.language_key_taken", key=key, other=taken[key])
        return None
    taken[key] = str(path[-2])
    return key


LANGUAGE = Record((
    Field("key", language_key, gate=True),
    Field("name", string),
    Field("voice", string),
    Field("language_tag", string),
))


def languages(walk: Walk, path: KeyPath, value: Any) -> tuple[Voice, ...] | None:
    """Read the voice of each language; every language must have one."""
    given = walk.check.mapping(path, value, required=LANGS)
    if given is None:
        return None
    voices: list[Voice] = []
    for lang, spec in given.items():
        if lang not in LANGS:
            walk.check.mapping((*path, lang), spec, required=LANGUAGE.required)
            continue
        fields = walk.record((*path, lang), spec, LANGUAGE)
        if fields is not None and fields.complete:
            voices.append(Voice(lang, fields["key"], fields["name"], fields["voice"], fields["language_tag"]))
    return tuple(voices) if len(voices) == len(LANGS) else None


HOTLINE_HEAD = Record((
    Field("name", text),
    Field("operator", string),
    Field("timezone", timezone),
    Field("audio_dir", as_written, required=False, default="../audio", blocks=False),
))
CALLS = Record((
    Field("gather_timeout", whole(1, 60)),
    Field("tries", whole(1, 10)),
    Field("dial_timeout", whole(5, 120)),
    Field("voicemail_max_seconds", whole(10, 600)),
))
HOTLINE_FILE = Record((
    Field("hotline", nested(HOTLINE_HEAD), gate=True),
    Field("languages", languages),
    Field("calls", nested(CALLS)),
    # Read by the loader after the other files (SPEECH), so its problems come last.
    Field("speech", as_written, required=False, blocks=False),
))

RECOGNISER_KEYS = Record((Field("model", string), Field("language", string)))


def recogniser(walk: Walk, path: KeyPath, value: Any) -> Recogniser | None:
    """Read the speech model that hears one language (the key's name), and that model's code for it."""
    fields = walk.record(path, value, RECOGNISER_KEYS)
    if fields is None or not fields.complete:
        return None
    model, language, lang = fields["model"], fields["language"], str(path[-1])
    family = SPEECH_MODELS.get(model)
    if family is None:
        close = difflib.get_close_matches(model, list(SPEECH_MODELS), n=1)
        walk.check.report((*path, "model"), "hotline.unknown_speech_model", model=model,
                          language=Term(f"lang_{lang}"), models=", ".join(SPEECH_MODELS),
                          advice=advice("hint.did_you_mean", close=close[0]) if close else None)
        return None
    expected = SPEECH_LANGUAGES[family][lang]
    if language != expected:
        walk.check.report((*path, "language"), "hotline.speech_language_mismatch", language_code=language,
                          model=model, language=Term(f"lang_{lang}"), expected=expected)
        return None
    return Recogniser(model, language)


SPEECH = Record((Field("timeout", whole(*SPEECH_TIMEOUTS)), *(Field(lang, recogniser) for lang in LANGS)))

# schedules.yaml (a schedule's hours are read by ivr.core.hoursfile) -------------------------------------

SCHEDULES_FILE = Record((Field("seasons", as_written), Field("schedules", as_written)))
SEASON = Record((Field("name", text), Field("from", month_day), Field("to", month_day)))

# units.yaml --------------------------------------------------------------------------------------------


def schedule(walk: Walk, path: KeyPath, value: Any) -> Schedule | None:
    """Read the id of one schedule that schedules.yaml declares; None when that schedule is itself broken."""
    # Checked against what schedules.yaml declares, so one broken schedule is reported once, not at every unit.
    if isinstance(value, list):
        walk.check.report(path, "units.one_schedule", example=WEEKDAY_EXAMPLE)
        return None
    schedule_id = walk.check.string(path, value)
    declared = walk.known["schedules"]
    if schedule_id is not None and schedule_id not in declared:
        walk.check.report(path, "units.not_schedule", value=str(schedule_id),
                          advice=known_advice("schedules", list(declared), schedule_id))
        return None
    built: Schedule | None = walk.built["schedules"].get(schedule_id) if schedule_id is not None else None
    return built


UNITS_FILE = Record((Field("units", as_written),))
UNIT = Record((
    Field("kind", one_of(UNIT_KINDS, "units.bad_kind")),
    Field("name", text),
    Field("phone", phone, required=False),
    Field("address", text),
    Field("postcode", postcode),
    Field("head", string, required=False, blocks=False),
    Field("schedule", schedule),
    Field("summary", text),
    Field("keywords", strings),
    Field("parent", string, required=False, blocks=False),
))

# menu.yaml ---------------------------------------------------------------------------------------------


def target(walk: Walk, path: KeyPath, given: dict[str, Any]) -> tuple[str, str] | None:
    """Read where an option leads: exactly one of a menu and a unit, which must exist."""
    kinds = [kind for kind in ("menu", "unit") if kind in given]
    if len(kinds) != 1:
        walk.check.report(path, "menus.two_targets")
        return None
    kind = kinds[0]
    name = walk.check.string((*path, kind), given[kind])
    known = walk.known["menus" if kind == "menu" else "units"]
    if name is None or not known:
        return None  # the file that should declare them is broken or empty, and says so itself
    if name not in known:
        where = "menus_file" if kind == "menu" else "units_file"
        walk.check.report((*path, kind), "menus.not_target", value=str(name), kind=Term(kind),
                          advice=known_advice(where, sorted(known), name))
        return None
    return kind, name


OPTION = Record((Field("label", text), Group("target", ("menu", "unit"), target)))


def option(walk: Walk, path: KeyPath, key: str, spec: Any) -> Option | None:
    """Read one option of a menu under its key, one of 1 to 9 (0, * and # mean the same at every menu)."""
    if key in RESERVED_KEYS:
        meaning = {"0": "operator", "*": "back", "#": "repeat"}[key]
        walk.check.report(path, "menus.reserved_key", key=key, meaning=Term(meaning))
        return None
    if len(key) != 1 or key not in MENU_KEYS:
        walk.check.report(path, "menus.bad_key", key=key)
        return None
    fields = walk.record(path, spec, OPTION)
    if fields is None or not fields.complete:
        return None
    kind, name = fields["target"]
    return Option(key, fields["label"], **{kind: name})


def options(walk: Walk, path: KeyPath, value: Any) -> tuple[Option, ...] | None:
    """Read a menu's options, in key order; None when one of them is wrong."""
    given = walk.check.mapping(path, value) or {}
    if not given:
        walk.check.report(path, "menus.no_options")
    found = [option(walk, (*path, key), str(key), spec) for key, spec in given.items()]
    if None in found:
        return None
    return tuple(sorted((o for o in found if o), key=lambda o: o.key))


MENU_FILE = Record((Field("main_menu", as_written), Field("menus", as_written)))
MENU = Record((Field("title", text), Field("intro", text, required=False), Field("options", options)))

# prompts.yaml ------------------------------------------------------------------------------------------

PROMPTS_FILE = Record((Field("prompts", as_written),))
# A prompt is a text (zh, ko) with its recordings beside it; the loader reads the two in turn.
PROMPT = Record((*(Field(lang, as_written, required=False) for lang in LANGS),
                 Field("audio", as_written, required=False)))
