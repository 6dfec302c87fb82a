"""Problems found in the menus, each with its file, line, key path and a hint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in the menus, located for the person who edits them."""

    file: str
    line: int | None
    key_path: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        path = f" {self.key_path}:" if self.key_path else ""
        text = f"{where}{path} {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        if not text.endswith((".", "?", "!")):
            text += "."
        return text if self.severity == "error" else f"warning: {text}"


class MenuError(Exception):
    """The menus cannot be loaded; carries every error found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in self.problems))
