"""A local stand-in for the provider's REST API: demands basic auth and serves a small WAV per recording."""

from __future__ import annotations

import base64
import io
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT_SID = "AC" + "1" * 32
RECORDINGS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"


def small_wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """Return a mono 16-bit WAV of a quiet tone, as a telephone recording is."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        frames = int(seconds * rate)
        sound.writeframes(b"".join(((n * 300) % 8000).to_bytes(2, "little", signed=True) for n in range(frames)))
    return out.getvalue()


@dataclass
class ProviderApi:
    """What the stand-in was asked: every request's path and whether its credentials were right."""

    base_url: str
    token: str
    requests: list[tuple[str, bool]] = field(default_factory=list)
    wav: bytes = field(default_factory=small_wav)

    def recording_url(self, recording_sid: str) -> str:
        """Return the URL the provider gives for a recording (without the format suffix)."""
        return self.base_url + RECORDINGS_PATH + recording_sid


@contextmanager
def provider_api(token: str) -> Iterator[ProviderApi]:
    """Run the stand-in on a free local port for the duration of the block."""
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{token}".encode()).decode()
    api = ProviderApi("", token)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authorized = self.headers.get("Authorization") == expected
            api.requests.append((self.path, authorized))
            if not authorized:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                self.end_headers()
                return
            if not (self.path.startswith(RECORDINGS_PATH) and self.path.endswith(".wav")):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(api.wav)))
            self.end_headers()
            self.wfile.write(api.wav)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
