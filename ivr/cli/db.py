"""`ivr db …`: the call records database: its schema, the outbox's events, backups, and the records writer."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from ivr import logs
from ivr.cli.common import database_errors, moment_or_now, open_store, outbox_of, settings
from ivr.cli.errors import CliError
from ivr.clock import now
from ivr.store.database import Store, StoreUnavailable, upgrade_schema
from ivr.store.folder import outbox_folder
from ivr.store.urls import safe_url


@click.group()
def db() -> None:
    """Manage the call records database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the tables of IVR_DATABASE_URL to the newest schema."""
    url = settings().database_url
    try:
        upgrade_schema(Store.from_url(url).engine)
    except StoreUnavailable as exc:
        raise CliError(f"Could not migrate {safe_url(url)}: {exc}") from exc
    click.echo(f"{safe_url(url)}: the schema is up to date.")


@db.command("flush")
@click.option("--outbox", type=click.Path(file_okay=False),
              help="The outbox folder (default: the instance folder's, for IVR_DATABASE_URL).")
@database_errors
def db_flush(outbox: str | None) -> None:
    """Write the call events waiting in the outbox into the database now, and say what is left.

    The file a running worker is appending to is left alone: it hands it over within a second or two.
    """
    from ivr.store.recorder import Recorder

    config = settings()
    folder = Path(outbox) if outbox else outbox_folder(config.instance_dir, config.database_url)
    recorder = Recorder(open_store(), folder, background=False)
    taken = recorder.flush()
    state = recorder.state()
    said = [f"Took {taken} call events from {folder} into the database; {state.waiting} still wait, "
            f"{state.set_aside} were set aside as refused by the database."]
    if state.in_memory or state.dropped:  # the disk refused them: only the workers holding them can write them
        said.append(f"{state.in_memory} more are held in the memory of running workers, which write them back "
                    f"within a second of the outbox or the database taking them; {state.dropped} were dropped (see "
                    "the log).")
    if state.waiting or state.in_memory:  # events not yet in the database: a script waiting on them tries again
        raise CliError(answer="\n".join(said))
    click.echo("\n".join(said))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE when it exists.")
def db_backup(file: Path, force: bool) -> None:
    """Copy the embedded SQLite records into FILE while the service runs (PostgreSQL: says the pg_dump command)."""
    from ivr.store.backup import BackupError, backup_sqlite, pg_dump_command, pg_restore_command, sqlite_file

    config = settings()
    database = sqlite_file(config.database_url)
    if database is None:
        raise CliError(
            f"{safe_url(config.database_url)} is not an SQLite file, so `ivr db backup` does not copy it. Back up "
            f"PostgreSQL with its own tool, which makes a consistent copy while the service writes:\n"
            f"  {pg_dump_command(config.database_url, str(file))}\n"
            f"and restore it (service stopped) with:\n  {pg_restore_command(config.database_url, str(file))}\n"
            "The password is not shown: give it in PGPASSWORD or ~/.pgpass.")
    folder = outbox_of(config)
    try:
        made = backup_sqlite(database, file, force=force, outbox=folder)
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    click.echo(f"Backed up {database} to {made.path}: {made.calls} calls, {made.voicemails} voice messages, schema "
               f"{made.revision}, {made.pages} pages in {made.seconds:.1f} s.")
    if made.still_waiting:
        click.echo(f"Note: {made.still_waiting} call events were still waiting in {folder} for the database and are "
                   "not in this backup; they stay in the outbox and reach the database when it answers.", err=True)


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_restore(file: Path) -> None:
    """Put a backup made by `ivr db backup` in place of the SQLite records, with the service stopped."""
    from ivr.store.backup import BackupError, pg_restore_command, restore_sqlite, sqlite_file

    config = settings()
    database = sqlite_file(config.database_url)
    if database is None:
        raise CliError(
            f"{safe_url(config.database_url)} is not an SQLite file, so `ivr db restore` does not replace it. "
            f"With the service stopped, restore a pg_dump -Fc file with:\n"
            f"  {pg_restore_command(config.database_url, str(file))}\n"
            "then run `ivr db upgrade`. The password is not shown: give it in PGPASSWORD or ~/.pgpass.")
    try:
        done = restore_sqlite(database, file, moment_or_now(None), outbox=outbox_of(config))
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    upgraded = (f", upgraded from schema {done.revision_found} to {done.revision_now}"
                if done.revision_found != done.revision_now else f", schema {done.revision_now}")
    click.echo(f"Restored {file} into {done.database}: {done.calls} calls, {done.voicemails} voice messages"
               f"{upgraded}.")
    if done.kept_aside is not None:
        click.echo(f"The database it replaced is kept as {done.kept_aside}.")
    click.echo("Start the service again; call events waiting in the outbox are written into the restored records.")


@db.command("writer")
@click.option("--parent", type=int, help="Stop when this process (the server that started it) is gone.")
def db_writer(parent: int | None) -> None:
    """Write every worker's call events into the database, continuously (`ivr serve` starts one)."""
    from ivr.store.retention import Retention
    from ivr.store.writer import run_writer_process

    config = settings()
    folder = outbox_of(config)
    logs.configure(config.log_level)
    store = Store.from_url(config.database_url)
    # At its start, then once a day, the writer removes the records older than IVR_KEEP_DAYS.
    retention = Retention(store, config.keep_days, functools.partial(now, config.frozen_time), folder,
                          recordings=config.instance_dir / "recordings")
    run_writer_process(store, folder, parent or os.getppid(), chore=retention.tick)


COMMANDS: tuple[click.Command, ...] = (db,)
