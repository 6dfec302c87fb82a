"""Reads YAML with safe_load semantics while keeping the line of every key for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr.core.problems import Problem

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """A parsed YAML file: plain data plus the line where each key path starts."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    raw: dict[KeyPath, str] = field(default_factory=dict)  # scalars as written, before YAML typed them

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
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        self._constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._constructor.construct_object(key_node, deep=True)
            if isinstance(key, int | float | bool):
                key = str(key_node.value)  # menu keys like 1 and 0 are digits, not numbers
            child = (*path, key)
            if key in result:
                self.problems.append(
                    Problem(
                        self.file,
                        key_node.start_mark.line + 1,
                        format_key_path(child),
                        f"duplicate key '{key}' (first given on line {self.lines[child]})",
                        "each key may appear once in a mapping; remove or renumber one of them",
                    )
                )
                continue
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result


def read_yaml(path: Path, shown_as: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML file; syntax errors and duplicate keys come back as problems, never exceptions."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, line, "", f"is not UTF-8 text ({exc.reason})",
                              "save the file as UTF-8 (an editor's 'encoding' menu; GBK files must be converted)")]
    except OSError as exc:
        return None, [Problem(shown_as, None, "", f"cannot be read ({exc.strerror})", "check the file exists")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(shown_as, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(shown_as, None, "", f"is not valid YAML ({exc})", "fix the YAML syntax")]
    if node is None:
        return YamlDocument(shown_as, {}), []
    builder = _Builder(shown_as)
    try:
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(shown_as, text, exc)]
    return YamlDocument(shown_as, data, builder.lines, builder.raw), builder.problems


def _syntax_problem(shown_as: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    if line is not None and "\t" in _indentation(text, line):
        return Problem(shown_as, line, "", "a tab is used for indentation", "YAML needs spaces: indent with spaces")
    problem = (exc.problem or "syntax error").strip()
    context = f" {exc.context.strip()}" if exc.context else ""
    return Problem(shown_as, line, "", f"is not valid YAML: {problem}{context}", "fix the YAML syntax on that line")


def _indentation(text: str, line: int) -> str:
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    content = lines[line - 1]
    return content[: len(content) - len(content.lstrip())]
