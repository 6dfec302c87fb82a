"""The menus files as data: each record declares its keys, and one generic walker reads them all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ivr.core.calendarfile import SPECIAL_DAY
from ivr.core.checks import DocumentChecker
from ivr.core.loader import check_hotline
from ivr.core.model import Menu, Season, Unit
from ivr.core.problems import Problem
from ivr.core.schema import HOTLINE_FILE, LANGUAGE, MENU, SEASON, UNIT, string, text, whole
from ivr.core.walker import Field, Record, Walk
from ivr.core.yamlsource import read_yaml
from tests.conftest import Editor


def walk_over(tmp_path: Path, yaml_text: str) -> tuple[Walk, object, list[Problem]]:
    """Parse a YAML text as a menus file would be, and return a walk over it, its data and its problems."""
    (tmp_path / "office.yaml").write_text(yaml_text, encoding="utf-8")
    doc, found = read_yaml(tmp_path / "office.yaml", "office.yaml")
    assert doc is not None and found == []
    problems: list[Problem] = []
    return Walk(DocumentChecker(doc, problems)), doc.data, problems


def test_every_field_of_a_unit_menu_and_season_is_declared_once() -> None:
    declared = {key for record in (UNIT,) for key in record.required + record.optional}
    assert declared == {f.name for f in dataclasses.fields(Unit)} - {"id"}
    assert UNIT.required == ("kind", "name", "address", "postcode", "schedule", "summary", "keywords")
    assert UNIT.optional == ("phone", "head", "parent")
    assert MENU.required == ("title", "options") and MENU.optional == ("intro",)
    assert set(MENU.required + MENU.optional) == {f.name for f in dataclasses.fields(Menu)} - {"id", "parent"}
    assert SEASON.required == ("name", "from", "to") and len(dataclasses.fields(Season)) == 4
    assert HOTLINE_FILE.required == ("hotline", "languages", "calls") and HOTLINE_FILE.optional == ("speech",)


def test_a_new_key_is_one_line_and_the_walker_checks_it(tmp_path: Path) -> None:
    office = Record((Field("name", text), Field("floor", whole(1, 30), required=False, default=1),
                     Field("room", string, required=False)))
    walk, data, problems = walk_over(tmp_path, "office:\n  name: {zh: 三楼, ko: 삼층}\n  floor: 40\n  rom: 301\n")
    fields = walk.record(("office",), data["office"], office)  # type: ignore[index]
    assert fields is not None and not fields.complete
    assert fields["floor"] is None and fields["room"] is None and not fields.has("room")
    assert [(p.line, p.key_path, p.wording) for p in problems] == [
        (4, "office.rom", "key.unknown"), (3, "office.floor", "value.not_whole_number")]
    assert dict(problems[0].params)["close"] == "room"
    assert dict(problems[1].params) == {"low": 1, "high": 30, "given": "'40'"}


def test_an_absent_optional_key_takes_its_default_and_a_missing_required_one_is_said_once(tmp_path: Path) -> None:
    office = Record((Field("name", text), Field("floor", whole(1, 30), required=False, default=1)))
    walk, data, problems = walk_over(tmp_path, "office:\n  floor: 2\n")
    fields = walk.record(("office",), data["office"], office)  # type: ignore[index]
    assert fields is not None and fields["floor"] == 2 and fields["name"] is None and not fields.complete
    assert [(p.line, p.wording, dict(p.params)) for p in problems] == [(1, "key.missing", {"key": "name"})]
    walk, data, problems = walk_over(tmp_path, "office:\n  name: {zh: 三楼, ko: 삼층}\n")
    fields = walk.record(("office",), data["office"], office)  # type: ignore[index]
    assert fields is not None and fields.complete and fields["floor"] == 1 and problems == []


def test_a_gate_stops_the_keys_after_it_and_a_lenient_key_leaves_the_record_whole(tmp_path: Path) -> None:
    walk, data, problems = walk_over(tmp_path, "zh:\n  key: 12\n  name: ''\n  voice: v\n  language_tag: zh-CN\n")
    assert walk.record(("zh",), data["zh"], LANGUAGE) is None  # type: ignore[index]
    assert [(p.key_path, p.wording) for p in problems] == [("zh.key", "hotline.bad_language_key")]  # not the name
    office = Record((Field("name", text), Field("head", string, required=False, blocks=False)))
    walk, data, problems = walk_over(tmp_path, "office:\n  name: {zh: 三楼, ko: 삼층}\n  head: 7\n")
    fields = walk.record(("office",), data["office"], office)  # type: ignore[index]
    assert fields is not None and fields.complete and fields["head"] is None
    assert [(p.line, p.wording) for p in problems] == [(3, "value.not_text")]


def test_a_special_day_lists_its_keys_in_the_order_staff_read_them(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "special_days: []",
                "special_days:\n  - {date: 2026-12-24, name: {zh: 平安夜, ko: 평안야}, closes: '11:30', shut: 1}")
    hotline, problems = check_hotline(menus)
    assert hotline is None
    unknown = next(p for p in problems if p.wording == "key.unknown")
    assert (unknown.line, unknown.key_path) == (line + 1, "special_days[0].shut")
    assert dict(unknown.params)["allowed"] == "name, date, from, to, units, hours, closes"
    assert SPECIAL_DAY.required == ("name",)


def test_a_unit_whose_id_is_null_is_located_not_a_checker_failure(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "  bureau:\n    kind: bureau", "  ~:\n    kind: bureau")
    hotline, problems = check_hotline(menus)
    assert hotline is None
    assert "folder.checker_failed" not in [p.wording for p in problems]
    bad_id = next(p for p in problems if p.wording == "value.bad_id")
    assert (bad_id.file.endswith("units.yaml"), bad_id.line, dict(bad_id.params)) == (True, line, {"value": "None"})
    # the departments whose parent was the bureau are told so, with the units there are
    orphan = next(p for p in problems if p.wording == "units.not_unit")
    assert orphan.key_path.endswith(".parent") and dict(orphan.params)["value"] == "bureau"


def test_a_record_that_shows_its_keys_in_another_order_must_show_them_all() -> None:
    with pytest.raises(ValueError, match="must list exactly"):
        Record((Field("name", text), Field("room", string, required=False)), shown=("name",))
    assert Record((Field("name", text), Field("room", string, required=False)), shown=("room", "name")).optional == (
        "room",)
