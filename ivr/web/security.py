"""Checks that a webhook request really comes from the provider, with twilio's RequestValidator, and keeps the
refusals' log lines few."""

from __future__ import annotations

import hmac
import threading
from collections import Counter
from urllib.parse import quote

from flask import Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signed_url(request: Request, public_url: str | None) -> str:
    """Rebuild the URL the provider signed: PUBLIC_URL (when set) + path + the raw query string."""
    environ = request.environ  # read directly: this runs on every webhook request
    raw_path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    path = quote(raw_path, safe="/:@!$&'()*+,;=-._~%")
    base = public_url.rstrip("/") if public_url else f"{request.scheme}://{request.host}"
    query = environ.get("QUERY_STRING", "")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def is_signed(request: Request, token: str, public_url: str | None) -> bool:
    """Tell whether the request carries a valid X-Twilio-Signature for its URL and form."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    validator = RequestValidator(token)
    url = signed_url(request, public_url)
    # The provider signs the URL as we rebuild it: one HMAC settles nearly every request. Only a mismatch pays
    # for validate(), which also tries the URL with and without its port.
    expected = validator.compute_signature(url, request.form)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
        return True
    return bool(validator.validate(url, request.form, signature))


class LogThrottle:
    """At most one log line per kind within any interval (limits' moving window), with a count of those held back:
    a flood of refused requests costs a line a second, not a line a request."""

    def __init__(self, rate: str = "1 per second") -> None:
        self._rate = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    def allow(self, kind: str) -> int | None:
        """Return how many lines of this kind were held back since the last one written, or None: hold this one."""
        with self._lock:
            if self._limiter.hit(self._rate, kind):
                return self._held.pop(kind, 0)
            self._held[kind] += 1
            return None
