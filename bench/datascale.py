"""Data-scale benchmark: the report on a year (or five) of calls, against the bare SQL aggregates over the same rows.

Writes `--calls-per-day` calls a day (default 1,000; about five steps each) for `--years` years up to 2026-11-30
into the project's own tables (schema by its migrations; rows by bulk inserts: executemany on SQLite, COPY on
PostgreSQL, not through the webhooks), on SQLite and, when IVR_TEST_POSTGRES_URL names a server or Debian's
binaries can start a private one, on PostgreSQL. Then, for a month, a year and (with --years 5) five years, it
runs in a fresh process each:

- the report as `ivr report` and the console's figures page make it: build_report, name_report, report_csv;
- the console's figures page for the period (/admin/figures, logged in, through Flask's test client);
- the baseline: the bare SQL aggregates over the same rows, written by hand for the driver (calls per day over
  the period's calls, steps per node over their steps), no SQLAlchemy and no Python counting;

and prints each one's best time of three runs, the process's peak resident memory (VmHWM, the
interpreter and imports included), and the ratios report / baseline and page / baseline; on SQLite also
each one's processor time, steadier than the time on a shared machine.

Run: python bench/datascale.py [--calls-per-day 1000] [--years 1] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAST_DAY = date(2026, 11, 30)
CALL_COLUMNS = ("call_sid", "caller", "called", "started_at", "ended_at", "language", "out_of_hours", "last_seq",
                "last_node", "last_outcome", "unit_id", "forwarded_number", "dial_status", "dial_duration",
                "call_status", "duration")
STEP_COLUMNS = ("call_sid", "seq", "at", "node", "digits", "outcome", "unit_id", "dial_status", "dial_duration")
# Main menu key -> (submenu, [(key, unit)]): the shape of the bundled menus, two presses to a unit.
MENUS = {"1": ("assistance", [("1", "social_assistance"), ("2", "charity")]),
         "2": ("marriage", [("1", "marriage_registry")]),
         "3": ("employment", [("1", "employment_bureau"), ("2", "talent_exchange")]),
         "6": ("veterans", [("1", "veterans_center")]),
         "8": ("funeral", [("1", "funeral_office")])}
DIALS = ["completed"] * 6 + ["busy", "no-answer", "failed", "canceled"]
# Calls per hour of day: most in office hours, a few in the evening and at night.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 10, 40, 60, 60, 45, 20, 40, 55, 50, 30, 10, 6, 4, 3, 2, 1, 1]


def open_hours(moment: datetime) -> bool:
    """Winter office hours on weekdays (the bench needs only a plausible split, not the bureau's calendar)."""
    minutes = moment.hour * 60 + moment.minute
    return moment.weekday() < 5 and (480 <= minutes < 690 or 780 <= minutes < 990)


def journey(rng: random.Random, is_open: bool) -> list[tuple[str, str | None, str, str | None, str | None]]:
    """Steps after the start: (node, digits, outcome, unit, dial status); the node left is the last one's."""
    steps: list[tuple[str, str | None, str, str | None, str | None]] = [("language", "1", "menu", None, None)]
    key = rng.choice(list(MENUS))
    submenu, units = MENUS[key]
    if rng.random() < 0.08:  # tried a key that means nothing, twice, and gave up or hung up
        steps += [("menu:main", "7", "menu", None, None), ("menu:main", None, "menu", None, None)]
        steps.append(("menu:main", None, "goodbye" if rng.random() < 0.5 else "menu", None, None))
        return steps
    steps.append(("menu:main", key, "menu", None, None))
    sub_key, unit = rng.choice(units)
    if rng.random() < 0.07:
        return steps  # hung up at the submenu
    if is_open:
        steps.append((f"menu:{submenu}", sub_key, "forwarded", unit, None))
        dial = rng.choice(DIALS)
        steps.append((f"dialed:{unit}", None, "connected" if dial == "completed" else "not_connected", unit, dial))
        if dial != "completed" and rng.random() < 0.4:
            steps.append((f"after:{unit}", "1", "voicemail", unit, None))
            steps.append((f"record:{unit}", None, "voicemail_saved", unit, None))
        return steps
    steps.append((f"menu:{submenu}", sub_key, "closed", unit, None))
    then = rng.random()
    if then < 0.3:
        steps.append((f"closed:{unit}", "1", "info", unit, None))
    elif then < 0.7:
        steps.append((f"closed:{unit}", "2", "voicemail", unit, None))
        if rng.random() < 0.8:
            steps.append((f"record:{unit}", None, "voicemail_saved", unit, None))
    return steps


def generate(days: int, per_day: int, seed: int = 2026) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Yield each call's row and its steps' rows, moments as naive Shanghai datetimes."""
    rng = random.Random(seed)
    first = LAST_DAY - timedelta(days=days - 1)
    number = 0
    for day in range(days):
        midnight = datetime.combine(first + timedelta(days=day), datetime.min.time())
        for hour in rng.choices(range(24), HOUR_WEIGHTS, k=per_day):
            number += 1
            start = midnight + timedelta(hours=hour, seconds=rng.randrange(3600))
            is_open = open_hours(start)
            sid = f"CA{number:032x}"
            steps = journey(rng, is_open)
            step_rows = [(sid, 0, start, "start", None, "menu", None, None, None)]
            for seq, (node, digits, outcome, unit, dial) in enumerate(steps, start=1):
                step_rows.append((sid, seq, start + timedelta(seconds=seq * 5), node, digits, outcome, unit, dial,
                                  30 if dial == "completed" else 0 if dial else None))
            node, _, outcome, unit, dial = steps[-1]
            landed = {"not_connected": f"after:{unit}", "voicemail": f"record:{unit}",
                      "closed": f"closed:{unit}", "info": f"info:{unit}"}.get(outcome, node)
            ended = start + timedelta(seconds=len(steps) * 5 + 20)
            dialed = next((s for s in steps if s[4]), None)
            yield ((sid, "+8613812345678", "+864333622075", start, ended, "zh", not is_open, len(steps), landed,
                    outcome, unit if dialed else None, "+864333623441" if dialed else None,
                    dialed[4] if dialed else None, 30 if dialed and dialed[4] == "completed" else None,
                    "completed", len(steps) * 5 + 20), step_rows)


def fill_sqlite(path: Path, days: int, per_day: int) -> None:
    """Write the calls into a SQLite file with the project's schema, in one transaction."""
    from ivr.store.database import Store, upgrade_schema

    url = f"sqlite:///{path}"
    upgrade_schema(Store.from_url(url).engine)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")

    def text(row: tuple[Any, ...]) -> tuple[Any, ...]:  # as SQLAlchemy's DateTime writes it on SQLite
        return tuple(f"{v:%Y-%m-%d %H:%M:%S.%f}" if isinstance(v, datetime) else v for v in row)

    call_sql = f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))})"
    step_sql = f"INSERT INTO steps ({', '.join(STEP_COLUMNS)}) VALUES ({', '.join('?' * len(STEP_COLUMNS))})"
    with connection:
        for call_rows, step_rows in chunks(generate(days, per_day)):
            connection.executemany(call_sql, [text(r) for r in call_rows])
            connection.executemany(step_sql, [text(r) for r in step_rows])
    connection.execute("ANALYZE")
    connection.close()


