"""Changes to the menus files made from the console: edited in place with their comments, checked, then published.

Every edit turns the six files' texts into candidate texts. A candidate is checked exactly as `ivr validate`
checks a folder, in a scratch folder beside the live one (so `audio_dir: ../audio` finds the same recordings),
and only `publish_files` writes into the live folder, which the running service reloads within 2 s.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import hashlib
import io
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from merge3 import Merge3
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ivr.core.loader import FILES
from ivr.core.model import Hotline
from ivr.core.problems import Problem
from ivr.publishing import check_texts, folder_lock, store_and_write
from ivr.store.versions import PublishedVersions

CALENDAR_SECTIONS = ("closures", "openings", "special_days")
SlotPath = tuple[str | int, ...]


class EditError(ValueError):
    """An edit that cannot be applied to the file as it is (the entry is gone, the file does not parse).

    Its message is English, for the command line and the log; `words` names the console's sentence for it and
    `params` the values that sentence says (the console speaks the staff member's language).
    """

    def __init__(self, message: str, words: str = "edit_gone", **params: str) -> None:
        super().__init__(message)
        self.words = words
        self.params = params


def _yaml() -> YAML:
    """Return a round-trip YAML that writes the menus files back as they are laid out (checked by the tests)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line someone wrote on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise EditError(f"the file does not parse as YAML ({exc}); fix it in the raw editor first",
                        "edit_unparsable") from exc


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def read_texts(menus_dir: Path) -> dict[str, str]:
    """Return the text of each of the six menus files in a folder."""
    return {name: (menus_dir / name).read_text(encoding="utf-8") for name in FILES}


def digest(text: str) -> str:
    """Return a short fingerprint of a file's text, to notice that it changed since an edit began."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Edits of one file's text ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayEntry:
    """A closure, extra opening or special day as a form gives it: one date or a range, its name, its units."""

    name_zh: str
    name_ko: str
    day: date | None = None
    first: date | None = None
    last: date | None = None
    units: tuple[str, ...] = ()
    hours: tuple[str, ...] = ()  # a special day with hours of its own
    closes: str | None = None  # a special day closing early


def _quoted(value: str) -> str:
    # Times are always quoted: YAML 1.1 reads an unquoted 08:30 as a number of minutes.
    quoted: str = DoubleQuotedScalarString(value)
    return quoted


def _flow_map(pairs: Sequence[tuple[str, Any]]) -> CommentedMap:
    mapping = CommentedMap(pairs)
    mapping.fa.set_flow_style()
    return mapping


def _flow_seq(items: Sequence[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _entry_map(entry: DayEntry) -> CommentedMap:
    """Write an entry on one line, the way the examples in calendar.yaml's comments are written."""
    pairs: list[tuple[str, Any]] = [("date", entry.day)] if entry.day else [("from", entry.first), ("to", entry.last)]
    if entry.hours:
        pairs.append(("hours", _flow_seq([_quoted(h) for h in entry.hours])))
    if entry.closes:
        pairs.append(("closes", _quoted(entry.closes)))
    pairs.append(("name", _flow_map([("zh", entry.name_zh), ("ko", entry.name_ko)])))
    if entry.units:
        pairs.append(("units", _flow_seq(list(entry.units))))
    return _flow_map(pairs)


def _section(data: Any, section: str) -> CommentedSeq:
    if section not in CALENDAR_SECTIONS:
        raise EditError(f"{section} is not a list of calendar.yaml", "edit_file_shape", file="calendar.yaml")
    if not isinstance(data, CommentedMap):
        raise EditError("calendar.yaml does not hold a mapping", "edit_file_shape", file="calendar.yaml")
    seq = data.get(section)
    if seq is None:
        seq = data[section] = CommentedSeq()
    if not isinstance(seq, CommentedSeq):
        raise EditError(f"{section} in calendar.yaml is not a list", "edit_file_shape", file="calendar.yaml")
    return seq


def add_calendar_entry(text: str, section: str, entry: DayEntry) -> str:
    """Add a closure, an extra opening or a special day at the end of its list in calendar.yaml's text."""
    data = _load(text)
    seq = _section(data, section)
    seq.append(_entry_map(entry))
    seq.fa.set_block_style()  # `closures: []` becomes a list with one entry a line
    return _dump(data)


def remove_calendar_entry(text: str, section: str, index: int) -> str:
    """Remove one entry of closures, openings or special_days from calendar.yaml's text."""
    data = _load(text)
    seq = _section(data, section)
    if not 0 <= index < len(seq):
        raise EditError(f"{section} has no entry {index + 1} any more; open the page again")
    del seq[index]
    if not seq and seq.ca.end:
        # The comments after the list belong to its end; an empty list is written `[]` without them, so they
        # go back in front of the next key, where they were read from before the list had entries.
        keys = list(data)
        following = keys[keys.index(section) + 1:]
        if following:
            data.ca.items.setdefault(following[0], [None, None, None, None])[1] = seq.ca.end
        seq.ca.end = []
    return _dump(data)


def value_at(text: str, *path: str) -> Any:
    """Return the value at a key path of a file's text (None when absent), to fill in a form."""
    node = _load(text)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def calendar_entries(text: str, section: str) -> list[dict[str, Any]]:
    """Return the entries of a calendar.yaml list as plain values, in file order."""
    seq = _load(text).get(section) or []
    return [dict(entry) if isinstance(entry, dict) else {"value": entry} for entry in seq]


def _entry(data: Any, section: str, key: str) -> CommentedMap:
    """Return the mapping at section.key of a file (a schedule, a unit, a prompt) to edit in place."""
    entries = data.get(section) if isinstance(data, CommentedMap) else None
    found = entries.get(key) if isinstance(entries, CommentedMap) else None
    if not isinstance(found, CommentedMap):
        raise EditError(f"{section} has no entry '{key}'; open the page again")
    return found


def _slots(node: Any, path: SlotPath) -> Iterator[tuple[SlotPath, Any]]:
    """Yield each list of hours under a schedule's hours, with its path (season, then weekdays)."""
    if isinstance(node, list):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _slots(value, (*path, str(key)))


def hour_slots(text: str, schedule_id: str) -> list[tuple[SlotPath, list[str]]]:
    """Return every list of hours of a schedule (its hours, then each change's), with its key path."""
    schedule = _entry(_load(text), "schedules", schedule_id)
    return [(path, [str(period) for period in periods]) for path, periods in _slots_of(schedule)]


def set_schedule_hours(text: str, schedule_id: str, hours: Mapping[SlotPath, Sequence[str]]) -> str:
    """Replace lists of hours of a schedule in schedules.yaml's text, keeping each list's layout."""
    data = _load(text)
    slots = dict(_slots_of(_entry(data, "schedules", schedule_id)))
    for path, periods in hours.items():
        if path not in slots:
            raise EditError(f"schedule '{schedule_id}' has no hours at {path}; open the page again")
        seq = slots[path]
        if [str(p) for p in seq] != list(periods):
            del seq[:]  # in place, so that a flow list stays a flow list
            seq.extend(_quoted(p) for p in periods)
    return _dump(data)


def _slots_of(schedule: CommentedMap) -> Iterator[tuple[SlotPath, Any]]:
    yield from _slots(schedule.get("hours"), ("hours",))
    for index, change in enumerate(schedule.get("changes") or []):
        if isinstance(change, dict):
            yield from _slots(change.get("hours"), ("changes", index, "hours"))


def set_unit(text: str, unit_id: str, phone: str | None, schedule: str) -> str:
    """Change a unit's phone number (None: reached through the main line) and schedule in units.yaml's text."""
    data = _load(text)
    unit = _entry(data, "units", unit_id)
    if phone is None:
        unit.pop("phone", None)
    elif str(unit.get("phone")) != phone:
        if "phone" in unit:
            unit["phone"] = phone
        else:
            unit.insert(list(unit).index("name") + 1 if "name" in unit else 0, "phone", phone)
    if str(unit.get("schedule")) != schedule:
        unit["schedule"] = schedule
    return _dump(data)


def add_keyword(text: str, unit_id: str, keyword: str) -> str:
    """Add a word callers say for a unit at the end of its `keywords` in units.yaml's text (one list for both
    languages: the router reads a keyword's language from its script)."""
    data = _load(text)
    unit = _entry(data, "units", unit_id)
    keywords = unit.get("keywords")
    if keywords is None:
        keywords = unit["keywords"] = _flow_seq([])
    if not isinstance(keywords, CommentedSeq):
        raise EditError(f"units.{unit_id}.keywords in units.yaml is not a list; fix it in the raw editor first",
                        "edit_file_shape", file="units.yaml")
    if keyword in [str(k) for k in keywords]:
        raise EditError(f"'{keyword}' is already a keyword of unit '{unit_id}'", "keyword_known", word=keyword)
    keywords.append(keyword)  # in place, so that a flow list stays a flow list
    return _dump(data)


def set_prompt(text: str, prompt_id: str, texts: Mapping[str, str]) -> str:
    """Change what a prompt says in each language in prompts.yaml's text."""
    data = _load(text)
    prompt = _entry(data, "prompts", prompt_id)
    for lang, said in texts.items():
        if str(prompt.get(lang)) != said:
            prompt[lang] = said
    return _dump(data)


@dataclass(frozen=True)
class NoticeHoliday:
    """One holiday of a State Council notice as the notice states it: its days off and its make-up working days."""

    key: str  # the holiday's key in calendar.yaml's holiday_names, e.g. spring_festival
    first: date
    last: date
    workdays: tuple[date, ...] = ()


def set_notice(text: str, year: int, holidays: Sequence[NoticeHoliday]) -> str:
    """Write a year's notice under state_council in calendar.yaml's text, replacing any notice of that year."""
    data = _load(text)
    if not isinstance(data, CommentedMap):
        raise EditError("calendar.yaml does not hold a mapping", "edit_file_shape", file="calendar.yaml")
    notices = data.get("state_council")
    if notices is None:
        notices = data["state_council"] = CommentedMap()
    if not isinstance(notices, CommentedMap):
        raise EditError("state_council in calendar.yaml is not a mapping", "edit_file_shape", file="calendar.yaml")
    notices.fa.set_block_style()  # `state_council: {}` becomes a block with one year a line
    notice = CommentedMap()
    notice["holidays"] = CommentedSeq(_flow_map([("from", h.first), ("to", h.last), ("name", h.key)])
                                      for h in holidays)
    workdays = [_flow_map([("date", day), ("name", h.key)]) for h in holidays for day in h.workdays]
    if workdays:
        notice["workdays"] = CommentedSeq(workdays)
    # The year keeps the key form it was written with (2027 or "2027").
    key = next((k for k in notices if str(k) == str(year)), year)
    # The comments after the block (the next section's) are kept at the end of the last year's last list; they go
    # back in front of the next key, where they were read from before state_council had years.
    trailing = _pop_trailing(notices[key] if key in notices else notices[list(notices)[-1]] if notices else None)
    notices[key] = notice
    keys = list(data)
    following = keys[keys.index("state_council") + 1:]
    if trailing and following:
        data.ca.items.setdefault(following[0], [None, None, None, None])[1] = trailing
    elif trailing:
        _tail(notices[list(notices)[-1]]).ca.end = trailing
    return _dump(data)


def _tail(node: Any) -> Any:
    """Return the last list or mapping inside a node, where ruamel.yaml keeps the comments that follow it."""
    while isinstance(node, (CommentedMap, CommentedSeq)) and node:
        child = node[list(node)[-1]] if isinstance(node, CommentedMap) else node[-1]
        if not isinstance(child, (CommentedMap, CommentedSeq)) or child.fa.flow_style():
            return node
        node = child
    return node


def _pop_trailing(node: Any) -> list[Any]:
    """Take the comment lines that follow a block (kept at the end of its last list or mapping)."""
    tail = _tail(node)
    if not isinstance(tail, (CommentedMap, CommentedSeq)):
        return []
    found = list(tail.ca.end or [])
    tail.ca.end = []
    return found


def notice_in(text: str, year: int) -> list[NoticeHoliday]:
    """Return the notice of a year written in calendar.yaml's text (empty when none), to fill in the form."""
    notices = value_at(text, "state_council")
    notice = next((v for k, v in (notices or {}).items() if str(k) == str(year)), None) \
        if isinstance(notices, dict) else None
    if not isinstance(notice, dict):
        return []
    found: dict[str, NoticeHoliday] = {}
    for entry in (e for e in notice.get("holidays") or [] if isinstance(e, dict)):
        first, last = (entry.get("from"), entry.get("to")) if "from" in entry else (entry.get("date"),) * 2
        if isinstance(first, date) and isinstance(last, date) and entry.get("name") not in found:
            found[str(entry.get("name"))] = NoticeHoliday(str(entry.get("name")), first, last)
    for entry in (e for e in notice.get("workdays") or [] if isinstance(e, dict)):
        held = found.get(str(entry.get("name")))
        if held is not None and isinstance(entry.get("date"), date):
            found[held.key] = dataclasses.replace(held, workdays=(*held.workdays, entry["date"]))
    return list(found.values())


# Checking and publishing candidate texts ---------------------------------------------------------------


def changed_files(current: Mapping[str, str], candidate: Mapping[str, str]) -> dict[str, str]:
    """Return the candidate texts that differ from the current ones."""
    return {name: text for name, text in candidate.items() if current.get(name) != text}


def text_diff(menus_dir: Path, current: Mapping[str, str], candidate: Mapping[str, str]) -> str:
    """Return a unified diff of the candidate against the current texts, naming the live files."""
    lines: list[str] = []
    for name, text in changed_files(current, candidate).items():
        shown = f"{menus_dir.name}/{name}"
        lines.extend(difflib.unified_diff(current.get(name, "").splitlines(), text.splitlines(),
                                          shown, shown, n=1, lineterm=""))
    return "\n".join(lines)


@contextlib.contextmanager
def candidate_folder(menus_dir: Path, texts: Mapping[str, str]) -> Iterator[Path]:
    """Write the live files with the candidate texts over them into a scratch folder beside the live one."""
    scratch = Path(tempfile.mkdtemp(prefix=f".{menus_dir.name}-candidate-", dir=menus_dir.parent))
    try:
        for name, text in {**read_texts(menus_dir), **texts}.items():
            (scratch / name).write_text(text, encoding="utf-8")
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_candidate(menus_dir: Path, texts: Mapping[str, str]) -> tuple[Hotline | None, list[Problem]]:
    """Check the live files with the candidate texts over them as `ivr validate` does, naming menus/<file>."""
    hotline, problems = check_texts(menus_dir, {**read_texts(menus_dir), **texts})
    return hotline, [_renamed(problem, str(menus_dir).rstrip("/"), menus_dir.name) for problem in problems]


def _renamed(problem: Problem, folder: str, shown: str) -> Problem:
    """Say menus/units.yaml where the checker named the folder by its whole path."""
    if problem.file == folder or problem.file.startswith(folder + "/"):
        return dataclasses.replace(problem, file=shown + problem.file[len(folder):])
    return problem


def publish_files(menus_dir: Path, texts: Mapping[str, str], based_on: Mapping[str, str] | None = None,
                  versions: PublishedVersions | None = None, author: str = "", note: str = "",
                  base: int | None = None) -> list[Problem]:
    """Check the candidate texts and, when they have no error, publish them: a new version made from version
    `base` (when the server keeps versions, so every server follows it) and the changed files written into the
    live folder.

    Returns every problem found (warnings included); when any is an error, nothing was written. based_on maps
    file names to the digest of the text the edit started from: a file changed since then is refused. Raise
    NewerVersion when a version other than `base` is the newest (nothing is written), StoreUnavailable when
    versions are kept and the database cannot be reached.
    """
    with folder_lock(menus_dir):
        if versions is not None:
            versions.check_base(base)  # said before the folder's own check, which would name no one
        current = read_texts(menus_dir)
        stale = [name for name, seen in (based_on or {}).items() if digest(current.get(name, "")) != seen]
        if stale:
            return [Problem.of(f"{menus_dir.name}/{name}", None, "", "file.changed_meanwhile") for name in stale]
        _, problems = check_candidate(menus_dir, texts)
        if any(problem.severity == "error" for problem in problems):
            return problems
        store_and_write(versions, menus_dir, {**current, **texts}, author, note, problems, base)
        return problems


@dataclass(frozen=True)
class Merged:
    """An edit made again on newer texts: each edited file's text, and the files where both changed the same lines
    (their text holds both, between <<<<<<< and >>>>>>> lines, for staff to choose)."""

    texts: dict[str, str]
    conflicts: tuple[str, ...]


def merge_edit(base: Mapping[str, str] | None, edit: Mapping[str, str], newer: Mapping[str, str],
               edit_label: str, newer_label: str) -> Merged:
    """Make an edit of `base`'s texts again on `newer`'s texts (a three-way merge, file by file).

    Without base (an edit whose starting version is unknown), every edited file is a conflict holding both texts.
    """
    texts: dict[str, str] = {}
    conflicts: list[str] = []
    for name, text in edit.items():
        merge = Merge3((base or {}).get(name, "").splitlines(keepends=True), text.splitlines(keepends=True),
                       newer.get(name, "").splitlines(keepends=True))
        lines = list(merge.merge_lines(name_a=edit_label, name_b=newer_label))
        # A file's last line without its newline would run into a marker line.
        texts[name] = "".join(line if line.endswith("\n") else line + "\n" for line in lines[:-1]) + \
            (lines[-1] if lines else "")
        if any(group[0] == "conflict" for group in merge.merge_groups()):
            conflicts.append(name)
    return Merged(texts, tuple(conflicts))


# Hours by weekday and season, and a schedule of an office's own ------------------------------------------------

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# One week's hours: weekday (0 = Monday) -> its periods ("08:30-12:00"); each season has one.
Week = Mapping[int, Sequence[str]]


def _day_groups(week: Week) -> list[tuple[str, list[str]]]:
    """Group consecutive weekdays with the same hours into ranges: {0-3: a, 4: b} -> [("mon-thu", a), ("fri", b)]."""
    groups: list[tuple[int, int, list[str]]] = []
    for day in sorted(week):
        periods = list(week[day])
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == periods:
            groups[-1] = (groups[-1][0], day, periods)
        else:
            groups.append((day, day, periods))
    return [(WEEKDAY_KEYS[first] if first == last else f"{WEEKDAY_KEYS[first]}-{WEEKDAY_KEYS[last]}", periods)
            for first, last, periods in groups]


def _week_node(week: Week, by_weekday: bool = False) -> Any:
    """A week as schedules.yaml writes it: one flow list when every day has the same hours, else by weekday (always
    by weekday when the working days are the week's own, not the schedule's days:)."""
    groups = _day_groups(week)
    if len(groups) == 1 and not by_weekday:
        return _flow_seq([_quoted(p) for p in groups[0][1]])
    return _flow_map([(key, _flow_seq([_quoted(p) for p in periods])) for key, periods in groups])


def week_hours_node(weeks: Mapping[str, Week]) -> Any:
    """Return a schedule's hours: node for weeks by season, the seasons left out when every season is alike."""
    first = next(iter(weeks.values()))
    normal = {season: {day: list(p) for day, p in week.items()} for season, week in weeks.items()}
    if all(week == normal[next(iter(normal))] for week in normal.values()):
        return _week_node(first)
    # Seasons with working days of their own (Saturdays in summer only) name their days: no days: can serve both.
    own_days = len({frozenset(week) for week in weeks.values()}) > 1
    hours = CommentedMap()
    for season, week in weeks.items():
        hours[season] = _week_node(week, by_weekday=own_days)
    return hours


def _days_node(days: frozenset[int]) -> CommentedSeq:
    """Write working days as schedules.yaml's comments do: runs of weekdays as ranges, [mon-fri] or [mon-fri, sun]."""
    return _flow_seq([key for key, _ in _day_groups(dict.fromkeys(days, ()))])


def _written_days(node: Any) -> frozenset[int] | None:
    """Read a days: list as written ([mon-fri], [mon, tue]); None when it is not one the form can read."""
    if not isinstance(node, list):
        return None
    found: set[int] = set()
    for item in node:
        parts = [part.strip().lower() for part in str(item).split("-")]
        if len(parts) > 2 or any(part not in WEEKDAY_KEYS for part in parts):
            return None
        found |= set(range(WEEKDAY_KEYS.index(parts[0]), WEEKDAY_KEYS.index(parts[-1]) + 1))
    return frozenset(found)


def _working_days(weeks: Mapping[str, Week]) -> frozenset[int]:
    return frozenset(day for week in weeks.values() for day in week)


def _write_days(node: CommentedMap, days: frozenset[int]) -> None:
    """Give a schedule or a change the days: it needs, before its hours:, keeping a list that already says them."""
    if _written_days(node.get("days")) == days:
        return
    if "days" in node:
        node["days"] = _days_node(days)
    else:
        node.insert(list(node).index("hours") if "hours" in node else len(node), "days", _days_node(days))


def _write_versions(schedule: CommentedMap, versions: Sequence[Mapping[str, Week]], changed: Collection[int]) -> None:
    """Write the hours of the versions in `changed` (0: the hours before any change; i: the i-th change from a date)
    into a schedule, with the working days each needs.

    A flat list of hours needs days:; a change without days: keeps the working days of the version before it, so it
    gets a days: of its own when its working days differ. A version not changed keeps its text as written.
    """
    changes = schedule.get("changes")
    nodes: list[Any] = [schedule, *(changes if isinstance(changes, list) else [])]
    if len(nodes) != len(versions):
        raise EditError("the schedule's changes from a date are not those the form was opened on; open it again")
    for index, (node, weeks) in enumerate(zip(nodes, versions, strict=True)):
        if not isinstance(node, CommentedMap):
            raise EditError("a change of this schedule is not a mapping; fix it in the raw editor first",
                            "edit_fix_raw", file="schedules.yaml")
        days = _working_days(weeks)
        inherited = _working_days(versions[index - 1]) if index else None
        if index in changed:
            hours = week_hours_node(weeks)
            flat = isinstance(hours, list) or any(isinstance(week, list) for week in
                                                   (hours.values() if isinstance(hours, dict) else ()))
            node["hours"] = hours
            if len({frozenset(week) for week in weeks.values()}) > 1 and index == 0:
                node.pop("days", None)  # each season names its own working days
            elif "days" in node or (flat and index == 0) or (index and days != inherited):
                _write_days(node, days)
        elif index and "days" not in node and days != inherited:
            _write_days(node, days)  # the version before it gained or lost a working day


def set_week_hours(text: str, schedule_id: str, versions: Sequence[Mapping[str, Week]],
                   changed: Collection[int] | None = None) -> str:
    """Write a schedule's hours by version (0: before any change from a date, then each change), season and
    weekday in schedules.yaml's text, with the working days they give (a weekday added or taken away); its name and
    the comments around it stay."""
    data = _load(text)
    schedule = _entry(data, "schedules", schedule_id)
    _write_versions(schedule, versions, range(len(versions)) if changed is None else changed)
    return _dump(data)


def free_schedule_id(text: str, wanted: str) -> str:
    """Return `wanted`, or `wanted_own`, `wanted_own2`... : the first id no schedule of schedules.yaml has."""
    data = _load(text)
    taken = set(data.get("schedules") or {}) if isinstance(data, CommentedMap) else set()
    candidates = [wanted, f"{wanted}_own", *(f"{wanted}_own{n}" for n in range(2, 100))]
    return next(c for c in candidates if c not in taken)


def add_own_schedule(schedules_text: str, units_text: str, unit_id: str, new_id: str, copy_of: str,
                     name: Mapping[str, str], versions: Sequence[Mapping[str, Week]],
                     changed: Collection[int] | None = None) -> tuple[str, str]:
    """Give a unit a schedule of its own: `new_id`, named `name`, a copy of `copy_of` (working days, hours, changes
    from a date) with the hours of the versions in `changed` as given, written after the other schedules; the unit's
    schedule: then names it.

    Return the new texts of schedules.yaml and units.yaml.
    """
    data = _load(schedules_text)
    source = _entry(data, "schedules", copy_of)
    schedules = data["schedules"]
    if new_id in schedules:
        raise EditError(f"schedules already has '{new_id}'; open the page again")
    own = CommentedMap()
    own["name"] = _flow_map([(lang, text) for lang, text in name.items()])
    for key in ("days", "hours", "changes"):
        if key in source:
            own[key] = copy.deepcopy(source[key])
    _write_versions(own, versions, range(len(versions)) if changed is None else changed)
    schedules[new_id] = own
    units = _load(units_text)
    unit = _entry(units, "units", unit_id)
    unit["schedule"] = new_id
    return _dump(data), _dump(units)


# Offices: added, renamed or removed in units.yaml with their keys in menu.yaml, in one edit -------------------


@dataclass(frozen=True)
class NewOffice:
    """An office as the form gives it; its address, postcode and schedule are its parent's until edited."""

    id: str
    kind: str
    name: Mapping[str, str]
    summary: Mapping[str, str]
    keywords: tuple[str, ...]
    phone: str | None
    parent: str
    menu: str
    key: str
    label: Mapping[str, str]


def _options(menu_data: Any, menu_id: str) -> CommentedMap:
    menu = _entry(menu_data, "menus", menu_id)
    options = menu.get("options")
    if not isinstance(options, CommentedMap):
        raise EditError(f"menu '{menu_id}' has no options; open the page again", "edit_file_shape", file="menu.yaml")
    return options


def add_office(units_text: str, menu_text: str, office: NewOffice) -> tuple[str, str]:
    """Add an office after the others in units.yaml and its key in a menu of menu.yaml; return both texts."""
    units = _load(units_text)
    parent = _entry(units, "units", office.parent)
    declared = units["units"]
    if office.id in declared:
        raise EditError(f"units already has '{office.id}'; choose another id", "edit_office_taken", id=office.id)
    unit = CommentedMap()
    unit["kind"] = office.kind
    if office.kind != "bureau":
        unit["parent"] = office.parent
    unit["name"] = CommentedMap(office.name)
    if office.phone:
        unit["phone"] = office.phone
    # The parent's own objects: an address written once with an anchor (&jinshui_416) is written as its alias.
    unit["address"] = parent["address"]
    unit["postcode"] = parent["postcode"]
    unit["schedule"] = parent["schedule"]
    unit["summary"] = CommentedMap(office.summary)
    unit["keywords"] = _flow_seq(list(office.keywords))
    declared[office.id] = unit
    menu = _load(menu_text)
    options = _options(menu, office.menu)
    if office.key in options:
        raise EditError(f"key {office.key} of menu '{office.menu}' is taken; choose a free key", "edit_key_taken",
                        press=office.key, menu=office.menu)
    label = _flow_map([(lang, _quoted(text)) for lang, text in office.label.items()])
    options[DoubleQuotedScalarString(office.key)] = CommentedMap([("label", label), ("unit", office.id)])
    return _dump(units), _dump(menu)


def rename_office(units_text: str, menu_text: str, unit_id: str, name: Mapping[str, str],
                  label: Mapping[str, str] | None) -> tuple[str, str]:
    """Give an office new names in units.yaml and, when given, a new label to every key that reaches it."""
    units = _load(units_text)
    written = _entry(units, "units", unit_id)["name"]
    for lang, text in name.items():
        if str(written.get(lang)) != text:
            written[lang] = text
    menu = _load(menu_text)
    if label is not None:
        for _, options in _menus_options(menu):
            for option in options.values():
                if isinstance(option, dict) and option.get("unit") == unit_id and isinstance(option.get("label"), dict):
                    for lang, text in label.items():
                        if str(option["label"].get(lang)) != text:
                            option["label"][lang] = _quoted(text)
    return _dump(units), _dump(menu)


def remove_office(units_text: str, menu_text: str, unit_id: str) -> tuple[str, str]:
    """Remove an office from units.yaml and every key that reaches it from menu.yaml."""
    units = _load(units_text)
    _entry(units, "units", unit_id)
    del units["units"][unit_id]
    menu = _load(menu_text)
    for _, options in _menus_options(menu):
        for key in [k for k, option in options.items() if isinstance(option, dict) and option.get("unit") == unit_id]:
            del options[key]
    return _dump(units), _dump(menu)


def office_keys(menu_text: str, unit_id: str) -> list[tuple[str, str]]:
    """Return the (menu, key) pairs that reach an office."""
    return [(menu_id, str(key)) for menu_id, options in _menus_options(_load(menu_text))
            for key, option in options.items() if isinstance(option, dict) and option.get("unit") == unit_id]


def _menus_options(menu: Any) -> Iterator[tuple[str, CommentedMap]]:
    menus = menu.get("menus") if isinstance(menu, CommentedMap) else None
    for menu_id, spec in (menus or {}).items():
        options = spec.get("options") if isinstance(spec, dict) else None
        if isinstance(options, CommentedMap):
            yield str(menu_id), options
