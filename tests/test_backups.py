"""Backups made while the service writes, restored with it stopped; PostgreSQL's own tools for PostgreSQL."""

from __future__ import annotations

import csv
import fcntl
import http.client
import io
import os
import shlex
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from ivr.cli import main
from ivr.clock import parse_moment
from ivr.events import StepEvent
from ivr.store.backup import holders, known_revisions
from ivr.store.database import MIGRATIONS, Store, upgrade_schema
from ivr.store.folder import outbox_folder
from ivr.store.outbox import Outbox
from ivr.store.tables import calls, steps
from tests.postgres import ExternalPostgres, PostgresServer, find_pg_bin
from tests.served import IVR, ServedHotline

CALLER = "+8613812345678"
AT = parse_moment("2026-11-26T10:00:00+08:00")
HEAD = known_revisions()[1]  # the newest schema revision of this checkout


def sid(number: int) -> str:
    return f"CA{number:032d}"


def records_of(database: Path) -> dict[str, list[tuple[int, str]]]:
    """Each call's steps (seq, node) in a SQLite file."""
    found: dict[str, list[tuple[int, str]]] = {}
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        for call_sid, in connection.execute("SELECT call_sid FROM calls"):
            found[call_sid] = []
        for call_sid, seq, node in connection.execute("SELECT call_sid, seq, node FROM steps ORDER BY seq"):
            found.setdefault(call_sid, []).append((seq, node))
    return found


