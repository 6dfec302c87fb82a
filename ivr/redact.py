"""What request values may look like in a log: caller numbers masked, control characters gone, lengths bounded."""

from __future__ import annotations

import unicodedata

# A logged request value longer than this is cut: a 10 MB `Digits` must not become a 10 MB log line.
MAX_LOGGED_CHARS = 64
# Control, format, line and paragraph separators: each could start a forged log line or move a terminal.
UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def loggable(value: str | None, default: str = "-", limit: int = MAX_LOGGED_CHARS) -> str:
    """Return a request value fit for one log line: unprintable characters shown as escapes, cut at limit."""
    if value is None or value == "":
        return default
    if len(value) <= limit and value.isprintable():  # the usual value: nothing to escape or cut
        return value
    shown = "".join(ch if unicodedata.category(ch) not in UNPRINTABLE else f"\\x{ord(ch):02x}"
                    if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" for ch in value[: limit + 1])
    return shown[:limit] + "…" if len(value) > limit or len(shown) > limit else shown


def mask_number(number: str | None) -> str:
    """Hide the middle of a phone number: +864333623441 becomes +86433****441."""
    if not number:
        return "unknown"
    number = loggable(number, limit=32)
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 9)}{number[-3:]}" if len(number) > 9 else f"{number[:3]}****"
