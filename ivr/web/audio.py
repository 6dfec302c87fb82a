"""Serves the prompt recordings the menus declare, and nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from ivr.web.menus import MenuStore

bp = Blueprint("audio", __name__, url_prefix="/audio")
MIME_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}
CACHE_SECONDS = 24 * 3600


def recording_file(audio_dir: str, name: str) -> Path | None:
    """Return the regular file a recording's name stands for inside the audio folder, resolved now, or None."""
    folder = Path(audio_dir).resolve()
    try:
        # Resolved at request time: a symlink placed or a file deleted after the menus were checked counts.
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(folder) and path.is_file() else None


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