def fill_postgres(url: str, days: int, per_day: int) -> None:
    """Write the calls into a PostgreSQL database with the project's schema, by COPY."""
    import psycopg
    from sqlalchemy import make_url

    from ivr.store.database import Store, upgrade_schema

    upgrade_schema(Store.from_url(url).engine)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def aware(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(f"{v:%Y-%m-%d %H:%M:%S}+08" if isinstance(v, datetime) else v for v in row)

    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        for call_rows, step_rows in chunks(generate(days, per_day)):
            with cursor.copy(f"COPY calls ({', '.join(CALL_COLUMNS)}) FROM STDIN") as copy:
                for row in call_rows:
                    copy.write_row(aware(row))
            with cursor.copy(f"COPY steps ({', '.join(STEP_COLUMNS)}) FROM STDIN") as copy:
                for row in step_rows:
                    copy.write_row(aware(row))
        connection.commit()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def chunks(calls: Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]], size: int = 50_000
           ) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Group calls and their steps by `size` calls, so the generator never holds the whole data set."""
    call_rows: list[tuple[Any, ...]] = []
    step_rows: list[tuple[Any, ...]] = []
    for call, its_steps in calls:
        call_rows.append(call)
        step_rows.extend(its_steps)
        if len(call_rows) >= size:
            yield call_rows, step_rows
            call_rows, step_rows = [], []
    if call_rows:
        yield call_rows, step_rows


# Measured in a process of its own -----------------------------------------------------------------------------

def run_report(url: str, since: date, until: date) -> Any:
    """The report as `ivr report --format csv` makes it, and the console's CSV in Chinese."""
    from functools import partial

    from ivr.core.loader import load_hotline
    from ivr.store.database import Store
    from ivr.store.report import build_report, name_report, report_csv, staff_csv
    from ivr.web.admin.i18n import translate

    store, hotline = Store.from_url(url), load_hotline(ROOT / "menus")

    def once() -> Any:
        figures = build_report(store, since, until)
        report_csv(name_report(figures, hotline, "zh"))
        staff_csv(figures, hotline, "zh", partial(translate, lang="zh"))
        return figures["calls"]

    return once


