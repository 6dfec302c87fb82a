"""Reads YAML with safe_load semantics while keeping the line of every key for error messages.

Menus files come from people, and sometimes from attackers: size, nesting depth, node count and alias
expansion are bounded before anything is built, so a hostile file is a located problem, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ivr.core.problems import Problem, quote_line
from ivr.core.yamlhelp import explain_syntax_error

KeyPath = tuple[str | int, ...]

# Limits no real hotline comes near (the bundled menus are about 15 kB, 6 levels deep and 2,000 nodes a
# file; a generated hotline of 2,000 units about 1 MB) and every YAML bomb passes at once.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 400_000
_STRING_TAG = "tag:yaml.org,2002:str"
# The C parser (libyaml) reads a file ten times faster; the pure-Python one gives the same events.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDocument:
    """A parsed YAML file: plain data plus the line where each key path starts."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    raw: dict[KeyPath, str] = field(default_factory=dict)  # scalars as written, before YAML typed them
    source: tuple[str, ...] = ()  # the file's lines, to quote the line a problem is on

    def source_line(self, line: int | None) -> str:
        """Return a line of the file as written (empty when unknown), to quote it beside a problem."""
        return quote_line(self.source, line)

    def written(self, path: KeyPath) -> str | None:
        """Return a scalar exactly as the person wrote it (04333623441, not the octal number YAML reads)."""
        return self.raw.get(path)

    def line(self, path: KeyPath) -> int | None:
        """Return the line of the nearest located ancestor of path."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def format_key_path(path: KeyPath) -> str:
    """Write a key path the way staff read it: units.marriage.phone or menus.main.options[2]."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.raw: dict[KeyPath, str] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            self.raw[path] = node.value
            if _is_plain_string(node):  # most values: nothing for YAML to type
                return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # An impossible value YAML tried to type (2027-02-30 unquoted): keep it as written, so the
            # checker that expects a date or a number reports it at its line like a quoted one.
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        self._constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (key_node.value if _is_plain_string(key_node)
                   else self._constructor.construct_object(key_node, deep=True))
            if isinstance(key, int | float | bool):
                key = str(key_node.value)  # menu keys like 1 and 0 are digits, not numbers
            child = (*path, key)
            if key in result:
                self.problems.append(Problem.of(self.file, key_node.start_mark.line + 1, format_key_path(child),
                                                "file.duplicate_key", key=str(key), first=self.lines[child]))
                continue
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result


def read_yaml(path: Path, shown_as: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML file; syntax errors, hostile shapes and duplicate keys come back as problems, never exceptions."""
    try:
        text = _read_text(path, shown_as)
    except _Refused as refused:
        return None, [refused.problem]
    try:
        shape = _shape_problem(text, shown_as)
        if isinstance(shape, Problem):
            return None, [shape]
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own bound, met while looking ahead for keys
            return None, [_too_deep(shown_as, _line(exc.problem_mark))]
        return None, [_syntax_problem(shown_as, text, _python_parser_error(text) or exc)]
    except yaml.YAMLError as exc:
        return None, [Problem.of(shown_as, None, "", "file.not_yaml", detail=str(exc))]
    if node is None:
        return YamlDocument(shown_as, {}), []
    expansion = _expansion_problem(node, shown_as) if shape else None
    if expansion is not None:
        return None, [expansion]
    builder = _Builder(shown_as)
    try:
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(shown_as, text, exc)]
    source = tuple(text.splitlines())
    problems = [replace(p, quoted=_quote(source, p.line)) for p in builder.problems]
    return YamlDocument(shown_as, data, builder.lines, builder.raw, source), problems


def _python_parser_error(text: str) -> yaml.MarkedYAMLError | None:
    """Parse a file libyaml refused again with PyYAML's own parser, whose messages and marks staff are shown."""
    try:
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):  # events only: composing would recurse per level
            pass
    except yaml.MarkedYAMLError as exc:
        return exc
    except yaml.YAMLError:
        return None
    return None


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _read_text(path: Path, shown_as: str) -> str:
    """Read a menus file as UTF-8, refusing one too large to be menus before reading all of it."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Refused(Problem.of(shown_as, None, "", "file.unreadable", reason=str(exc.strerror))) from exc
    if len(raw) > MAX_FILE_BYTES:
        line = raw[:MAX_FILE_BYTES].count(b"\n") + 1
        raise _Refused(Problem.of(shown_as, line, "", "file.too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Refused(Problem.of(shown_as, line, "", "file.not_utf8", reason=exc.reason)) from exc


def _shape_problem(text: str, shown_as: str) -> Problem | bool:
    """Walk the parser's events (no recursion, nothing built): a nesting or size no menus have, else whether
    the file uses aliases (only then can it expand beyond what was just counted)."""
    depth = nodes = 0
    aliases = False
    for event in yaml.parse(text, Loader=_LOADER):
        aliases = aliases or isinstance(event, yaml.AliasEvent)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return _too_deep(shown_as, _line(event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                return Problem.of(shown_as, _line(event.start_mark), "", "file.too_many_values", count=MAX_NODES)
    return aliases


def _too_deep(shown_as: str, line: int | None) -> Problem:
    return Problem.of(shown_as, line, "", "file.too_deep", depth=MAX_DEPTH)


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _expansion_problem(root: yaml.Node, shown_as: str) -> Problem | None:
    """Count the values the file would hold once every alias (*name) is expanded, without expanding any."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    # Children before parents, each collection once: the composer shares aliased nodes, so this stays linear.
    # A scalar counts one and never needs a visit of its own.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            size = 1 + sum(1 if type(child) is yaml.ScalarNode else sizes[id(child)] for child in _children(node))
            sizes[id(node)] = size
            if size > MAX_NODES:
                return Problem.of(shown_as, node.start_mark.line + 1, "", "file.alias_expands", count=MAX_NODES)
            continue
        if id(node) in sizes:
            continue
        if id(node) in entered:
            return Problem.of(shown_as, node.start_mark.line + 1, "", "file.alias_loop")
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if type(child) is not yaml.ScalarNode)
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _syntax_problem(shown_as: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    explained = explain_syntax_error(text, line) if line is not None else None
    source = tuple(text.splitlines())
    if explained is not None:
        return Problem.of(shown_as, explained.line, "", explained.wording, quoted=_quote(source, explained.line),
                          params=dict(explained.params))
    problem = (exc.problem or "syntax error").strip()
    context = f" {exc.context.strip()}" if exc.context else ""
    return Problem.of(shown_as, line, "", "file.syntax", quoted=_quote(source, line), detail=f"{problem}{context}")


def _quote(source: tuple[str, ...], line: int | None) -> str:
    return quote_line(source, line)


def _is_plain_string(node: yaml.Node) -> bool:
    """Tell whether a node is a string as written, which YAML's constructor would return unchanged."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _STRING_TAG
