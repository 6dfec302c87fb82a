"""The store: idempotent writes of call events, voice-message queries, purge, and schema migrations."""

from __future__ import annotations

import fcntl
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, and_, case, create_engine, delete, event, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ivr.clock import TIMEZONE
from ivr.events import CallEndedEvent, CallEvent, RecordingEvent, StepEvent
from ivr.store.tables import calls, steps, voicemails

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A step must answer within the provider's limit whatever the database does: give up on it quickly.
SQLITE_BUSY_SECONDS = 0.5
POSTGRES_CONNECT_SECONDS = 1
POSTGRES_STATEMENT_MS = 800

class StoreUnavailable(Exception):
    """The database cannot be reached, is locked or too slow right now; the same write may work later."""


class StoreRefused(Exception):
    """The database refused these values; writing them again will not help."""


# Errors that say the database is away (down, locked, too slow), not that the values were wrong.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


@dataclass(frozen=True)
class Voicemail:
    """A voice message waiting for (or given) a call back."""

    id: int
    caller: str | None
    unit: str | None
    recording_url: str | None
    duration: int | None
    status: str
    received_at: datetime
    call_sid: str
    recording_sid: str
    language: str | None = None  # the caller's, from the call's record
    called_back_at: datetime | None = None
    called_back_by: str | None = None


Method = TypeVar("Method", bound=Callable[..., Any])


def translate_errors(method: Method) -> Method:
    """Let only the store's own error out of a store method: callers never import SQLAlchemy."""

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(_reason(exc)) from exc

    return run  # type: ignore[return-value]


def make_engine(url: str) -> Engine:
    """Create an engine that fails fast rather than keep a caller waiting."""
    if url.startswith("sqlite"):
        # Pooled: the PRAGMAs run once per connection, not once per write.
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")
            # WAL lets `ivr report` read while the service writes; NORMAL sync is durable across crashes in WAL.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # After a checkpoint the log is cut back to 4 MiB rather than kept at its largest: on a small disk
            # shared with the outbox, a burst must not keep its space.
            cursor.execute("PRAGMA journal_size_limit = 4194304")
            cursor.close()

        return engine
    options = f"-c statement_timeout={POSTGRES_STATEMENT_MS} -c lock_timeout={POSTGRES_STATEMENT_MS}"
    return create_engine(url, pool_pre_ping=True, pool_timeout=1,
                         connect_args={"connect_timeout": POSTGRES_CONNECT_SECONDS, "options": options})


