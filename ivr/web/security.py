"""Checks that a webhook request really comes from the provider, with twilio's RequestValidator."""

from __future__ import annotations

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
    return bool(RequestValidator(token).validate(signed_url(request, public_url), request.form, signature))
