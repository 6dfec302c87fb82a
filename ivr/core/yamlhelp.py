"""Explains YAML syntax errors in the staff's words, at the line the mistake is on, with the fix.

PyYAML notices some mistakes only on the line after them (`phone:0433…` is read as text until the next key
shows it was meant as a key), so the explanations look at the line the parser names and at the lines above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A key as staff write them: a name, or a quoted menu key such as "1".
_KEY = r'(?:[A-Za-z_][\w-]*|"[^"\n]*"|\'[^\'\n]*\')'
_NO_SPACE = re.compile(rf"^(?P<indent>\s*(?:-\s+)?)(?P<key>{_KEY}):(?P<value>[^\s:/].*)$")
_FULL_WIDTH = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[^\s#:：'\"\[{][^:：#]*?)\s*：\s*(?P<value>.*)$")
_TAB_AFTER = re.compile(rf"^(?P<indent>\s*(?:-\s+)?)(?P<key>{_KEY}):\t+(?P<value>.*)$")
_TAB_AFTER_DASH = re.compile(r"^(?P<indent>\s*)-\t+(?P<value>.*)$")
_NO_COLON = re.compile(rf"^(?P<indent>\s*)(?P<key>{_KEY}) +(?P<value>[^\s:#][^:]*)$")
_COLON_IN_VALUE = re.compile(rf"^(?P<indent>\s*(?:-\s+)?)(?P<key>{_KEY}): +(?P<value>[^\s\"'\[{{|>&*!#][^#]*?: .*)$")
_CLOSERS = {"[": "]", "{": "}"}


@dataclass(frozen=True)
class Explanation:
    """A syntax mistake: the line it is on, and the catalogued message (ivr.core.wording) that says what is
    wrong and how to write it, with its parameters."""

    line: int
    wording: str
    params: tuple[tuple[str, str | int], ...] = ()


def _explained(line: int, wording: str, **params: str | int) -> Explanation:
    return Explanation(line, wording, tuple(params.items()))


def explain_syntax_error(text: str, line: int) -> Explanation | None:
    """Explain the mistake behind a syntax error the parser reports at a line, when it is a familiar one."""
    lines = text.splitlines()
    if not lines or line < 1:
        return None
    line = min(line, len(lines))  # a bracket left open is found at the end of the file, past its last line
    explainers: tuple[Callable[[list[str], int], Explanation | None], ...] = (
        _tab_indentation, _tab_after_colon, _full_width_colon, _missing_space, _colon_in_value, _unclosed_quote,
        _unclosed_bracket, _missing_colon, _bad_indentation)
    candidates = [line, *_content_lines_before(lines, line, 1)]
    for explain in explainers:
        for number in candidates:
            found = explain(lines, number)
            if found is not None:
                return found
    return None


def _tab_indentation(lines: list[str], number: int) -> Explanation | None:
    content = lines[number - 1]
    if "\t" not in content[: len(content) - len(content.lstrip())]:
        return None
    return _explained(number, "syntax.tab_indent")


def _tab_after_colon(lines: list[str], number: int) -> Explanation | None:
    content = lines[number - 1]
    match = _TAB_AFTER.match(content)
    if match:
        fixed = f"{match['indent']}{match['key']}: {match['value']}".strip()
        return _explained(number, "syntax.tab_after_colon", key=match["key"], fixed=fixed)
    dash = _TAB_AFTER_DASH.match(content)
    if dash:
        return _explained(number, "syntax.tab_after_dash", fixed=f"- {dash['value']}")
    return None


def _full_width_colon(lines: list[str], number: int) -> Explanation | None:
    match = _FULL_WIDTH.match(lines[number - 1])
    if match is None:
        return None
    fixed = f"{match['key']}: {match['value']}".rstrip()
    return _explained(number, "syntax.full_width_colon", key=match["key"], fixed=fixed)


def _missing_space(lines: list[str], number: int) -> Explanation | None:
    match = _NO_SPACE.match(lines[number - 1])
    if match is None:
        return None
    written = f"{match['key']}:{match['value']}".rstrip()
    fixed = f"{match['key']}: {match['value']}".rstrip()
    return _explained(number, "syntax.no_space_after_colon", written=written, fixed=fixed)


def _colon_in_value(lines: list[str], number: int) -> Explanation | None:
    match = _COLON_IN_VALUE.match(lines[number - 1])
    if match is None:
        return None
    value = match["value"].rstrip()
    return _explained(number, "syntax.colon_in_value", key=match["key"], value=value)


def _unclosed_quote(lines: list[str], number: int) -> Explanation | None:
    for candidate in [number, *_content_lines_before(lines, number, 5)]:
        content = lines[candidate - 1].split(" #")[0].rstrip()
        opened = _open_quote(content)
        if opened:
            return _explained(candidate, "syntax.unclosed_quote", quote=opened, fixed=f"{content.strip()}{opened}")
    return None


def _open_quote(content: str) -> str:
    """Return the quote mark a line opens and leaves open, if any (a quote inside a word is an apostrophe)."""
    quote = ""
    for i, char in enumerate(content):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and (i == 0 or content[i - 1] in " [{,:"):
            quote = char
    return quote


def _missing_colon(lines: list[str], number: int) -> Explanation | None:
    match = _NO_COLON.match(lines[number - 1])
    here = _indent(lines[number - 1])
    siblings = [n for n in _content_lines_before(lines, number, 1) if _indent(lines[n - 1]) == here]
    if match is None or not siblings or ":" not in lines[siblings[0] - 1]:
        return None
    return _explained(number, "syntax.missing_colon", key=match["key"],
                      fixed=f"{match['key']}: {match['value'].rstrip()}")


def _unclosed_bracket(lines: list[str], number: int) -> Explanation | None:
    for candidate in [number, *_content_lines_before(lines, number, 5)]:
        unclosed = _unclosed(lines[candidate - 1])
        if unclosed:
            closers = "".join(_CLOSERS[opener] for opener in reversed(unclosed))
            fixed = lines[candidate - 1].strip() + closers
            wording = "syntax.unclosed_list" if unclosed[-1] == "[" else "syntax.unclosed_mapping"
            return _explained(candidate, wording, opener=unclosed[-1], closers=closers, fixed=fixed)
    return None


def _unclosed(content: str) -> list[str]:
    """Return the brackets a line opens and does not close, ignoring quoted text and comments."""
    stack: list[str] = []
    quote = ""
    for char in content:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in _CLOSERS:
            stack.append(char)
        elif char in "]}" and stack and _CLOSERS[stack[-1]] == char:
            stack.pop()
    return stack


def _bad_indentation(lines: list[str], number: int) -> Explanation | None:
    """A line indented to no level the lines above open; or a line above pulled out of its block."""
    before = _content_lines_before(lines, number, 2)
    here = _indent(lines[number - 1])
    if len(before) == 2:
        previous, earlier = before
        # postcode (4), head (2), schedule (4): the line in the middle was pulled out of its block.
        if _indent(lines[earlier - 1]) == here > _indent(lines[previous - 1]) and not _opens_block(lines[earlier - 1]):
            return _misindented(lines, previous, here)
    allowed = _allowed_indents(lines, number)
    if not before or here in allowed:
        return None
    if _opens_block(lines[before[0] - 1]) and here > _indent(lines[before[0] - 1]):
        return None
    following = next((_indent(lines[n]) for n in range(number, len(lines)) if _is_content(lines[n])), None)
    nearest = min(allowed, key=lambda level: (level != following, abs(level - here), level))
    return _misindented(lines, number, nearest)


def _misindented(lines: list[str], number: int, wanted: int) -> Explanation:
    content = lines[number - 1]
    return _explained(number, "syntax.indent", given=_indent(content), wanted=wanted,
                      fixed=f"{' ' * wanted}{content.strip()}")


def _allowed_indents(lines: list[str], number: int) -> set[int]:
    """Indentations a line may have: that of the line above, or of any block that encloses it."""
    allowed: set[int] = set()
    smallest: int | None = None
    for n in range(number - 1, 0, -1):
        if not _is_content(lines[n - 1]):
            continue
        level = _indent(lines[n - 1])
        if smallest is None or level < smallest:
            allowed.add(level)
            smallest = level
    return allowed


def _opens_block(content: str) -> bool:
    stripped = content.split(" #")[0].rstrip()
    return stripped.endswith(":") or stripped.endswith("-") or stripped.endswith(("|", ">"))


def _indent(content: str) -> int:
    return len(content) - len(content.lstrip(" "))


def _is_content(content: str) -> bool:
    stripped = content.strip()
    return bool(stripped) and not stripped.startswith("#")


def _content_lines_before(lines: list[str], number: int, count: int) -> list[int]:
    """Return the numbers of up to `count` lines above `number` that hold more than blanks or a comment."""
    found: list[int] = []
    for n in range(number - 1, 0, -1):
        if len(found) == count:
            break
        if _is_content(lines[n - 1]):
            found.append(n)
    return found
