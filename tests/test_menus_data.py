"""The shipped menus hold the bureau's own description (tests/seed.py reads it): every office, line, address,
postcode, head, department and office hour of the seed is in menus/ and right. These tests are about the shipped
data, not the engine (the engine's tests run on tests/fixtures/engine_menus/): a staff edit of menus/ that
changes a fact of the seed fails here, and only here."""

from __future__ import annotations

from datetime import date, time
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.core.model import RESERVED_KEYS, Hotline, Period, Unit
from tests.seed import BUREAU, SeedOffice, departments, offices

SEED = offices()
WINTER_THURSDAY, SUMMER_THURSDAY, SATURDAY = date(2026, 11, 26), date(2026, 7, 2), date(2026, 11, 28)


def unit_named(hotline: Hotline, name: str) -> Unit:
    """The shipped unit with the seed's Chinese name for it."""
    named = [u for u in hotline.units.values() if u.name.zh == name]
    assert named, f"{name} (in the seed) is not a unit of menus/units.yaml"
    return named[0]


def spaced_keys(hotline: Hotline, unit: Unit) -> str:
    """The keys to a unit as `ivr find` prints them ("3 1")."""
    keys = hotline.key_path(unit.id)
    assert keys, f"no keys lead to {unit.id}"
    return " ".join(keys)


def test_the_seed_reads_as_the_bureau_and_its_sub_agencies() -> None:
    assert SEED[BUREAU].phone == "+864333622075" and SEED[BUREAU].head == "金秀峰"
    assert SEED["图们市民政局婚姻登记处"].address == "吉林省延边州图们市口岸大街2527号"
    assert SEED["图们市慈善总会"].phone is None and SEED["图们市慈善总会"].head is None
    assert SEED["图们市民政局婚姻登记处"].hours == {"all": ((time(8, 30), time(16)),)}
    assert SEED[BUREAU].hours["summer"] == ((time(8, 30), time(12)), (time(13, 30), time(17)))
    assert "社会救助科（儿童福利科）" in departments() and "双拥工作科" in departments()


@pytest.mark.parametrize("name", sorted(SEED))
def test_every_seed_office_is_a_unit_with_the_seeds_line_address_postcode_and_head(
    hotline: Hotline, name: str,
) -> None:
    office, unit = SEED[name], unit_named(hotline, name)
    assert (unit.phone, unit.address.zh, unit.postcode, unit.head) == (
        office.phone, office.address, office.postcode, office.head)
    assert unit.kind == ("bureau" if name == BUREAU else "agency")
    if office.phone is None:  # the seed gives no line: callers go through the bureau's main line
        assert hotline.line_of(unit) == SEED[BUREAU].phone


def test_every_line_in_the_menus_is_a_line_of_the_seed(hotline: Hotline) -> None:
    seed_lines = {office.phone for office in SEED.values() if office.phone}
    assert {u.id: u.phone for u in hotline.units.values() if u.phone and u.phone not in seed_lines} == {}


@pytest.mark.parametrize("name", departments())
def test_every_seed_department_belongs_to_the_bureau_without_a_line_of_its_own(hotline: Hotline, name: str) -> None:
    unit = unit_named(hotline, name)
    assert (unit.kind, unit.parent, unit.phone) == ("department", "bureau", None)
    assert hotline.line_of(unit) == SEED[BUREAU].phone
    assert unit.address.zh == SEED[BUREAU].address


def periods(office: SeedOffice, season: str) -> tuple[Period, ...]:
    return tuple(Period(start, end) for start, end in office.hours.get(season) or office.hours["all"])


@pytest.mark.parametrize("name", sorted(SEED) + departments())
def test_office_hours_of_the_seed_monday_to_friday_in_each_season(hotline: Hotline, name: str) -> None:
    office = SEED.get(name, SEED[BUREAU])  # a department keeps the bureau's hours
    schedule = unit_named(hotline, name).schedule
    for day, season in ((WINTER_THURSDAY, "winter"), (SUMMER_THURSDAY, "summer")):
        assert dict(schedule.week(day, season).days) == dict.fromkeys(range(5), periods(office, season)), season
    assert hotline.season_of(WINTER_THURSDAY).id == "winter" and hotline.season_of(SUMMER_THURSDAY).id == "summer"


def test_every_unit_is_reachable_within_three_presses_and_reserved_keys_stay_free(hotline: Hotline) -> None:
    for menu in hotline.menus.values():
        assert not {o.key for o in menu.options} & RESERVED_KEYS, menu.id
    paths = {unit_id: hotline.key_path(unit_id) for unit_id in hotline.units}
    assert all(paths.values()), paths
    assert max(len(keys) for keys in paths.values() if keys) <= 3
    assert paths["bureau"] == "0"


def test_ivr_find_tells_staff_which_office_handles_something_and_its_keys(hotline: Hotline) -> None:
    employment, marriage = unit_named(hotline, "图们市就业服务局"), unit_named(hotline, "图们市民政局婚姻登记处")
    result = CliRunner().invoke(main, ["find", "失业金"])
    assert result.stdout.splitlines() == [
        f"图们市就业服务局  {SEED['图们市就业服务局'].phone}  (keys {spaced_keys(hotline, employment)} "
        "after the language choice)  score 0.90",
        "verdict: forward (one office is clearly meant; a caller saying it is put through to 图们市就业服务局)"]
    korean = CliRunner().invoke(main, ["find", "결혼", "--lang", "ko"])
    assert korean.stdout.splitlines()[0] == (
        f"{marriage.name.ko}  {SEED['图们市民政局婚姻登记处'].phone}  "
        f"(keys {spaced_keys(hotline, marriage)} after the language choice)  score 0.90")
    nothing = CliRunner().invoke(main, ["find", "火箭"])
    assert nothing.exit_code == 1 and "No unit mentions '火箭'" in nothing.stdout


def test_every_unit_has_both_languages_a_summary_and_keywords(hotline: Hotline) -> None:
    for unit in hotline.units.values():
        assert unit.name.zh and unit.name.ko and unit.summary.zh and unit.summary.ko, unit.id
        assert unit.keywords, unit.id


def test_loaded_objects_are_frozen(hotline: Hotline) -> None:
    with pytest.raises(AttributeError):
        hotline.units["bureau"].phone = "+8610"  # type: ignore[misc]
    assert isinstance(hotline.units, MappingProxyType)
    standard = hotline.schedules["standard"]
    assert isinstance(standard.versions, tuple)
    assert isinstance(standard.versions[0].seasons, MappingProxyType)
    assert all(isinstance(week.days, MappingProxyType) for week in standard.versions[0].seasons.values())
    with pytest.raises(TypeError):
        hotline.units["new"] = hotline.units["bureau"]  # type: ignore[index]


def test_ivr_tree_lists_every_unit_and_every_seed_line(hotline: Hotline) -> None:
    for lang in ("zh", "ko"):
        result = CliRunner().invoke(main, ["tree", "--lang", lang])
        assert result.exit_code == 0, result.output
        for unit in hotline.units.values():
            assert unit.name(lang) in result.output, unit.id
        for office in SEED.values():
            assert office.phone is None or office.phone in result.output, office.name
    marriage = unit_named(hotline, "图们市民政局婚姻登记处")
    line = f"{hotline.key_path(marriage.id)}  婚姻登记 → 图们市民政局婚姻登记处  {SEED[marriage.name.zh].phone}"
    assert line in CliRunner().invoke(main, ["tree"]).output.splitlines()
