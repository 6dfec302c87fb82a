"""`ivr staff`: accounts for the console, on SQLite and on PostgreSQL, with argon2 hashes and an audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.store.database import Store
from ivr.store.staff import StaffStore
from tests.conftest import BUNDLED_MENUS


@pytest.fixture
def staff_cli(database_url: str, tmp_path: Path) -> tuple[CliRunner, dict[str, str]]:
    env = {"IVR_DATABASE_URL": database_url, "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
           "IVR_MENUS_DIR": str(BUNDLED_MENUS), "IVR_FROZEN_TIME": "2026-11-26T09:00+08:00"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    return CliRunner(), env


def run(staff_cli: tuple[CliRunner, dict[str, str]], *args: str, stdin: str | None = None) -> Result:
    runner, env = staff_cli
    return runner.invoke(main, list(args), env=env, input=stdin)


def test_staff_are_added_from_stdin_listed_and_disabled(staff_cli: tuple[CliRunner, dict[str, str]],
                                                         database_url: str) -> None:
    added = run(staff_cli, "staff", "add", "li.wei", "--role", "admin", stdin="a long password 1\n")
    assert added.exit_code == 0, added.output
    assert added.output == "Staff account 'li.wei' (admin) created; log in at /admin/login.\n"
    assert run(staff_cli, "staff", "add", "kim", "--role", "viewer", stdin="another password\n").exit_code == 0

    listed = run(staff_cli, "staff", "list").output.splitlines()
    assert listed[0].split() == ["name", "role", "state", "created"]
    assert [line.split()[:3] for line in listed[1:]] == [["kim", "viewer", "active"], ["li.wei", "admin", "active"]]

    accounts = StaffStore(Store.from_url(database_url))
    assert accounts.authenticate("li.wei", "a long password 1") is not None
    assert accounts.authenticate("li.wei", "a long password") is None
    with Store.from_url(database_url).engine.connect() as connection:
        from sqlalchemy import text

        stored = connection.execute(text("SELECT password_hash FROM staff WHERE username = 'li.wei'")).scalar_one()
    assert stored.startswith("$argon2id$") and "a long password" not in stored

    assert run(staff_cli, "staff", "disable", "kim").output == "Staff account 'kim' is disabled.\n"
    assert run(staff_cli, "staff", "list").output.splitlines()[1].split()[:3] == ["kim", "viewer", "disabled"]
    assert accounts.authenticate("kim", "another password") is None
    assert [(e.action, e.detail) for e in accounts.audit_entries()] == [
        ("staff_disable", "kim"), ("staff_add", "kim as viewer"), ("staff_add", "li.wei as admin")]


def test_staff_mistakes_are_refused_with_a_sentence(staff_cli: tuple[CliRunner, dict[str, str]]) -> None:
    wrong_role = run(staff_cli, "staff", "add", "li", "--role", "boss", stdin="a long password\n")
    assert wrong_role.exit_code == 2 and "'boss' is not one of 'viewer', 'editor', 'admin'" in wrong_role.output
    short = run(staff_cli, "staff", "add", "li", "--role", "viewer", stdin="short\n")
    assert short.exit_code == 1
    assert short.output == "Error: The password is too short; use at least 10 characters.\n"
    run(staff_cli, "staff", "add", "li", "--role", "viewer", stdin="a long password\n")
    again = run(staff_cli, "staff", "add", "li", "--role", "editor", stdin="a long password\n")
    assert again.output == "Error: There is already a staff account 'li'; `ivr staff list` shows them.\n"
    spaced = run(staff_cli, "staff", "add", "li wei", "--role", "viewer", stdin="a long password\n")
    assert spaced.exit_code == 1 and "is not a usable login name" in spaced.output
    unknown = run(staff_cli, "staff", "disable", "nobody")
    assert unknown.output == "Error: There is no staff account 'nobody'; `ivr staff list` shows them.\n"
    assert run(staff_cli, "staff", "list").output.count("\n") == 2  # header and li


def test_an_empty_staff_list_says_how_to_add_the_first(staff_cli: tuple[CliRunner, dict[str, str]]) -> None:
    assert run(staff_cli, "staff", "list").output == \
        "No staff accounts; `ivr staff add NAME --role admin` creates the first.\n"
