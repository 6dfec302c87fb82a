"""`ivr staff …`: the staff console's accounts, made and kept from the server's terminal (each change audited)."""

from __future__ import annotations

import sys

import click

from ivr.cli.common import database_errors, moment_or_now, open_store
from ivr.cli.errors import CliError
from ivr.store.staff import ROLES


@click.group()
def staff() -> None:
    """Staff accounts of the console at /admin."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer: see and listen (pages, messages, try a call); editor: also mark messages called "
              "back, edit and publish the menus, restore versions; admin: also staff accounts and the audit log.")
@database_errors
def staff_add(name: str, role: str) -> None:
    """Create a staff account; the password is read from standard input, or asked twice at a terminal."""
    from ivr.store.staff import StaffError, StaffStore

    password = _read_password()
    accounts = StaffStore(open_store())
    try:
        accounts.add(name, password, role, moment_or_now(None))
    except StaffError as exc:
        raise CliError(str(exc)) from exc
    accounts.audit(_operator(), "staff_add", moment_or_now(None), f"{name} as {role}", "command line")
    click.echo(f"Staff account '{name}' ({role}) created; log in at /admin/login.")


@staff.command("list")
@database_errors
def staff_list() -> None:
    """List the staff accounts with their roles and whether they may log in."""
    from ivr.store.staff import StaffStore

    accounts = StaffStore(open_store()).all()
    if not accounts:
        click.echo("No staff accounts; `ivr staff add NAME --role admin` creates the first.")
        return
    click.echo(f"{'name':<24} {'role':<7} {'state':<9} created")
    for account in accounts:
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username:<24} {account.role:<7} {state:<9} {account.created_at:%Y-%m-%d %H:%M}")


@staff.command("disable")
@click.argument("name")
@database_errors
def staff_disable(name: str) -> None:
    """Stop a staff account from logging in; its open sessions end at once."""
    from ivr.store.staff import StaffStore

    accounts = StaffStore(open_store())
    if not accounts.disable(name):
        raise CliError(f"There is no staff account '{name}'; `ivr staff list` shows them.")
    accounts.audit(_operator(), "staff_disable", moment_or_now(None), name, "command line")
    click.echo(f"Staff account '{name}' is disabled.")


@staff.command("password")
@click.argument("name")
@database_errors
def staff_password(name: str) -> None:
    """Give a staff account a new password (read like `ivr staff add` reads one); its open sessions end."""
    from ivr.store.staff import StaffError, StaffStore

    password = _read_password()
    accounts = StaffStore(open_store())
    try:
        accounts.set_password(name, password)
    except StaffError as exc:
        raise CliError(str(exc)) from exc
    accounts.audit(_operator(), "staff_password", moment_or_now(None), name, "command line")
    click.echo(f"Staff account '{name}' has a new password; its open sessions have ended.")


@staff.command("unlock")
@click.argument("name")
@database_errors
def staff_unlock(name: str) -> None:
    """Let a staff account log in again from every address after failed logins locked it."""
    from ivr.store.logins import LoginAttempts
    from ivr.store.staff import StaffStore

    store = open_store()
    accounts = StaffStore(store)
    if accounts.get(name) is None:
        raise CliError(f"There is no staff account '{name}'; `ivr staff list` shows them.")
    at = moment_or_now(None)
    locked = LoginAttempts(store).unlock(name, at)
    accounts.audit(_operator(), "staff_unlock", at, f"{name} ({locked} locked addresses)", "command line")
    click.echo(f"Staff account '{name}' is unlocked ({locked} locked addresses); it may log in from anywhere.")


def _read_password() -> str:
    """Read a password from standard input, or ask for it twice at a terminal."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _operator() -> str:
    """Name the person at the server's terminal for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


COMMANDS: tuple[click.Command, ...] = (staff,)
