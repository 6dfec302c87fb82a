"""The `ivr` command is a package of command groups; every failure is one `CliError`, shown once at the edge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ivr.cli import CliError, main
from ivr.core.loader import check_hotline
from ivr.paths import PROJECT_ROOT
from tests.conftest import Editor

CLI_PACKAGE = PROJECT_ROOT / "ivr" / "cli"


def test_a_cli_error_shows_its_problems_its_answer_and_its_sentence_each_where_it_belongs() -> None:
    @click.command()
    def failing() -> None:
        raise CliError("nothing was published; fix the lines above.", problems=["a.yaml:3 first", "b.yaml:9 second"],
                       answer="menus: 2 errors")

    result = CliRunner().invoke(failing, [])
    assert result.exit_code == 1
    assert result.stdout == "menus: 2 errors\n"
    assert result.stderr == "a.yaml:3 first\nb.yaml:9 second\nError: nothing was published; fix the lines above.\n"
    assert result.output == ("a.yaml:3 first\nb.yaml:9 second\nmenus: 2 errors\n"
                             "Error: nothing was published; fix the lines above.\n")


def test_menus_that_do_not_load_end_a_command_with_their_problems_only(menus: Path, edit: Editor) -> None:
    line = edit("units.yaml", "units:", "units: [unclosed")
    _, problems = check_hotline(menus)
    assert problems and all(p.file.endswith("units.yaml") for p in problems)

    tree = CliRunner().invoke(main, ["tree", "--menus", str(menus)])
    assert tree.exit_code == 1
    assert tree.stdout == ""
    assert tree.stderr == "".join(f"{problem}\n" for problem in problems)
    assert f"units.yaml:{line}" in tree.stderr

    validate = CliRunner().invoke(main, ["validate", str(menus), "--lang", "en"])
    assert validate.exit_code == 1
    assert validate.stdout == f"{menus}: 1 error, 0 warnings; the menus were not loaded, fix the errors above.\n"
    assert validate.stderr == "".join(f"{problem.render('en')}\n" for problem in problems)


def test_a_sentence_no_office_answers_is_the_answer_of_a_failing_find() -> None:
    said = CliRunner().invoke(main, ["find", "qqzzxx"])
    assert said.exit_code == 1
    assert said.stderr == ""
    assert said.stdout == ("No unit mentions 'qqzzxx'; a caller saying it is not put through (verdict: none). Try a "
                           "shorter word, or `ivr tree` for all of them.\n")


def test_a_refused_command_says_one_error_sentence(tmp_path: Path) -> None:
    env = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'records.sqlite3'}"}
    shown = CliRunner().invoke(main, ["menus", "show", "7"], env=env)
    assert shown.exit_code == 1
    assert shown.stdout == ""
    assert shown.stderr == "Error: There is no menus version 7; `ivr menus history` lists them.\n"


def _modules() -> list[Path]:
    return sorted(CLI_PACKAGE.glob("*.py"))


@pytest.mark.parametrize("module", _modules(), ids=lambda path: path.name)
def test_each_command_module_is_short_and_fails_only_by_raising_a_cli_error(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 450
    calls = {ast.unparse(node.func) for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)}
    assert not calls & {"print", "sys.exit", "exit", "SystemExit", "click.ClickException"}


def test_the_package_holds_every_group_and_no_function_is_complex() -> None:
    assert {path.stem for path in _modules()} == {"__init__", "calls", "common", "db", "errors", "hours", "menus",
                                                  "records", "serve", "staff"}
    assert sorted(main.commands) == ["call", "db", "fallback-twiml", "find", "hours", "menus", "prompts", "purge",
                                     "report", "serve", "staff", "tree", "validate", "voicemail"]
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901", "--config",
                              "lint.mccabe.max-complexity=12", str(CLI_PACKAGE)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_python_dash_m_ivr_is_the_same_command() -> None:
    version = subprocess.run([sys.executable, "-m", "ivr", "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("ivr, version ")
    helped = subprocess.run([sys.executable, "-m", "ivr", "db", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Usage: python -m ivr db [OPTIONS] COMMAND [ARGS]...\n\n  Manage the call records")
    assert [line.split()[0] for line in helped.stdout.split("Commands:\n")[1].splitlines()] == [
        "backup", "flush", "restore", "upgrade", "writer"]
