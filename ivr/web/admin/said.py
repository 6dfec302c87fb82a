"""What the service writes down in its own terms, said in the console's language: the notes and authors of
menus versions the service publishes itself, the audit log's actions and details, a prompt by what it says, a
schedule's lists of hours, a call's dial status, the records database's state.

The records keep what they always kept (the command line and older rows read the same); the console reads the
forms the service writes and says them in the viewer's language, and shows anything else as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from ivr.core.hoursfile import WEEKDAYS
from ivr.core.model import Hotline, Lang, Prompt
from ivr.menu_edits import EditError
from ivr.web.admin import bp, lang
from ivr.web.admin.i18n import translate

# How long a prompt's words name it in a list or a title.
PROMPT_SHOWN = 24

# The notes the service writes on the versions it publishes itself (ivr/publishing.py, ivr/web/following.py).
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"restore of version (?P<number>\d+)"), "note_restore"),
    (re.compile(r"the first version, from (?P<folder>.+)"), "note_first_version"),
    (re.compile(r"the first version"), "note_first_version_here"),
    (re.compile(r"edited in (?P<folder>.+?) while the database was not followed"), "note_edited_offline"),
    (re.compile(r"edited in (?P<folder>.+)"), "note_edited_in_folder"),
)
# The author of a version published from a hand edit of the folder (ivr/web/following.py).
_FILE_EDIT = re.compile(r"file edit on (?P<host>.+)")
# The audit log's details as the console and the command line write them, by action.
_DETAILS: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "staff_add": ((re.compile(r"(?P<name>\S+) as (?P<role>viewer|editor|admin)"), "audit_as_role"),),
    "staff_unlock": ((re.compile(r"(?P<name>\S+) \((?P<n>\d+) locked addresses\)"), "audit_unlocked"),),
    "login": ((re.compile(r"role (?P<role>viewer|editor|admin)"), "audit_role"),),
    "login_failed": ((re.compile(r"locked until (?P<until>.+)"), "audit_locked_until"),),
    "login_slowed": ((re.compile(r"too many failed logins"), "audit_too_many"),),
    "menus_restored": ((re.compile(r"version (?P<number>\d+) as version (?P<new>\d+)"), "audit_restored"),),
    "menus_publish_refused": ((re.compile(r"(?P<files>.+): made on version (?P<base>\S+), version (?P<number>\d+) "
                                          r"is newer"), "audit_publish_refused"),),
    "called_back": ((re.compile(r"voice message (?P<number>\d+) from (?P<caller>.*)"), "audit_message"),),
    "called_back_undone": ((re.compile(r"voice message (?P<number>\d+) from (?P<caller>.*)"), "audit_message"),),
}
_PLACEHOLDER = re.compile(r"\{(?P<name>[a-z_]+)(?::[^{}]*)?\}")


def _matched(text: str, forms: tuple[tuple[re.Pattern[str], str], ...], chosen: Lang,
             fill: Callable[[dict[str, str]], dict[str, object]] = dict) -> str | None:
    for pattern, key in forms:
        found = pattern.fullmatch(text)
        if found:
            return translate(key, chosen, **fill(found.groupdict()))
    return None


def version_note(note: str, chosen: Lang) -> str:
    """Say a version's note in the viewer's language when the service wrote it; staff's own notes as written."""
    return _matched(note, _NOTES, chosen) or note


def version_author(author: str, chosen: Lang) -> str:
    """Say who published a version: a staff member's name, or a hand edit of the menus folder on a server."""
    found = _FILE_EDIT.fullmatch(author)
    return translate("author_file_edit", chosen, host=found.group("host")) if found else author


def audit_action(action: str, chosen: Lang) -> str:
    """Say an audit entry's action in words (an action the console does not know is shown as written)."""
    key = f"audit_{action}"
    return translate(key, chosen) if key in _known() else action


def audit_detail(action: str, detail: str | None, chosen: Lang) -> str:
    """Say an audit entry's detail in words when the service wrote it in one of its forms; else as written."""
    if not detail:
        return ""

    def fill(groups: dict[str, str]) -> dict[str, object]:
        if "role" in groups:
            return {**groups, "role": translate(f"role_{groups['role']}", chosen)}
        return dict(groups)

    return _matched(detail, _DETAILS.get(action, ()), chosen, fill) or detail


def prompt_title(prompt: Prompt, chosen: Lang) -> str:
    """Name a prompt by the beginning of what it says in the viewer's language, its blanks said in words."""
    said = placeholders_in_words(prompt.text(chosen), chosen)
    return said if len(said) <= PROMPT_SHOWN else said[:PROMPT_SHOWN].rstrip() + "…"


