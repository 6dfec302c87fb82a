"""Checks that a webhook request really comes from the provider, with twilio's RequestValidator."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from flask import Request
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
