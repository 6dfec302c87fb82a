"""Masks caller numbers for logs; the database keeps them whole for call-backs."""

from __future__ import annotations


def mask_number(number: str | None) -> str:
    """Hide the middle of a phone number: +864333623441 becomes +86433****441."""
    if not number:
        return "unknown"
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 9)}{number[-3:]}" if len(number) > 9 else f"{number[:3]}****"
