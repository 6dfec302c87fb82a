"""Renders the call flow's decisions as TwiML with the twilio library's VoiceResponse."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.core.decision import Ask, Decision, Forward, Hangup, Record, Redirect, Say, Step
from ivr.core.model import Hotline

StepUrl = Callable[[Step, bool], str]  # (step, no_input) -> URL
AudioUrl = Callable[[Say], str]


def clean_speech(text: str) -> str:
    """Drop control characters, which speech engines read aloud or choke on."""
    if text.isprintable():  # almost always: nothing to drop
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch == " ")


class TwimlRenderer:
    """Turns a Decision into a TwiML document for one hotline and URL scheme."""

    def __init__(self, hotline: Hotline, step_url: StepUrl, audio_url: AudioUrl, caller_id: str | None,
                 recording_callback: Callable[[str], str], has_recording: Callable[[str, str], object]) -> None:
        self.hotline = hotline
        self.has_recording = has_recording
        self.step_url = step_url
        self.audio_url = audio_url
        self.caller_id = caller_id
        self.recording_callback = recording_callback

    def render(self, decision: Decision) -> str:
        """Return the TwiML document for a decision."""
        response = VoiceResponse()
        for action in decision.actions:
            self._append(response, action)
        return str(response.to_xml())

    def _append(self, response: VoiceResponse, action: object) -> None:
        if isinstance(action, Say):
            self._say(response, action)
        elif isinstance(action, Ask):
            # finish_on_key="": '#' and '*' are menu keys here, not terminators.
            gather = Gather(input="dtmf", num_digits=1, timeout=action.timeout,
                            action=self.step_url(action.next, False), method="POST", finish_on_key="")
            listen = action.listen
            if listen is not None:
                # Whichever comes first, a key or a sentence. The provider reports silence to the action too
                # (actionOnEmptyResult), so that action is marked as the one where no input is reported.
                gather = Gather(input="dtmf speech", num_digits=1, timeout=action.timeout,
                                action=self.step_url(action.next, True), method="POST", finish_on_key="",
                                language=listen.language, speech_model=listen.model,
                                speech_timeout=listen.timeout, hints=listen.hints, action_on_empty_result=True,
                                profanity_filter=False)
            for prompt in action.prompts:
                self._say(gather, prompt)
            response.append(gather)
            response.redirect(self.step_url(action.next, True), method="POST")
        elif isinstance(action, Forward):
            dial = Dial(action=self.step_url(action.next, False), method="POST", timeout=action.timeout,
                        caller_id=self.caller_id)
            dial.number(action.number)
            response.append(dial)
        elif isinstance(action, Record):
            response.record(action=self.step_url(action.next, False), method="POST", max_length=action.max_seconds,
                            play_beep=True, finish_on_key="#", timeout=5,
                            recording_status_callback=self.recording_callback(action.unit_id),
                            recording_status_callback_method="POST")
        elif isinstance(action, Redirect):
            response.redirect(self.step_url(action.step, False), method="POST")
        elif isinstance(action, Hangup):
            response.hangup()
        else:  # pragma: no cover - the flow produces only the actions above
            raise TypeError(f"cannot render {action!r}")

    def _say(self, parent: VoiceResponse | Gather, say: Say) -> None:
        # A recording deleted after the menus were checked: speak the prompt rather than send the caller a 404.
        if say.audio and self.has_recording(self.hotline.audio_dir, say.audio):
            parent.play(self.audio_url(say))
            return
        voice = self.hotline.voice(say.lang)
        parent.say(clean_speech(say.text), voice=voice.voice, language=voice.language_tag)
