"""Serves the prompt recordings the menus declare, and nothing else."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from ivr.web.menus import MenuStore

bp = Blueprint("audio", __name__, url_prefix="/audio")
MIME_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}
CACHE_SECONDS = 24 * 3600
# Where each recording was found, kept while the folders the answer depends on are unchanged: adding, deleting or
# re-pointing a file changes its folder's modification time (the import system's own test), and a folder
# replaced or re-pointed has another inode. Three stats a recording instead of resolving its whole path.
FOUND_KEPT = 1024
# A folder changed this recently is not trusted to show the next change (file times advance by clock ticks,
# so two changes in one tick look alike): its answers are not kept until it has been quiet this long.
SETTLED_NANOSECONDS = 2_000_000_000
Stamp = tuple[int, int, int]
_FOUND: dict[tuple[str, str], tuple[tuple[Stamp, ...], Path | None]] = {}


def recording_file(audio_dir: str, name: str) -> Path | None:
    """Return the regular file a recording's name stands for inside the audio folder, as things are now, or None."""
    key = (audio_dir, name)
    kept = _FOUND.get(key)
    if kept is not None:
        if _stamps(audio_dir, name, kept[1]) == kept[0]:
            return kept[1]
        _FOUND.pop(key, None)  # out of date, whatever this lookup finds
    before = _stamps(audio_dir, name, None)
    path = _resolve(audio_dir, name)
    after = _stamps(audio_dir, name, path)
    # A name that is there but leads nowhere usable (a dangling or outside link) depends on folders not stamped.
    keepable = path is not None or not os.path.lexists(os.path.join(audio_dir, name))
    if keepable and before is not None and after is not None and after[:len(before)] == before and _settled(after):
        if len(_FOUND) >= FOUND_KEPT:
            _FOUND.clear()
        _FOUND[key] = (after, path)
    return path


def _resolve(audio_dir: str, name: str) -> Path | None:
    folder = Path(audio_dir).resolve()
    try:
        # Resolved at request time: a symlink placed or a file deleted after the menus were checked counts.
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(folder) and path.is_file() else None


def _settled(stamps: tuple[Stamp, ...]) -> bool:
    """Tell whether every folder has been unchanged long enough for its next change to show."""
    return max(mtime for _, _, mtime in stamps) < time.time_ns() - SETTLED_NANOSECONDS


def _stamps(audio_dir: str, name: str, found: Path | None) -> tuple[Stamp, ...] | None:
    """Return what identifies the folders an answer depends on: the audio folder, the recording's own folder and
    (for a symlink) its target's; None when one of them cannot be looked at."""
    folders = [audio_dir, os.path.dirname(os.path.join(audio_dir, name))]
    if found is not None:
        folders.append(str(found.parent))
    try:
        return tuple((s.st_dev, s.st_ino, s.st_mtime_ns) for s in map(os.stat, folders))
    except OSError:
        return None


@bp.get("/<path:name>", merge_slashes=False)
def recording(name: str) -> ResponseReturnValue:
    """Send one known recording with its Content-Type and caching headers; 404 for anything else."""
    store: MenuStore = current_app.extensions["ivr.menus"]
    hotline = store.flow.hotline
    known = {file for prompt in hotline.prompts.values() for file in prompt.audio.values()}
    path = recording_file(hotline.audio_dir, name) if name in known else None  # only names the loader checked
    if path is None:
        abort(404)
    return send_file(path, mimetype=MIME_TYPES[path.suffix.lower()], max_age=CACHE_SECONDS, conditional=True)
