"""Recordings: played with <Play> when a prompt has one, served safely, listed by `ivr prompts`."""

from __future__ import annotations

import subprocess
import wave
from io import BytesIO

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from tests.conftest import CLOSED_EVENING, OPEN_WEEKDAY, Provider, place_call, twiml


@pytest.mark.parametrize("path", [
    "/audio/../menus/units.yaml", "/audio/..%2fmenus%2funits.yaml", "/audio/zh/../../menus/units.yaml",
    "/audio/%2e%2e/%2e%2e/etc/passwd", "/audio/zh/", "/audio/zh/greeting.WAV", "/audio/zh/nothing.wav",
    "/audio//etc/passwd", "/audio/synthesize.py",
])
def test_paths_outside_the_known_recordings_are_404(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 404


def test_every_play_url_of_the_journeys_serves_real_audio(app: Flask) -> None:
    urls: set[str] = set()
    for at, keys in ((OPEN_WEEKDAY, "12"), (CLOSED_EVENING, "2812"), (OPEN_WEEKDAY, "...")):
        urls.update(place_call(at, keys).play_urls)
    assert urls == {"/audio/zh/greeting.wav", "/audio/ko/greeting.wav", "/audio/zh/language_choice.wav",
                    "/audio/ko/language_choice.wav"}
    client = app.test_client()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.content_type == "audio/wav"
        assert "max-age=86400" in response.headers["Cache-Control"]
        with wave.open(BytesIO(response.data)) as audio:
            assert (audio.getframerate(), audio.getnchannels()) == (8000, 1)
            assert audio.getnframes() / audio.getframerate() > 0.5  # seconds of sound, not an empty file


def test_a_prompt_with_a_recording_is_played_and_one_without_is_spoken(provider: Provider) -> None:
    root = twiml(provider.post("/voice", {"CallSid": "CA1"}))
    gather = root.find("Gather")
    assert gather is not None
    assert [child.tag for child in gather] == ["Play", "Play", "Play", "Play"]
    menu = twiml(provider.post("/voice/step?node=language", {"CallSid": "CA1", "Digits": "2"})).find("Gather")
    assert menu is not None
    says = menu.findall("Say")
    assert says and all(s.get("voice") == "Polly.Seoyeon" and s.get("language") == "ko-KR" for s in says)


def test_the_recordings_are_8khz_mono_wav_files_sox_can_read() -> None:
    out = subprocess.run(["soxi", "-r", "audio/zh/greeting.wav"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        pytest.skip("sox is not installed")  # .ci/run installs it
    assert out.stdout.strip() == "8000"


def test_ivr_prompts_lists_which_prompts_have_recordings_per_language() -> None:
    result = CliRunner().invoke(main, ["prompts"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "zh: 2 of 37 prompts recorded" in lines
    assert "ko: 2 of 37 prompts recorded" in lines
    assert "  recorded  greeting          zh/greeting.wav" in lines
    assert "  spoken    goodbye" in lines
