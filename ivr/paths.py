"""Where the bundled menus and recordings live, and where a service keeps its own files by default."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def bundled_menus_dir() -> Path:
    """Return the menus folder shipped beside the package."""
    return PROJECT_ROOT / "menus"


def default_instance_dir() -> Path:
    """Return instance/ in a source checkout, else <prefix>/var/ivr-instance."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "instance"
    return Path(sys.prefix) / "var" / "ivr-instance"