def run_page(url: str, since: date, until: date) -> Any:
    """The console's figures page for the period, asked for by a logged-in member of staff."""
    from ivr.clock import TIMEZONE
    from ivr.store.staff import StaffStore
    from tests.conftest import make_app
    from tests.console import csrf_token

    app = make_app(DATABASE_URL=url, FROZEN_TIME="2026-12-01T10:00:00+08:00")
    name, password = f"bench{os.getpid()}", "bench password 1"
    StaffStore(app.extensions["ivr.recorder"].store).add(name, password, "viewer", datetime.now(TIMEZONE))
    client = app.test_client()
    client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": name, "password": password})

    def once() -> Any:
        page = client.get(f"/admin/figures?since={since}&until={until}")
        assert page.status_code == 200, page.status_code
        return None

    return once


def run_baseline(url: str, since: date, until: date) -> Any:
    """The bare SQL aggregates over the same rows: calls per day, and the steps of those calls per node."""
    start, end = f"{since} 00:00:00", f"{until + timedelta(days=1)} 00:00:00"
    if url.startswith("sqlite"):
        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        day, params = "substr(c.started_at, 1, 10)", (start, end)
        period = "c.started_at >= ? AND c.started_at < ?"
    else:
        import psycopg
        from sqlalchemy import make_url

        connection = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True)
        day, params = "date(c.started_at AT TIME ZONE 'Asia/Shanghai')", (start + "+08", end + "+08")
        period = "c.started_at >= %s AND c.started_at < %s"

    def once() -> Any:
        per_day = connection.execute(f"SELECT {day}, count(*) FROM calls c WHERE {period} GROUP BY 1",
                                     params).fetchall()
        connection.execute(f"SELECT s.node, count(*) FROM steps s JOIN calls c ON s.call_sid = c.call_sid "
                           f"WHERE {period} GROUP BY s.node", params).fetchall()
        return sum(n for _, n in per_day)

    return once


def measure_here(kind: str, url: str, since: str, until: str) -> None:
    """Run one kind three times in this process and print its best time and the calls counted, as JSON."""
    run = {"report": run_report, "page": run_page, "baseline": run_baseline}[kind]
    once = run(url, date.fromisoformat(since), date.fromisoformat(until))
    times, cpu, counted = [], [], None
    for _ in range(3):
        began, began_cpu = time.perf_counter(), time.process_time()
        counted = once()
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    # The peak resident memory of this process's own address space (VmHWM starts afresh at exec; a child's
    # ru_maxrss would start at its parent's).
    peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": min(times), "cpu": min(cpu), "calls": counted,
                      "peak_mb": int(peak.split()[1]) / 1024}))