@translate_errors
def upgrade_schema(engine: Engine) -> None:
    """Bring the database schema to the newest migration (ivr db upgrade)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@translate_errors
def prepare_embedded_sqlite(store: Store) -> None:
    """Create the folder of a SQLite database and migrate it; other databases are left to `ivr db upgrade`."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite":
        return
    if not url.database or url.database == ":memory:":
        upgrade_schema(store.engine)
        return
    database = Path(url.database)
    database.parent.mkdir(parents=True, exist_ok=True)
    # Several workers start at once on a fresh instance folder: one migrates, the others then find it done.
    with open(database.with_name(database.name + ".migrating"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade_schema(store.engine)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Store:
    """Reads and writes call records; every write is idempotent, so a repeated callback leaves one row."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _forget_a_deleted_file(self) -> None:
        # A pooled connection to a SQLite file deleted under it would write into the void: reconnect instead.
        database = self.engine.url.database
        if self.engine.url.get_backend_name() == "sqlite" and database and database != ":memory:" \
                and not Path(database).is_file():
            self.engine.dispose()

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Open the store at a SQLAlchemy URL."""
        return cls(make_engine(url))

    def apply(self, events: Sequence[CallEvent]) -> None:
        """Write events in one transaction; applying the same event again changes nothing.

        Raise StoreUnavailable when the database is away, StoreRefused when it refuses the values.
        """
        self._forget_a_deleted_file()
        try:
            with self.engine.begin() as connection:
                _write_events(connection, events)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(_reason(exc)) from exc
        except (SQLAlchemyError, ValueError, OverflowError, TypeError) as exc:
            raise StoreRefused(_reason(exc)) from exc

    @translate_errors
    def ping(self) -> None:
        """Check that the database answers; raise StoreUnavailable when it does not."""
        self._forget_a_deleted_file()
        with self.engine.connect() as connection:
            connection.execute(select(1))

    # Voice messages ----------------------------------------------------------------------------------

    @translate_errors
    def voicemails_waiting(self) -> int:
        """Return how many voice messages wait for a call back (one count query, for /metrics)."""
        with self.engine.connect() as connection:
            found = connection.execute(select(func.count()).select_from(voicemails)
                                       .where(voicemails.c.status == "new")).scalar_one()
        return int(found)

    @translate_errors
    def voicemails(self, unit: str | None = None, status: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, voicemail_id: int | None = None) -> list[Voicemail]:
        """Return voice messages, newest first, optionally of one unit, status or period [since, until)."""
        query = (select(voicemails, calls.c.language)
                 .join(calls, calls.c.call_sid == voicemails.c.call_sid, isouter=True)
                 .order_by(voicemails.c.received_at.desc(), voicemails.c.id.desc()))
        conditions = [voicemails.c.unit_id == unit if unit else None,
                      voicemails.c.status == status if status else None,
                      voicemails.c.received_at >= local(since) if since else None,
                      voicemails.c.received_at < local(until) if until else None,
                      voicemails.c.id == voicemail_id if voicemail_id is not None else None]
        query = query.where(*(c for c in conditions if c is not None))
        with self.engine.connect() as connection:
            return [Voicemail(row.id, row.caller, row.unit_id, row.recording_url, row.duration, row.status,
                              local(row.received_at), row.call_sid, row.recording_sid, row.language,
                              local(row.called_back_at) if row.called_back_at else None, row.called_back_by)
                    for row in connection.execute(query)]

    @translate_errors
    def mark_called_back(self, voicemail_id: int, at: datetime, by: str | None = None) -> bool:
        """Mark a voice message as called back (by whom, when known); return False when there is no such message."""
        with self.engine.begin() as connection:
            result = connection.execute(update(voicemails).where(voicemails.c.id == voicemail_id)
                                        .values(status="called back", called_back_at=local(at), called_back_by=by))
            return bool(result.rowcount)

    @translate_errors
    def mark_new(self, voicemail_id: int) -> bool:
        """Undo "called back": the message is new again; return False when there is no such message."""
        with self.engine.begin() as connection:
            result = connection.execute(update(voicemails).where(voicemails.c.id == voicemail_id)
                                        .values(status="new", called_back_at=None, called_back_by=None))
            return bool(result.rowcount)

    @translate_errors
    def purge(self, older_than: datetime, include_new: bool = False, dry_run: bool = False) -> dict[str, int]:
        """Delete calls, steps and voice messages from before a moment; return how many of each.

        Voice messages not yet called back are kept unless include_new; a dry run counts and deletes nothing.
        """
        older_than = local(older_than)
        with self.engine.connect() as connection, connection.begin() as transaction:
            old_calls = select(calls.c.call_sid).where(calls.c.started_at < older_than)
            removed_steps = connection.execute(delete(steps).where(steps.c.call_sid.in_(old_calls))).rowcount
            old_messages = delete(voicemails).where(voicemails.c.received_at < older_than)
            if not include_new:
                old_messages = old_messages.where(voicemails.c.status != "new")
            removed_messages = connection.execute(old_messages).rowcount
            removed_calls = connection.execute(delete(calls).where(calls.c.started_at < older_than)).rowcount
            # A dry run deletes inside the transaction and rolls it back: the counts are the real ones.
            if dry_run:
                transaction.rollback()
        return {"calls": removed_calls, "steps": removed_steps, "voicemails": removed_messages}



def _write_events(connection: Connection, events: Sequence[CallEvent]) -> None:
    """Write a batch with a few statements of many rows each: group commit, not a round trip per value.

    Each call in the batch is one row of an upsert run for many rows: a call not yet known is inserted whole, a known
    one takes what this batch adds. Calls are grouped by what their events say, one statement a group.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    step_events = [e for e in events if isinstance(e, StepEvent)]
    by_call: dict[str, list[StepEvent]] = defaultdict(list)
    for step in sorted(step_events, key=lambda e: e.seq):
        by_call[step.call_sid].append(step)
    ended = {e.call_sid: e for e in events if isinstance(e, CallEndedEvent)}
    for shape, rows in _call_rows(events, by_call, ended).items():
        _insert_many(connection, dialect, calls, rows, functools.partial(_upsert_calls, shape=shape))
    if step_events:
        _insert_many(connection, dialect, steps, [_step_row(e) for e in step_events],
                     lambda insert: insert.on_conflict_do_nothing())
    for recording in (e for e in events if isinstance(e, RecordingEvent)):
        _write_recording(connection, dialect, recording)


@dataclass(frozen=True)
class _Shape:
    """What a batch says about a call: the step columns it sets, whose hours it was (if known), and its end."""

    changes: tuple[str, ...]
    hours_of: str | None  # "unit", "bureau" or None
    ended: bool


def _call_rows(events: Sequence[CallEvent], by_call: dict[str, list[StepEvent]],
               ended: dict[str, CallEndedEvent]) -> dict[_Shape, list[dict[str, Any]]]:
    """Return each call's row (as it is when the call is new), grouped by shape."""
    of_call: dict[str, list[CallEvent]] = defaultdict(list)
    for item in sorted(events, key=lambda e: e.at):
        of_call[item.call_sid].append(item)
    grouped: dict[_Shape, list[dict[str, Any]]] = defaultdict(list)
    for call_sid, told in of_call.items():
        row: dict[str, Any] = {"call_sid": call_sid, "started_at": local(told[0].at),
                               "caller": _first_known(told, "caller"), "called": _first_known(told, "called"),
                               **dict.fromkeys(_STEP_COLUMNS), "out_of_hours": None, "ended_at": None,
                               "call_status": None, "duration": None}
        changes: dict[str, Any] = {}
        hours_of = None
        found = by_call.get(call_sid)
        if found:
            changes = _call_changes(found)
            row["out_of_hours"], of_unit = _out_of_hours(found)
            if row["out_of_hours"] is not None:
                hours_of = "unit" if of_unit else "bureau"
        row.update(changes)
        end = ended.get(call_sid)
        if end is not None:
            row.update(ended_at=local(end.at), call_status=end.call_status, duration=end.duration)
        grouped[_Shape(tuple(sorted(changes)), hours_of, end is not None)].append(row)
    return grouped


def _first_known(told: list[CallEvent], name: str) -> Any:
    return next((value for value in (getattr(e, name, None) for e in told) if value is not None), None)


def _insert_many(connection: Connection, dialect: Any, table: Table, rows: list[dict[str, Any]],
                 on_conflict: Callable[[Any], Any]) -> None:
    """Insert rows with their conflict clause in one statement of fixed text, whatever their number.

    PostgreSQL gets the whole batch as one JSON document, read back into typed rows by json_to_recordset: one
    statement, parsed once, and the rows encoded by the json module in C. (Each column as an array cost
    psycopg, which adapts arrays element by element in Python, more than PostgreSQL took to run the
    statement; a statement of many VALUES rows was worse still.) SQLite runs one prepared statement for
    every row (executemany, in C).
    """
    if dialect is not postgresql:
        connection.execute(on_conflict(dialect.insert(table)), rows)
        return
    columns = tuple(rows[0])
    connection.execute(on_conflict(dialect.insert(table).from_select(list(columns), _recordset(table, columns))),
                       {"rows": json.dumps(rows, default=_json_moment, ensure_ascii=False)})


@functools.cache
def _recordset(table: Table, columns: tuple[str, ...]) -> Any:
    """Return SELECT * FROM json_to_recordset(:rows) with the table's column types, for PostgreSQL."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    typed = ", ".join(f'"{name}" {table.c[name].type.compile(dialect=dialect)}' for name in columns)
    return text(f"SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS batch({typed})").columns(
        *(table.c[name] for name in columns))


def _json_moment(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value a call record holds")


def _upsert_calls(insert: Any, shape: _Shape) -> Any:
    """Insert calls not yet known; fold this batch into known ones, as far as its shape says anything."""
    new = insert.excluded
    # A call's events may reach the database out of order (two workers, two outbox files): keep its earliest
    # moment and the first numbers known.
    known: dict[str, Any] = {
        "started_at": case((new.started_at < calls.c.started_at, new.started_at), else_=calls.c.started_at),
        "caller": func.coalesce(calls.c.caller, new.caller), "called": func.coalesce(calls.c.called, new.called)}
    # Only a step at least as new as the newest written says where the call is now (callbacks may come late).
    newest = or_(calls.c.last_seq.is_(None), calls.c.last_seq <= new.last_seq)
    for column in shape.changes:
        known[column] = case((newest, getattr(new, column)), else_=getattr(calls.c, column))
    if shape.hours_of == "unit":  # the unit the caller reached decides whether the call came out of hours
        known["out_of_hours"] = new.out_of_hours
    elif shape.hours_of == "bureau":  # the greeting's answer, kept only until a unit's
        known["out_of_hours"] = func.coalesce(calls.c.out_of_hours, new.out_of_hours)
    if shape.ended:
        known.update(ended_at=new.ended_at, call_status=new.call_status, duration=new.duration)
    return insert.on_conflict_do_update(index_elements=[calls.c.call_sid], set_=known)


# The columns of a call's row that its steps set, as _call_changes names them.
_STEP_COLUMNS = ("last_seq", "last_node", "last_outcome", "language", "unit_id", "forwarded_number",
                 "dial_status", "dial_duration")


def _step_row(event: StepEvent) -> dict[str, Any]:
    return {"call_sid": event.call_sid, "seq": event.seq, "at": local(event.at), "node": event.node,
            "digits": event.digits, "outcome": event.outcome, "unit_id": event.unit_id,
            "dial_status": event.dial_status, "dial_duration": event.dial_duration, "speech": event.speech,
            "offered": event.offered}


def _call_changes(found: list[StepEvent]) -> dict[str, Any]:
    newest = found[-1]
    # Where the step left the caller (the menu they hear), which is where they hang up if they do.
    changes: dict[str, Any] = {"last_seq": newest.seq, "last_node": newest.landed or newest.node,
                               "last_outcome": newest.outcome}
    spoken = [e.language for e in found if e.language]
    if spoken:
        changes["language"] = spoken[-1]
    forwards = [e for e in found if e.outcome in ("forwarded", "operator")]
    if forwards:
        changes.update(unit_id=forwards[-1].unit_id, forwarded_number=forwards[-1].forwarded_number)
    dialed = [e for e in found if e.dial_status]
    if dialed:
        changes.update(dial_status=dialed[-1].dial_status, dial_duration=dialed[-1].dial_duration)
    return changes


def _out_of_hours(found: list[StepEvent]) -> tuple[bool | None, bool]:
    """Return whether a call's steps came out of hours and whether a unit's hours say so (the last unit's
    answer wins; without one, the bureau's first)."""
    at_unit = [e for e in found if e.unit_hours and e.out_of_hours is not None]
    if at_unit:
        return at_unit[-1].out_of_hours, True
    at_bureau = [e for e in found if not e.unit_hours and e.out_of_hours is not None]
    return (at_bureau[0].out_of_hours if at_bureau else None), False


def _write_recording(connection: Connection, dialect: Any, item: RecordingEvent) -> None:
    values = {"caller": item.caller, "unit_id": item.unit_id, "recording_url": item.recording_url,
              "duration": item.duration}
    connection.execute(dialect.insert(voicemails).on_conflict_do_nothing(), [{
        "recording_sid": item.recording_sid, "call_sid": item.call_sid, "received_at": local(item.at), **values}])
    # The <Record> action and the status callback each know part of the message: fill in what is missing.
    for column, value in values.items():
        if value is not None:
            connection.execute(update(voicemails).where(and_(
                voicemails.c.recording_sid == item.recording_sid, getattr(voicemails.c, column).is_(None)))
                .values({column: value}))


def _reason(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__


def local(moment: datetime) -> datetime:
    """Express a stored or given moment in Asia/Shanghai; a naive one (from SQLite) already is."""
    if moment.tzinfo is None:
        return TIMEZONE.localize(moment)
    return moment.astimezone(TIMEZONE)
