"""The `ivr` command: validate and explore the menus, check office hours, run and call the hotline.

One module per group of commands:
- `menus`: `validate`, `tree`, `prompts` (the menus folder) and `menus …` (published versions, publishing);
- `hours`: `hours`; `calls`: `call` (the simulator) and `find` (where a sentence leads);
- `serve`: `serve` and `fallback-twiml`; `db`: `db …` (schema, outbox, backups, the records writer);
- `records`: `voicemail …`, `report`, `purge`; `staff`: `staff …` (the console's accounts);
- `common`: what they share (settings, the menus folder, moments, the store); `errors`: `CliError`, the one way a
  command fails, shown once by click at the edge.
"""

from __future__ import annotations

import logging
from types import ModuleType

import click

from ivr.cli import calls, db, hours, menus, records, serve, staff
from ivr.cli.errors import CliError

__all__ = ["CliError", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tumen-ivr", prog_name="ivr")
def main() -> None:
    """Tumen hotline IVR: menus, office hours, the webhook service and a call simulator."""
    # Commands print their own results; the service's per-step call log (INFO) is for `ivr serve` only.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _add_commands(*modules: ModuleType) -> None:
    """Add each module's commands (its `COMMANDS`) to `ivr`."""
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_add_commands(menus, hours, calls, serve, db, records, staff)
