"""Where the bundled menus and recordings live when no other folder is given."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_menus_dir() -> Path:
    """Return IVR_MENUS_DIR when set, else the menus folder shipped beside the package."""
    configured = os.environ.get("IVR_MENUS_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "menus"
