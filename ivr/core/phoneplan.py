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


@dataclass(frozen=True)
class PhoneVerdict:
    """A number as E.164 when it is right; otherwise the catalogue message (ivr.core.wording) saying what is
    wrong with it and what to do, with its parameters besides the number itself."""

    e164: str | None
    wording: str = ""
    params: tuple[tuple[str, int | str], ...] = ()


def _wrong(wording: str, **params: int | str) -> PhoneVerdict:
    return PhoneVerdict(None, wording, tuple(params.items()))


def check_chinese_number(written: str) -> PhoneVerdict:
    """Check a number as staff wrote it: a landline with its area code, a mobile, or a 400/800 number."""
    try:
        number = phonenumbers.parse(written, "CN")
    except phonenumbers.NumberParseException:
        return _wrong("phone.invalid")
    if number.country_code != 86:
        return _wrong("phone.not_china")
    digits = str(number.national_number)
    problem = _length_problem(written, digits)
    if problem is not None:
        return problem
    if not phonenumbers.is_valid_number(number):
        return _wrong("phone.invalid")
    return PhoneVerdict(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _length_problem(written: str, digits: str) -> PhoneVerdict | None:
    """Say which part of the number has the wrong number of digits, if one has."""
    with_trunk = written.strip().startswith("0")
    if digits[:1] == "1" and digits[1:2] in MOBILE_SECOND_DIGITS and not with_trunk:
        if len(digits) != MOBILE_DIGITS:
            return _wrong("phone.mobile_length", expected=MOBILE_DIGITS, given=len(digits))
        return None
    if digits.startswith(SERVICE_PREFIXES):
        if len(digits) != SERVICE_DIGITS:
            return _wrong("phone.service_length", prefix=digits[:3], expected=SERVICE_DIGITS, given=len(digits))
        return None
    if not with_trunk and not written.strip().startswith("+"):
        if len(digits) not in (7, 8):
            return _wrong("phone.invalid")
        return _wrong("phone.no_area_code", digits=digits)
    area = digits[:2] if digits.startswith(("10", "2")) else digits[:3]
    local = digits[len(area):]
    lengths = local_lengths(area, local)
    if not lengths:
        return _wrong("phone.bad_area", area=area)
    if len(local) not in lengths:
        expected = "/".join(str(n) for n in lengths)
        nearest = min(lengths, key=lambda n: abs(n - len(local)))
        count = abs(nearest - len(local))
        wording = "phone.local_short" if len(local) < nearest else "phone.local_long"
        return _wrong(wording + ("_one" if count == 1 else ""), local=local, given=len(local), area=area,
                      expected=expected, count=count)
    return None


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