def measure(kind: str, url: str, since: date, until: date) -> tuple[float, float, int, float]:
    """Run one kind in a fresh process; return its best seconds, peak RSS in MB, the calls counted and its best
    processor seconds (on SQLite the database's work too: a steadier measure than the time on a busy machine)."""
    child = subprocess.Popen([sys.executable, __file__, "--measure", kind, url, str(since), str(until)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    if child.wait() != 0:
        raise SystemExit(f"the {kind} process failed ({child.returncode}) on {url}")
    found = json.loads(output)
    return found["seconds"], found["peak_mb"], found["calls"], found["cpu"]


def compare(name: str, url: str, years: int) -> None:
    """Print the report against the baseline for a month, a year and (when written) five years."""
    periods = [("month", date(2026, 11, 1)), ("year", date(2025, 12, 1))]
    if years >= 5:
        periods.append(("5 years", date(2021, 12, 1)))
    for label, since in periods:
        report_s, report_mb, report_calls, report_cpu = measure("report", url, since, LAST_DAY)
        base_s, base_mb, base_calls, base_cpu = measure("baseline", url, since, LAST_DAY)
        page_s, page_mb, _, page_cpu = measure("page", url, since, LAST_DAY)
        assert report_calls == base_calls, (report_calls, base_calls)
        print(f"{name:10} {label:7} {report_calls:>8} calls  report {report_s:6.2f} s {report_mb:4.0f} MB  "
              f"page {page_s:6.2f} s {page_mb:4.0f} MB  bare SQL {base_s:6.2f} s {base_mb:4.0f} MB  "
              f"ratio {report_s / base_s:4.2f} / {page_s / base_s:4.2f}", flush=True)
        if url.startswith("sqlite"):
            print(f"{'':10} {'':7} {'':8} processor time: report {report_cpu:6.2f} s, page {page_cpu:6.2f} s, "
                  f"bare SQL {base_cpu:6.2f} s, ratio {report_cpu / base_cpu:4.2f} / {page_cpu / base_cpu:4.2f}",
                  flush=True)


def postgres_url() -> tuple[str, Any] | None:
    """Return a new database on IVR_TEST_POSTGRES_URL's server or a private one (and the server to stop)."""
    from tests.postgres import PostgresServer, create_database, find_pg_bin

    admin = os.environ.get("IVR_TEST_POSTGRES_URL")
    if admin:
        return create_database(admin), None
    bin_dir = find_pg_bin()
    if bin_dir is None:
        return None
    server = PostgresServer(bin_dir)
    server.init()
    server.start()
    return server.new_database(), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-day", type=int, default=1000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--measure", nargs=4, metavar=("KIND", "URL", "SINCE", "UNTIL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_here(*args.measure)
        return
    days = (LAST_DAY - date(LAST_DAY.year - args.years, LAST_DAY.month, LAST_DAY.day)).days
    print(f"{args.calls_per_day} calls a day for {days} days, up to {LAST_DAY}", flush=True)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="ivr-datascale-") as folder:
            path = Path(folder) / "records.sqlite3"
            began = time.perf_counter()
            fill_sqlite(path, days, args.calls_per_day)
            print(f"SQLite: written in {time.perf_counter() - began:.0f} s, "
                  f"{path.stat().st_size / 2**20:.0f} MB", flush=True)
            compare("SQLite", f"sqlite:///{path}", args.years)
    if args.backend in ("postgresql", "both"):
        found = postgres_url()
        if found is None:
            print("PostgreSQL: not measured (set IVR_TEST_POSTGRES_URL or install Debian's postgresql)")
            return
        url, server = found
        try:
            began = time.perf_counter()
            fill_postgres(url, days, args.calls_per_day)
            print(f"PostgreSQL: written in {time.perf_counter() - began:.0f} s", flush=True)
            compare("PostgreSQL", url, args.years)
        finally:
            drop_database(url)
            if server is not None:
                server.destroy()


def drop_database(url: str) -> None:
    """Remove the bench's database from a server that outlives the bench."""
    import psycopg
    from sqlalchemy import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')


if __name__ == "__main__":
    main()
