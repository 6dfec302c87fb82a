"""Where the bundled menus and recordings live when no other folder is given."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_menus_dir() -> Path:
    """Return IVR_MENUS_DIR when set, else the menus folder shipped beside the package."""
    configured = os.environ.get("IVR_MENUS_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "menus"


def default_instance_dir() -> Path:
    """Return IVR_INSTANCE_DIR when set, else instance/ in a source checkout, else <prefix>/var/ivr-instance."""
    configured = os.environ.get("IVR_INSTANCE_DIR")
    if configured:
        return Path(configured)
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "instance"
    return Path(sys.prefix) / "var" / "ivr-instance"


def default_database_url() -> str:
    """Return IVR_DATABASE_URL when set, else a SQLite file in the instance folder."""
    return os.environ.get("IVR_DATABASE_URL") or f"sqlite:///{default_instance_dir().resolve() / 'ivr.sqlite3'}"