def placeholders_in_words(text: str, chosen: Lang) -> str:
    """Write a prompt's blanks ({unit}, {label:은}) as what fills them, in the viewer's language: 〔单位〕."""

    def word(found: re.Match[str]) -> str:
        key = f"blank_{found.group('name')}"
        return translate("blank", chosen, what=translate(key, chosen)) if key in _known() else found.group(0)

    return _PLACEHOLDER.sub(word, text)


def slot_words(hotline: Hotline, path: tuple[str | int, ...], changes: list[Any], chosen: Lang) -> str:
    """Say which list of a schedule's hours a field holds: its season and days, and the date a change starts."""
    parts: list[str] = []
    seasons = {season.id: season for season in hotline.seasons}
    for i, step in enumerate(path):
        if step in ("hours", "changes") or isinstance(step, int):
            if step == "changes" and i + 1 < len(path) and isinstance(path[i + 1], int):
                index = int(path[i + 1])
                starts = changes[index].get("from") if index < len(changes) and isinstance(changes[index], dict) \
                    else None
                parts.append(translate("from_day", chosen, day=starts if isinstance(starts, date) else str(starts)))
            continue
        name = str(step)
        if name in seasons:
            parts.append(seasons[name].name(chosen))
        else:
            parts.append(weekdays_in_words(name, chosen))
    return " ".join(parts) if parts else translate("all_year", chosen)


def weekdays_in_words(spec: str, chosen: Lang) -> str:
    """Say a schedule's weekdays (mon-thu, fri, sat, sun) in words: 周一至周四."""
    days = spec.split("-")
    if not days or any(day not in WEEKDAYS for day in days) or len(days) > 2:
        return spec
    said = [translate(f"weekday_{WEEKDAYS.index(day)}", chosen) for day in days]
    return translate("day_range", chosen, first=said[0], last=said[1]) if len(said) == 2 else said[0]


def dial_status(status: str, chosen: Lang) -> str:
    """Say how a forwarded call's line ended (completed, busy, no-answer, failed, canceled) in words."""
    key = f"dial_{status.replace('-', '_')}"
    return translate(key, chosen) if key in _known() else status


def database_state(state: str, chosen: Lang) -> tuple[str, str]:
    """Say the records database's state in words, with the driver's own reason (in English) apart."""
    if state == "ok":
        return translate("database_ok", chosen), ""
    return translate("database_unreachable", chosen), state


def _known() -> Mapping[str, object]:
    from ivr.web.admin.i18n import WORDS

    return WORDS


@bp.app_context_processor
def said_in_words() -> dict[str, Any]:
    """Give every template these sayings, in the request's language."""
    chosen = lang

    return {
        "note_words": lambda note: version_note(note, chosen()),
        "author_words": lambda author: version_author(author, chosen()),
        "audit_action_words": lambda action: audit_action(action, chosen()),
        "audit_detail_words": lambda action, detail: audit_detail(action, detail, chosen()),
        "prompt_words": lambda prompt: prompt_title(prompt, chosen()),
        "blanks_in_words": lambda text: placeholders_in_words(text, chosen()),
        "dial_words": lambda status: dial_status(status, chosen()),
        "database_words": lambda state: database_state(state, chosen()),
        "diff_words": lambda diff: diff_words(diff, chosen()),
    }


_DIFF_LABEL = re.compile(r"^(?P<side>---|\+\+\+) (?:version (?P<number>\d+)|(?P<nothing>nothing))(?=/|$)", re.M)


def diff_words(diff: str | None, chosen: Lang) -> str:
    """Name the two sides of a difference between versions in words (第 3 版/units.yaml); the lines are the files'."""

    def label(found: re.Match[str]) -> str:
        if found.group("nothing"):
            return f"{found.group('side')} {translate('diff_nothing', chosen)}"
        return f"{found.group('side')} {translate('diff_version', chosen, number=found.group('number'))}"

    return _DIFF_LABEL.sub(label, diff or "")


def edit_refusal(error: EditError, hotline: Hotline, chosen: Lang) -> str:
    """Say why an edit does not apply to the files as they are now, in the staff member's language."""
    params: dict[str, object] = dict(error.params)
    menu = hotline.menus.get(str(params.get("menu")))
    if menu is not None:
        params["menu"] = menu.title(chosen)  # a menu by its title, not its id
    return translate(error.words, chosen, **params)