def ivr(instance: Path, *args: str, code: int = 0, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the `ivr` command as an operator does, in a process of its own."""
    environment = {**os.environ, "IVR_INSTANCE_DIR": str(instance), "IVR_FROZEN_TIME": "2026-11-26T23:30:00+08:00",
                   **env}
    environment.pop("IVR_DATABASE_URL", None) if "IVR_DATABASE_URL" not in env else None
    done = subprocess.run([IVR, *args], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return done


def test_a_backup_taken_while_ivr_serve_answers_calls_holds_every_call_answered_before_it_began(
        menus: Path, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    served = ServedHotline(menus, instance, workers=2)
    answered: dict[str, float] = {}  # call -> when its last step was answered (monotonic)
    began: dict[str, float] = {}  # call -> when its first step was sent
    stop = threading.Event()

    def caller(number: int) -> None:
        for sequence in range(100_000):
            if stop.is_set():
                return
            call_sid = sid(number * 100_000 + sequence)
            form = {"CallSid": call_sid, "From": CALLER, "To": "+864333622075", "AccountSid": "AC" + "0" * 32}
            began[call_sid] = time.monotonic()
            try:
                first, _ = served.post("/voice", form)
                second, _ = served.post("/voice/step?node=menu%3Amain&lang=zh&seq=1", {**form, "Digits": "2"})
            except (OSError, http.client.HTTPException):
                continue
            if first == second == 200:
                answered[call_sid] = time.monotonic()

    try:
        served.wait_ready()
        callers = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(1, 5)]
        for thread in callers:
            thread.start()
        time.sleep(3)
        backup = tmp_path / "backups" / "ivr-2026-11-26.sqlite3"
        backup.parent.mkdir()
        backup_began = time.monotonic()
        made = ivr(instance, "db", "backup", str(backup))
        backup_ended = time.monotonic()
        # While it runs, the service refuses to be restored over, naming who holds the database.
        refused = ivr(instance, "db", "restore", str(backup), code=1)
        time.sleep(1)
        stop.set()
        for thread in callers:
            thread.join(timeout=15)
    finally:
        stop.set()
        assert served.stop() == 0

    assert made.stdout.startswith(f"Backed up {instance / 'ivr.sqlite3'} to {backup}: ")
    assert made.stderr == ""  # every event waiting when it began reached the database first
    assert f"The database {instance / 'ivr.sqlite3'} is in use by: process " in refused.stderr
    assert "the records writer of `ivr serve`" in refused.stderr
    assert refused.stderr.rstrip().endswith("then run `ivr db restore` again. Nothing was changed.")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no temporary file left beside it

    fresh = tmp_path / "fresh-instance"
    restored = ivr(fresh, "db", "restore", str(backup))
    assert restored.stdout.splitlines()[0].startswith(f"Restored {backup} into {fresh / 'ivr.sqlite3'}: ")
    kept = records_of(fresh / "ivr.sqlite3")
    before = [s for s, at in answered.items() if at < backup_began]
    after = [s for s, at in began.items() if at > backup_ended]
    assert len(before) > 50 and len(after) > 10, (len(before), len(after))
    missing = [s for s in before if s not in kept]
    assert not missing, f"{len(missing)} of {len(before)} calls answered before the backup are not in it"
    assert all(kept[s] == [(0, "start"), (1, "menu:main")] for s in before)
    assert not [s for s in after if s in kept]  # begun after the backup ended: not in the snapshot

    # The live records, once flushed, hold the calls after the backup too: the backup is a moment, not the end.
    ivr(instance, "db", "flush")
    live = records_of(instance / "ivr.sqlite3")
    assert set(kept) < set(live) and set(after) & set(answered) <= set(live)
    assert all(live[s] == kept[s] for s in before)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """An instance folder whose records hold one call of two steps."""
    folder = tmp_path / "instance"
    folder.mkdir()
    store = Store.from_url(f"sqlite:///{folder / 'ivr.sqlite3'}")
    upgrade_schema(store.engine)
    store.apply(two_steps(1))
    store.engine.dispose()
    return folder


def two_steps(number: int) -> list[StepEvent]:
    return [StepEvent.make(call_sid=sid(number), at=AT, seq=0, node="start", outcome="menu", caller=CALLER),
            StepEvent.make(call_sid=sid(number), at=AT, seq=1, node="menu:main", digits="2", outcome="forwarded",
                           unit_id="marriage_registry", forwarded_number="+864333623441")]


def add_call(instance: Path, number: int) -> None:
    store = Store.from_url(f"sqlite:///{instance / 'ivr.sqlite3'}")
    store.apply(two_steps(number))
    store.engine.dispose()


def test_a_backup_never_replaces_a_file_unless_forced_and_restore_keeps_the_database_it_replaces(
        instance: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.sqlite3"
    backup.write_text("yesterday's notes")
    refused = ivr(instance, "db", "backup", str(backup), code=1)
    assert refused.stderr == f"Error: {backup} exists already; give another file name, or add --force to replace it.\n"
    assert backup.read_text() == "yesterday's notes"
    made = ivr(instance, "db", "backup", str(backup), "--force")
    assert made.stdout.startswith(f"Backed up {instance / 'ivr.sqlite3'} to {backup}: 1 calls, 0 voice messages, "
                                  f"schema {HEAD}, ")
    add_call(instance, 2)  # after the backup
    (instance / "ivr.sqlite3").chmod(0o640)  # as the operator set it up for the service's user
    waiting = Outbox(outbox_folder(instance, f"sqlite:///{instance / 'ivr.sqlite3'}") / "worker-1-00000000.sqlite3")
    waiting.append(two_steps(3))  # a call whose events had not reached the database when the service stopped
    waiting.close()
    restored = ivr(instance, "db", "restore", str(backup))
    aside = instance / "ivr.sqlite3.before-restore-20261126T233000"
    assert restored.stdout == (
        f"Restored {backup} into {instance / 'ivr.sqlite3'}: 1 calls, 0 voice messages, schema {HEAD}.\n"
        f"The database it replaced is kept as {aside}.\n"
        "Start the service again; call events waiting in the outbox are written into the restored records.\n")
    assert list(records_of(instance / "ivr.sqlite3")) == [sid(1)]
    assert oct((instance / "ivr.sqlite3").stat().st_mode & 0o777) == "0o640"
    assert sorted(records_of(aside)) == [sid(1), sid(2)]  # nothing lost: the replaced one is all there
    assert not (instance / "ivr.sqlite3-wal").exists() and not Path(f"{aside}-wal").exists()
    assert ivr(instance, "db", "flush").stdout.startswith("Took 2 call events from ")
    assert sorted(records_of(instance / "ivr.sqlite3")) == [sid(1), sid(3)]
    assert backup.exists()  # restoring copies the backup; the file stays for the next time
    again = ivr(instance, "db", "restore", str(backup))
    assert f"kept as {aside}-2." in again.stdout


def test_restore_refuses_what_is_not_a_backup_of_this_hotline(instance: Path, tmp_path: Path) -> None:
    before = (instance / "ivr.sqlite3").read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    assert ivr(instance, "db", "restore", str(text), code=1).stderr == (
        f"Error: {text} is not an SQLite database (it does not start as one); give the file `ivr db backup` wrote. "
        "Nothing was changed.\n")
    foreign = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(foreign)) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    assert ivr(instance, "db", "restore", str(foreign), code=1).stderr == (
        f"Error: {foreign} is an SQLite database, but not of this hotline's records (its tables: photos); give a "
        "file made by `ivr db backup`.\n")
    newer = tmp_path / "newer.sqlite3"
    ivr(instance, "db", "backup", str(newer))
    with closing(sqlite3.connect(newer)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
        connection.commit()
    assert ivr(instance, "db", "restore", str(newer), code=1).stderr == (
        f"Error: {newer} is at schema revision 0099, which this version of ivr does not know (its newest is {HEAD}): "
        "it was made by a newer ivr. Restore it with that version. Nothing was changed.\n")
    nowhere = tmp_path / "no-such-folder" / "b.sqlite3"
    assert ivr(instance, "db", "backup", str(nowhere), code=1).stderr == (
        f"Error: Cannot write in {nowhere.parent} (No such file or directory); choose a folder you may write to.\n")
    missing = tmp_path / "nowhere.sqlite3"
    assert ivr(instance, "db", "restore", str(missing), code=1).stderr == (
        f"Error: There is no backup file {missing}; give the file `ivr db backup` wrote.\n")
    assert (instance / "ivr.sqlite3").read_bytes() == before
    assert sorted(p.name for p in instance.iterdir() if "before-restore" in p.name or p.name.endswith(".partial")) == []


def test_a_backup_of_an_older_schema_is_upgraded_as_it_is_restored(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{old}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")  # before published menus versions existed
        # A call as that schema held it (today's writer has columns an 0002 database lacks).
        connection.exec_driver_sql("INSERT INTO calls (call_sid, caller, started_at) VALUES (?, ?, ?)",
                                   (sid(7), CALLER, "2026-11-26 10:00:00.000000"))
        for seq, node in enumerate(("start", "menu:main")):
            connection.exec_driver_sql("INSERT INTO steps (call_sid, seq, at, node, outcome) VALUES (?, ?, ?, ?, ?)",
                                       (sid(7), seq, "2026-11-26 10:00:00.000000", node, "menu"))
    engine.dispose()
    fresh = tmp_path / "instance"
    restored = ivr(fresh, "db", "restore", str(old))
    assert restored.stdout.splitlines()[0] == (
        f"Restored {old} into {fresh / 'ivr.sqlite3'}: 1 calls, 0 voice messages, upgraded from schema 0002 to {HEAD}.")
    with closing(sqlite3.connect(fresh / "ivr.sqlite3")) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert connection.execute("SELECT count(*) FROM menu_versions").fetchone() == (0,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert list(records_of(fresh / "ivr.sqlite3")) == [sid(7)]
    with closing(sqlite3.connect(old)) as connection:  # the backup itself is left as it was
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]


def test_restore_names_each_holder_a_process_with_the_database_open_and_an_outbox_lock(
        instance: Path, tmp_path: Path) -> None:
    database = instance / "ivr.sqlite3"
    outbox = outbox_folder(instance, f"sqlite:///{database}")
    outbox.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time\n"
                               f"c = sqlite3.connect({str(database)!r}); c.execute('SELECT 1 FROM calls').fetchall()\n"
                               "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        with open(outbox / "worker-4242-0000abcd.sqlite3.owner", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            found = holders(database, outbox)
        assert len(found) == 2
        assert found[0].startswith(f"process {holder.pid} ({sys.executable} -c import sqlite3")
        lock_file = outbox / "worker-4242-0000abcd.sqlite3.owner"
        assert found[1] == f"a worker of the service (it holds the lock {lock_file})"
    finally:
        holder.kill()
        holder.wait()
    assert holders(database, outbox) == []  # the lock file left by a worker that is gone holds nothing


def test_the_figures_and_the_report_say_no_caller_number(tmp_path: Path) -> None:
    """What leaves the records as figures (`ivr report`, the console's CSV) counts calls; it names no caller."""
    from tests.console import console_app, leave_message, log_in, records

    app = console_app()
    records(app).apply(two_steps(3))
    leave_message(app, "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/", caller="+8613912345678")
    client = app.test_client()
    log_in(client, "viewer")
    figures = client.get("/admin/figures.csv?since=2026-11-01&until=2026-11-30").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(figures.removeprefix("\ufeff"))))
    assert rows[1][1:] == ["", "", "", "2"]  # the calls of the period
    assert [row[2:] for row in rows if row[2] == "2026-11-26"] == [["2026-11-26", "", "2"]]
    for digits in ("13812345678", "13912345678", "345678"):
        assert digits not in figures
    settings = app.extensions["ivr.settings"]
    env = {"IVR_DATABASE_URL": settings.database_url, "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
           "IVR_FROZEN_TIME": "2026-11-30T12:00+08:00"}
    for fmt in ("json", "csv", "text"):
        report = CliRunner().invoke(main, ["report", "--since", "2026-11-01", "--format", fmt], env=env)
        assert report.exit_code == 0, report.output
        assert "2026-11-26" in report.output
        assert "345678" not in report.output


