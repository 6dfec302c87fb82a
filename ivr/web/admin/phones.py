"""Phone numbers in the console as staff write them: 0433-3622075, 13812345678, 400-800-1234."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from ivr.web.admin import bp

CHINA = 86


def staff_phone(value: object) -> str:
    """Write an E.164 number the way staff write it (China's national format); anything else as it is."""
    text = "" if value is None else str(value)
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        return text  # "anonymous", a withheld number: shown as the provider gave it
    if not phonenumbers.is_possible_number(number):
        return text
    if number.country_code != CHINA:
        return str(phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))
    groups = str(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)).split()
    if groups and groups[0].startswith("0"):  # an area code with its trunk 0, then the local number
        return f"{groups[0]}-{''.join(groups[1:])}"
    if phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
        return "".join(groups)
    return "-".join(groups)  # 400 and 800 numbers


bp.add_app_template_filter(staff_phone, "staff_phone")
