"""Shared fixtures: a private copy of the bundled menus that a test may break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ivr.core.loader import load_hotline
from ivr.core.model import Hotline
from ivr.paths import PROJECT_ROOT

BUNDLED_MENUS = PROJECT_ROOT / "menus"


@pytest.fixture(scope="session")
def hotline() -> Hotline:
    """The bundled hotline, loaded once."""
    return load_hotline(BUNDLED_MENUS)


@pytest.fixture
def menus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of menus/ and audio/ in a temporary folder that is also the working directory."""
    shutil.copytree(BUNDLED_MENUS, tmp_path / "menus")
    shutil.copytree(PROJECT_ROOT / "audio", tmp_path / "audio")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "menus"


Editor = Callable[[str, str, str], int]


@pytest.fixture
def edit(menus: Path) -> Editor:
    """Replace text once in a menu file; return the line number where the new text starts."""

    def replace(file: str, old: str, new: str) -> int:
        path = menus / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"{old!r} not found in {file}"
        start = text.index(old)
        path.write_text(text[:start] + new + text[start + len(old):], encoding="utf-8")
        return text[:start].count("\n") + 1

    return replace
