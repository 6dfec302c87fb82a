"""The bureau's own description (tests/fixtures/seed/bureau_description.txt, as the bureau published it), read into
facts: each office's name, line, address, postcode, head and hours, and the bureau's internal departments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import phonenumbers

DESCRIPTION = Path(__file__).parent / "fixtures" / "seed" / "bureau_description.txt"
TIME = r"(\d{1,2})：(\d{2})"
BUREAU = "图们市民政和人力资源社会保障局"
PERIOD = re.compile(TIME + "-" + TIME)


@dataclass(frozen=True)
class SeedOffice:
    """One office as the description gives it (the bureau itself or one of its sub-agencies)."""

    name: str
    head: str | None
    address: str
    postcode: str
    phone: str | None  # in E.164, as the hotline dials it
    hours: dict[str, tuple[tuple[time, time], ...]]  # by season ("all" when the year has one set of hours)


def _e164(written: str) -> str | None:
    if not written:
        return None
    return phonenumbers.format_number(phonenumbers.parse(written, "CN"), phonenumbers.PhoneNumberFormat.E164)


def _hours(text: str) -> dict[str, tuple[tuple[time, time], ...]]:
    """Read '上午8：00-11：30，下午13：00-16：30（冬季…）；…（夏季…）' into periods by season."""
    hours: dict[str, tuple[tuple[time, time], ...]] = {}
    for part in text.split("；"):
        season = "winter" if "冬季" in part else "summer" if "夏季" in part else "all"
        hours[season] = tuple((time(int(a), int(b)), time(int(c), int(d))) for a, b, c, d in PERIOD.findall(part))
    return hours


def _field(block: str, label: str) -> str:
    match = re.search(label + "：(.*)", block)
    assert match, f"{label} missing from a block of the seed"
    return match.group(1).strip()


def offices() -> dict[str, SeedOffice]:
    """Every office the description gives its contacts for, by Chinese name."""
    text = DESCRIPTION.read_text(encoding="utf-8")
    found: dict[str, SeedOffice] = {}
    # Each office's contacts end a block that starts with its name: the bureau's section starts '一、…机关简介',
    # a sub-agency's with its name on a line of its own before '（一）主要职责'.
    for match in re.finditer(r"负责人：(.*?)\n(.*?办公时间：[^\n]*)", text, re.S):
        before = text[:match.start()]
        titles = re.findall(r"\n(图们市[^\n，。；]*?)\n+（一）主要职责", before)
        name = titles[-1] if titles else BUREAU
        block = match.group(0)
        found[name] = SeedOffice(name=name, head=match.group(1).strip() or None,
                                 address=_field(block, "通讯地址"), postcode=_field(block, "邮政编码"),
                                 phone=_e164(_field(block, "联系电话")), hours=_hours(_field(block, "办公时间")))
    return found


def departments() -> list[str]:
    """The bureau's internal departments (内设机构), as '一是社会救助科（儿童福利科）。' names them."""
    text = DESCRIPTION.read_text(encoding="utf-8")
    section = text[text.index("（二）内设机构"):text.index("负责人：")]
    return re.findall(r"[一二三四五六七八九十]+是([^。，,]+?)[。，,]", section)
