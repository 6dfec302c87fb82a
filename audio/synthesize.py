"""Synthesize placeholder recordings (8 kHz mono WAV) for every prompt that declares one in menus/prompts.yaml.

Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). Replace the files with studio
recordings of the same name whenever they are made; nothing else has to change.
Usage: python audio/synthesize.py [--force]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ESPEAK_VOICES = {"zh": "cmn", "ko": "ko"}


def main() -> None:
    force = "--force" in sys.argv
    prompts = yaml.safe_load((HERE.parent / "menus" / "prompts.yaml").read_text(encoding="utf-8"))["prompts"]
    for prompt in prompts.values():
        for lang, file in (prompt.get("audio") or {}).items():
            target = HERE / file
            if target.exists() and not force:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(suffix=".wav") as raw:
                subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", "150", "-w", raw.name, prompt[lang]],
                               check=True)
                subprocess.run(["sox", raw.name, "-r", "8000", "-c", "1", "-b", "16", str(target)], check=True)
            print(f"wrote {target.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
