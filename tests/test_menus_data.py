"""The bundled menus hold the whole seed: every unit, number, address, postcode, head and hour."""

from __future__ import annotations

from datetime import date, time
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.core.model import RESERVED_KEYS, Hotline, Period

SEED_LINES = {
    "bureau": "+864333622075",
    "social_assistance_center": "+864333662705",
    "marriage_registry": "+864333623441",
    "funeral_office": "+864333624942",
    "employment_bureau": "+864333668523",
    "talent_center": "+864333663501",
    "veterans_center": "+864333651026",
}
SEED_HEADS = {
    "bureau": "金秀峰",
    "social_assistance_center": "许盛安",
    "marriage_registry": "姜云哲",
    "funeral_office": "张硕",
    "employment_bureau": "黄金石",
    "talent_center": "李千杰",
    "veterans_center": "张晨阳",
}
SEED_DEPARTMENTS = {
    "社会救助科（儿童福利科）",
    "社会福利科（慈善总会、安全生产科）",
    "区划地名和社会事务科（社会组织科）",
    "社会保险科",
    "事业单位人事调配科（事业单位专业技术人员管理科）",
    "办公室（机关党支部）",
    "就业与职业技能开发科",
    "劳动关系和监察仲裁科（信访办公室）",
    "优抚安置科",
    "双拥工作科",
}


def test_every_seed_phone_number_is_loaded_in_e164(hotline: Hotline) -> None:
    assert {u.id: u.phone for u in hotline.units.values() if u.phone} == SEED_LINES
    assert hotline.units["marriage_registry"].phone == "+864333623441"


def test_the_charity_federation_has_no_line_and_no_head_and_is_reached_through_the_main_line(
    hotline: Hotline,
) -> None:
    charity = hotline.units["charity_federation"]
    assert charity.name.zh == "图们市慈善总会"
    assert charity.phone is None and charity.head is None
    assert hotline.line_of(charity) == "+864333622075"


def test_both_seed_addresses_and_the_postcode(hotline: Hotline) -> None:
    addresses = {u.address.zh for u in hotline.units.values()}
    assert addresses == {"吉林省延边州图们市锦水街416号", "吉林省延边州图们市口岸大街2527号"}
    assert hotline.units["marriage_registry"].address.zh == "吉林省延边州图们市口岸大街2527号"
    assert hotline.units["bureau"].address.zh == "吉林省延边州图们市锦水街416号"
    assert {u.postcode for u in hotline.units.values()} == {"133100"}


def test_heads_where_the_seed_names_one(hotline: Hotline) -> None:
    assert {u.id: u.head for u in hotline.units.values() if u.head} == SEED_HEADS


def test_the_ten_internal_departments_belong_to_the_bureau_without_own_lines(hotline: Hotline) -> None:
    departments = [u for u in hotline.units.values() if u.kind == "department"]
    assert {u.name.zh for u in departments} == SEED_DEPARTMENTS
    assert all(u.phone is None and u.parent == "bureau" for u in departments)
    assert len([u for u in hotline.units.values() if u.kind == "agency"]) == 7


def test_office_hours_of_the_seed(hotline: Hotline) -> None:
    standard = hotline.units["bureau"].schedule
    winter, summer = standard.week(date(2026, 11, 26), "winter"), standard.week(date(2026, 7, 2), "summer")
    assert dict(winter.days) == dict.fromkeys(range(5), (Period(time(8), time(11, 30)), Period(time(13), time(16, 30))))
    assert dict(summer.days) == dict.fromkeys(range(5), (Period(time(8, 30), time(12)), Period(time(13, 30), time(17))))
    marriage = hotline.units["marriage_registry"].schedule
    assert len(standard.versions) == len(marriage.versions) == 1  # the seed gives no change of hours
    for season in ("winter", "summer"):
        assert dict(marriage.week(date(2026, 11, 26), season).days) == dict.fromkeys(
            range(5), (Period(time(8, 30), time(16)),))
    assert hotline.season_of(date(2026, 4, 30)).id == "winter"
    assert hotline.season_of(date(2026, 5, 1)).id == "summer"
    assert hotline.season_of(date(2026, 9, 30)).id == "summer"
    assert hotline.season_of(date(2026, 10, 1)).id == "winter"
    sub_agencies = [u for u in hotline.units.values() if u.kind == "agency" and u.id != "marriage_registry"]
    assert all(u.schedule is standard for u in sub_agencies)


def test_every_unit_is_reachable_within_three_presses_and_reserved_keys_stay_free(hotline: Hotline) -> None:
    for menu in hotline.menus.values():
        assert not {o.key for o in menu.options} & RESERVED_KEYS, menu.id
    paths = {unit_id: hotline.key_path(unit_id) for unit_id in hotline.units}
    assert all(paths.values()), paths
    assert max(len(keys) for keys in paths.values() if keys) <= 3
    assert paths["bureau"] == "0" and paths["marriage_registry"] == "2" and paths["double_support_section"] == "63"


def test_ivr_find_tells_staff_which_office_handles_something_and_its_keys() -> None:
    result = CliRunner().invoke(main, ["find", "失业金"])
    assert result.stdout.splitlines() == [
        "图们市就业服务局  +864333668523  (keys 3 1 after the language choice)  score 0.90",
        "verdict: forward (one office is clearly meant; a caller saying it is put through to 图们市就业服务局)"]
    korean = CliRunner().invoke(main, ["find", "결혼", "--lang", "ko"])
    assert korean.stdout.splitlines()[0] == \
        "도문시 민정국 혼인등기처  +864333623441  (keys 2 after the language choice)  score 0.90"
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


def test_ivr_tree_lists_every_unit_with_its_number(hotline: Hotline) -> None:
    for lang in ("zh", "ko"):
        result = CliRunner().invoke(main, ["tree", "--lang", lang])
        assert result.exit_code == 0, result.output
        for unit in hotline.units.values():
            assert unit.name(lang) in result.output, unit.id
        for number in SEED_LINES.values():
            assert number in result.output
    marriage = "2  婚姻登记 → 图们市民政局婚姻登记处  +864333623441"
    assert marriage in CliRunner().invoke(main, ["tree"]).output.splitlines()
