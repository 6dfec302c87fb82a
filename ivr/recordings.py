"""Fetches voice-message recordings from the provider's REST API, and only from it, keeping a local copy."""

from __future__ import annotations

import base64
import http.client
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

# The provider answers a recording's URL with a WAV file when ".wav" is appended.
FORMAT_SUFFIX = ".wav"
FETCH_TIMEOUT_SECONDS = 15
MAX_BYTES = 50 * 2**20
_SAFE_SID = re.compile(r"^[A-Za-z0-9]{1,64}$")
# The characters a URL may hold (RFC 3986): anything else (a space, <, ", a control character) is no address.
_URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
SHOWN_URL_CHARS = 200


class RecordingError(RuntimeError):
    """A recording cannot be fetched; the message says why and what to check."""


class NotAnAddress(RecordingError):
    """The recording address kept with a message is not a URL at all: no request is made for it."""


def is_within(url: str, api_base: str) -> bool:
    """Tell whether a URL lies under the configured API base: same scheme, host, port and path prefix."""
    try:
        target, base = urlsplit(url), urlsplit(api_base.rstrip("/") + "/")
        target.port  # noqa: B018  (a port that is no number raises here, not later in the request)
    except ValueError:  # "https://[::1/x", a port of letters: not an address under anything
        return False
    if target.username or target.password or ".." in target.path.split("/"):
        return False
    return ((target.scheme, target.netloc.lower()) == (base.scheme, base.netloc.lower())
            and (target.path + "/").startswith(base.path))


def local_copy(folder: Path, recording_sid: str) -> Path:
    """Return where the local copy of a recording is kept, refusing a sid that is not a plain name."""
    if not _SAFE_SID.match(recording_sid):
        raise RecordingError(f"'{recording_sid}' is not a recording id.")
    return folder / f"{recording_sid}{FORMAT_SUFFIX}"


def fetch_recording(url: str, api_base: str, account_sid: str | None, auth_token: str | None) -> bytes:
    """Download a recording with the account's credentials; a URL outside the API base is never requested."""
    if not _URL_CHARACTERS.match(url):
        raise NotAnAddress(f"The recording address {url[:SHOWN_URL_CHARS]!r} is not a URL (it holds characters "
                           "no URL may hold), so it was not fetched.")
    if not is_within(url, api_base):
        raise RecordingError(f"The recording address {url} is not under the provider's API {api_base} "
                             "(IVR_PROVIDER_API_URL), so it was not fetched.")
    if not account_sid or not auth_token:
        raise RecordingError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set to fetch recordings.")
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
    address = url if url.lower().endswith(FORMAT_SUFFIX) else url + FORMAT_SUFFIX
    request = urllib.request.Request(address, headers={"Authorization": f"Basic {credentials}"})
    opener = urllib.request.build_opener(_NoRedirects)  # a redirect could lead outside the API base
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RecordingError(f"The provider answered {exc.code} for {address}; check TWILIO_ACCOUNT_SID and "
                             "TWILIO_AUTH_TOKEN.") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise RecordingError(f"The provider's API at {api_base} could not be reached ({exc}).") from exc
    except ValueError as exc:  # an address http.client refuses to send
        raise NotAnAddress(f"The recording address {address[:SHOWN_URL_CHARS]!r} cannot be requested ({exc}).") \
            from exc
    if len(data) > MAX_BYTES:
        raise RecordingError(f"The recording at {address} is larger than {MAX_BYTES // 2**20} MiB.")
    return data


def keep_recording(folder: Path, recording_sid: str, url: str, api_base: str, account_sid: str | None,
                   auth_token: str | None) -> Path:
    """Return the local copy of a recording, fetching it first when there is none yet."""
    path = local_copy(folder, recording_sid)
    if not path.exists():
        data = fetch_recording(url, api_base, account_sid, auth_token)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file
    return path


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
