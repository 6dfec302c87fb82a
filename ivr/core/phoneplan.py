"""Phone numbers checked against China's numbering plan, with what is wrong said from the number given."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

# Areas where every local number has one length although phonenumbers' data allows 7 or 8 digits there.
# Yanbian (0433, Tumen's area) dials 7 digits: 0433-3623441.
LOCAL_DIGITS = {"433": 7}
MOBILE_DIGITS = 11
MOBILE_SECOND_DIGITS = "3456789"  # mobiles start 13 to 19
SERVICE_PREFIXES = ("400", "800")  # nationwide service numbers: the prefix and 7 digits
SERVICE_DIGITS = 10
ANY_NUMBER = "write a landline with its area code (0433-NNNNNNN), an 11-digit mobile or a 400/800 number"


@dataclass(frozen=True)
class PhoneVerdict:
    """A number as E.164 when it is right; otherwise what is wrong with it and what to do."""

    e164: str | None
    reason: str = ""
    hint: str = ""


def check_chinese_number(written: str) -> PhoneVerdict:
    """Check a number as staff wrote it: a landline with its area code, a mobile, or a 400/800 number."""
    try:
        number = phonenumbers.parse(written, "CN")
    except phonenumbers.NumberParseException:
        return PhoneVerdict(None, "", ANY_NUMBER)
    if number.country_code != 86:
        return PhoneVerdict(None, "is not a number in China",
                            "the hotline forwards to Chinese lines only; " + ANY_NUMBER)
    digits = str(number.national_number)
    problem = _length_problem(written, digits)
    if problem is not None:
        return problem
    if not phonenumbers.is_valid_number(number):
        return PhoneVerdict(None, "", ANY_NUMBER)
    return PhoneVerdict(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _length_problem(written: str, digits: str) -> PhoneVerdict | None:
    """Say which part of the number has the wrong number of digits, if one has."""
    check_digits = "check the number with the office"
    with_trunk = written.strip().startswith("0")
    if digits[:1] == "1" and digits[1:2] in MOBILE_SECOND_DIGITS and not with_trunk:
        if len(digits) != MOBILE_DIGITS:
            return PhoneVerdict(None, f"a mobile number has {MOBILE_DIGITS} digits and this one has {len(digits)}",
                                check_digits)
        return None
    if digits.startswith(SERVICE_PREFIXES):
        if len(digits) != SERVICE_DIGITS:
            return PhoneVerdict(None, f"a {digits[:3]} number has {SERVICE_DIGITS} digits ({digits[:3]} and 7 more) "
                                f"and this one has {len(digits)}", check_digits)
        return None
    if not with_trunk and not written.strip().startswith("+"):
        if len(digits) not in (7, 8):
            return PhoneVerdict(None, "", ANY_NUMBER)
        return PhoneVerdict(None, "it has no area code",
                            f"write the area code before it, e.g. 0433-{digits} for a number in Tumen")
    area = digits[:2] if digits.startswith(("10", "2")) else digits[:3]
    local = digits[len(area):]
    lengths = local_lengths(area, local)
    if not lengths:
        return PhoneVerdict(None, f"0{area} is not an area code in China", "check the area code with the office")
    if len(local) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        return PhoneVerdict(None, f"the local number {local} has {len(local)} digits where 0{area} numbers have "
                            f"{expected}", f"{_off_by(len(local), lengths)}: check the number with the office")
    return None


def _off_by(given: int, lengths: list[int]) -> str:
    """Say how many digits are missing or too many, against the nearest allowed length."""
    nearest = min(lengths, key=lambda n: abs(n - given))
    if given < nearest:
        missing = nearest - given
        return "a digit is missing" if missing == 1 else f"{missing} digits are missing"
    extra = given - nearest
    return "there is a digit too many" if extra == 1 else f"there are {extra} digits too many"


def local_lengths(area: str, local: str) -> list[int]:
    """Return the lengths a local number may have after an area code, as the numbering plan data says."""
    if area in LOCAL_DIGITS:
        return [LOCAL_DIGITS[area]]
    # The plan's patterns depend on the first digits of the local number: probe with the number given.
    starts = [local, "2", "6", "8"]
    return [length for length in (7, 8)
            if any(_valid(area + (start + "0" * 8)[:length]) for start in starts)]


def _valid(national: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse("0" + national, "CN"))
