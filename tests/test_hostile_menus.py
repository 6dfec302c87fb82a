"""Hostile or impossible menu files are located problems in well under a second, never a crash or a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.core.loader import check_hotline
from tests.conftest import Editor

# Nine aliases of nine aliases, seven levels: 350 bytes that would expand to 4.8 million values.
ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n" for level in range(1, 8))


def validate_timed(menus: Path) -> tuple[Result, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["validate", "menus"])
    return result, time.monotonic() - started


def assert_refused_quickly(result: Result, seconds: float) -> list[str]:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # the CLI's own exit, not an escaped exception
    assert "Traceback" not in result.output
    assert seconds < 2, f"validate took {seconds:.1f} s"
    return [line for line in result.stderr.splitlines() if not line.startswith("warning:")]


def test_an_alias_bomb_is_refused_at_the_alias_that_passes_the_limit(menus: Path) -> None:
    calendar = menus / "calendar.yaml"
    first = calendar.read_text(encoding="utf-8").count("\n") + 1
    with calendar.open("a", encoding="utf-8") as file:
        file.write(ALIAS_BOMB)
    errors = assert_refused_quickly(*validate_timed(menus))
    # a5 is 9**6 = 531,441 values: the first alias past 400,000.
    assert errors == [f"menus/calendar.yaml:{first + 5} its aliases (*name) expand to more than 400,000 values; "
                      "write the values out, or use an alias of an alias only a few times."]


def test_a_50_megabyte_file_is_refused_without_reading_it_all(menus: Path) -> None:
    comment = "# " + "x" * 1000 + "\n"
    with (menus / "units.yaml").open("a", encoding="utf-8") as file:
        file.write(comment * 50_000)
    errors = assert_refused_quickly(*validate_timed(menus))
    assert len(errors) == 1
    assert errors[0].startswith("menus/units.yaml:")
    line = int(errors[0].split(":")[1].split()[0])
    assert 4000 < line < 4500  # where the file passes 4 MB, about 4,200 comment lines in
    assert errors[0].endswith(" passes 4 MB at this line, far more than menus need; check that the right file was "
                              "saved here; the whole hotline fits in a few hundred kB.")


@pytest.mark.parametrize("depth", [40, 5000])
def test_deep_nesting_is_refused_at_its_line(menus: Path, depth: int) -> None:
    calendar = menus / "calendar.yaml"
    line = calendar.read_text(encoding="utf-8").count("\n") + 1
    with calendar.open("a", encoding="utf-8") as file:
        file.write("deep: " + "[" * depth + "]" * depth + "\n")
    errors = assert_refused_quickly(*validate_timed(menus))
    assert errors == [f"menus/calendar.yaml:{line} nests lists and mappings more than 32 levels deep; menus "
                      "need a handful of levels: look for brackets opened and never closed."]


def test_an_alias_inside_itself_is_refused(menus: Path) -> None:
    calendar = menus / "calendar.yaml"
    line = calendar.read_text(encoding="utf-8").count("\n") + 1
    with calendar.open("a", encoding="utf-8") as file:
        file.write("loop: &me [1, *me]\n")
    errors = assert_refused_quickly(*validate_timed(menus))
    assert errors == [f"menus/calendar.yaml:{line} an alias (*name) refers to the list or mapping it stands in; an "
                      "alias may only repeat a value defined before and outside it."]


@pytest.mark.parametrize("written", ["2027-02-30", '"2027-02-30"'])
def test_an_impossible_date_with_or_without_quotes_is_located(menus: Path, edit: Editor, written: str) -> None:
    line = edit("calendar.yaml", "closures: []", "closures:\n  - {date: " + written + ", name: {zh: 盘点, ko: 결산}}")
    errors = assert_refused_quickly(*validate_timed(menus))
    assert errors == [f"menus/calendar.yaml:{line + 1} closures[0].date: '2027-02-30' is not a date (February 2027 "
                      "has 28 days); write it as YYYY-MM-DD, e.g. 2027-01-01."]


def test_an_impossible_month_is_located(menus: Path, edit: Editor) -> None:
    line = edit("calendar.yaml", "closures: []", "closures:\n  - {date: 2027-13-01, name: {zh: 盘点, ko: 결산}}")
    errors = assert_refused_quickly(*validate_timed(menus))
    assert errors == [f"menus/calendar.yaml:{line + 1} closures[0].date: '2027-13-01' is not a date (there is no "
                      "month 13); write it as YYYY-MM-DD, e.g. 2027-01-01."]


def test_an_impossible_date_also_stops_ivr_hours_and_ivr_call_with_the_message(menus: Path, edit: Editor) -> None:
    edit("calendar.yaml", "closures: []", "closures:\n  - {date: 2027-02-30, name: {zh: 盘点, ko: 결산}}")
    for command in (["hours", "--menus", "menus"], ["call", "--menus", "menus", "--press", "1"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, result.output
        assert "is not a date (February 2027 has 28 days)" in result.stderr
        assert "Traceback" not in result.output


def test_a_huge_number_is_a_located_problem(menus: Path, edit: Editor) -> None:
    line = edit("hotline.yaml", "tries: 3", "tries: 100000000000000000000")
    errors = assert_refused_quickly(*validate_timed(menus))
    assert errors == [f"menus/hotline.yaml:{line} calls.tries: must be a whole number from 1 to 10, not "
                      "'100000000000000000000'; write a plain number such as 1."]


def test_more_units_than_any_hotline_has_are_refused(menus: Path) -> None:
    units = menus / "units.yaml"
    text = units.read_text(encoding="utf-8")
    extra = "".join(f"  extra_{i}: {{}}\n" for i in range(5001))
    units.write_text(text.replace("units:\n", "units:\n" + extra, 1), encoding="utf-8")
    hotline, problems = check_hotline(menus)
    assert hotline is None
    assert [str(p) for p in problems] == [f"{menus}/units.yaml:11 units: declares 5,019 units, more than the 5,000 "
                                          "a hotline may have; check that the right file was saved here."]