# PostgreSQL -----------------------------------------------------------------------------------------------------


@pytest.fixture
def postgres_url(postgres: ExternalPostgres | PostgresServer) -> str:
    return postgres.new_database()


def test_on_postgresql_backup_says_the_pg_dump_command_and_that_command_and_pg_restore_work(
        postgres_url: str, postgres: ExternalPostgres | PostgresServer, tmp_path: Path) -> None:
    store = Store.from_url(postgres_url)
    upgrade_schema(store.engine)
    store.apply(two_steps(11))
    store.engine.dispose()
    dump = tmp_path / "ivr.dump"
    env = {"IVR_DATABASE_URL": postgres_url, "IVR_INSTANCE_DIR": str(tmp_path / "instance")}
    told = CliRunner().invoke(main, ["db", "backup", str(dump)], env=env)
    assert told.exit_code == 1
    lines = told.output.splitlines()
    assert lines[1].strip().startswith(f"pg_dump -Fc -f {dump} -d postgresql://")
    assert lines[3].strip().startswith("pg_restore --clean --if-exists --no-owner -d postgresql://")
    assert lines[-1] == "The password is not shown: give it in PGPASSWORD or ~/.pgpass."
    from sqlalchemy import make_url

    password = make_url(postgres_url).password
    if password:
        assert f":{password}@" not in told.output
    bin_dir = find_pg_bin()
    if bin_dir is None or not (bin_dir / "pg_dump").exists():
        pytest.skip("PostgreSQL's client tools are not installed")
    tools = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "PGPASSWORD": password or ""}
    subprocess.run(shlex.split(lines[1]), env={**os.environ, **tools}, check=True, timeout=60)
    # Into another, empty database, with the command `ivr db restore` says for it.
    other = postgres.new_database()
    restore_told = CliRunner().invoke(main, ["db", "restore", str(dump)], env={**env, "IVR_DATABASE_URL": other})
    assert restore_told.exit_code == 1
    restore_line = restore_told.output.splitlines()[1].strip()
    assert restore_line.startswith("pg_restore --clean --if-exists --no-owner -d postgresql://")
    subprocess.run(shlex.split(restore_line), env={**os.environ, **tools}, check=True, timeout=60)
    engine = create_engine(other)
    with engine.connect() as connection:
        assert list(connection.execute(select(calls.c.call_sid, calls.c.caller))) == [(sid(11), CALLER)]
        assert sorted(connection.execute(select(steps.c.seq, steps.c.node))) == [(0, "start"), (1, "menu:main")]
    engine.dispose()


def test_the_audit_log_which_outlives_the_records_keeps_no_whole_caller_number() -> None:
    from ivr.store.staff import StaffStore
    from tests.console import console_app, csrf_token, leave_message, log_in, records

    app = console_app()
    leave_message(app, "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/", caller="+8613912345678")
    editor = app.test_client()
    log_in(editor, "editor")
    editor.post("/admin/messages/1/called-back", data={"csrf_token": csrf_token(editor, "/admin/messages")})
    assert records(app).voicemails()[0].status == "called back"
    entry = StaffStore(records(app)).audit_entries()[0]
    assert (entry.action, entry.detail) == ("called_back", "voice message 1 from +86139*****678")
