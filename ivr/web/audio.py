"""Serves the prompt recordings the menus declare, and nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from ivr.web.menus import MenuStore

bp = Blueprint("audio", __name__, url_prefix="/audio")
MIME_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}
CACHE_SECONDS = 24 * 3600


@bp.get("/<path:name>", merge_slashes=False)
def recording(name: str) -> ResponseReturnValue:
    """Send one known recording with its Content-Type and caching headers; 404 for anything else."""
    store: MenuStore = current_app.extensions["ivr.menus"]
    hotline = store.flow.hotline
    known = {file for prompt in hotline.prompts.values() for file in prompt.audio.values()}
    if name not in known:  # only names the loader checked: no traversal, no listing
        abort(404)
    path = Path(hotline.audio_dir) / name
    return send_file(path, mimetype=MIME_TYPES[path.suffix.lower()], max_age=CACHE_SECONDS, conditional=True)
