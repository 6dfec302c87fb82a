"""The store: idempotent writes of call events, voice-message queries, purge, and schema migrations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, and_, create_engine, delete, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from ivr.clock import TIMEZONE
from ivr.store.tables import calls, steps, voicemails

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A step must answer within the provider's limit whatever the database does: give up on it quickly.
SQLITE_BUSY_SECONDS = 0.5
POSTGRES_CONNECT_SECONDS = 1
POSTGRES_STATEMENT_MS = 800

EventKind = Literal["step", "recording", "call_ended"]


@dataclass(frozen=True)
class CallEvent:
    """Something that happened in a call, as kept in the store (or in the spool while the store is down)."""

    kind: EventKind
    call_sid: str
    at: str  # ISO-8601 with offset
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the event as plain data for the spool file."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CallEvent:
        """Rebuild an event read back from the spool file."""
        return cls(raw["kind"], raw["call_sid"], raw["at"], dict(raw.get("data") or {}))


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


def make_engine(url: str) -> Engine:
    """Create an engine that fails fast rather than keep a caller waiting."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")
            # WAL lets `ivr report` read while the service writes; NORMAL sync is durable across crashes in WAL.
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        return engine
    options = f"-c statement_timeout={POSTGRES_STATEMENT_MS} -c lock_timeout={POSTGRES_STATEMENT_MS}"
    return create_engine(url, pool_pre_ping=True, pool_timeout=1,
                         connect_args={"connect_timeout": POSTGRES_CONNECT_SECONDS, "options": options})


def upgrade_schema(engine: Engine) -> None:
    """Bring the database schema to the newest migration (ivr db upgrade)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def prepare_embedded_sqlite(store: Store) -> None:
    """Create the folder of a SQLite database and migrate it; other databases are left to `ivr db upgrade`."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite":
        return
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade_schema(store.engine)


class Store:
    """Reads and writes call records; every write is idempotent, so a repeated callback leaves one row."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Open the store at a SQLAlchemy URL."""
        return cls(make_engine(url))

    def apply(self, events: list[CallEvent]) -> None:
        """Write events in one transaction; applying the same event again changes nothing."""
        with self.engine.begin() as connection:
            for item in events:
                if item.kind == "step":
                    self._step(connection, item)
                elif item.kind == "recording":
                    self._recording(connection, item)
                elif item.kind == "call_ended":
                    self._call_ended(connection, item)

    def _insert_ignoring_duplicates(self, connection: Connection, table: Any, values: dict[str, Any]) -> None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())

    def _ensure_call(self, connection: Connection, item: CallEvent, **values: Any) -> None:
        self._insert_ignoring_duplicates(connection, calls, {
            "call_sid": item.call_sid, "started_at": _moment(item.at), **values})

    def _step(self, connection: Connection, item: CallEvent) -> None:
        data = item.data
        self._ensure_call(connection, item, caller=data.get("caller"), called=data.get("called"),
                          out_of_hours=data.get("out_of_hours"))
        self._insert_ignoring_duplicates(connection, steps, {
            "call_sid": item.call_sid, "seq": data["seq"], "at": _moment(item.at), "node": data["node"][:128],
            "digits": (data.get("digits") or None) and data["digits"][:8], "outcome": data["outcome"],
            "unit_id": data.get("unit_id"), "dial_status": data.get("dial_status"),
            "dial_duration": data.get("dial_duration"),
        })
        newest = and_(calls.c.call_sid == item.call_sid,
                      or_(calls.c.last_seq.is_(None), calls.c.last_seq <= data["seq"]))
        # Where the step left the caller (the menu they hear), which is where they hang up if they do.
        changes: dict[str, Any] = {"last_seq": data["seq"], "last_node": (data.get("landed") or data["node"])[:128],
                                   "last_outcome": data["outcome"]}
        if data.get("lang"):
            changes["language"] = data["lang"]
        if data["outcome"] in ("forwarded", "operator"):
            changes.update(unit_id=data.get("unit_id"), forwarded_number=data.get("number"))
        if data.get("dial_status"):
            changes.update(dial_status=data["dial_status"], dial_duration=data.get("dial_duration"))
        connection.execute(update(calls).where(newest).values(**changes))
        if data.get("out_of_hours") is not None:
            connection.execute(update(calls).where(and_(calls.c.call_sid == item.call_sid,
                                                        calls.c.out_of_hours.is_(None)))
                               .values(out_of_hours=data["out_of_hours"]))

    def _recording(self, connection: Connection, item: CallEvent) -> None:
        data = item.data
        self._insert_ignoring_duplicates(connection, voicemails, {
            "recording_sid": data["recording_sid"], "call_sid": item.call_sid, "caller": data.get("caller"),
            "unit_id": data.get("unit_id"), "recording_url": data.get("recording_url"),
            "duration": data.get("duration"), "received_at": _moment(item.at),
        })
        # The <Record> action and the status callback each know part of the message: fill in what is missing.
        for column in ("caller", "unit_id", "recording_url", "duration"):
            if data.get(column) is not None:
                connection.execute(update(voicemails).where(and_(
                    voicemails.c.recording_sid == data["recording_sid"], getattr(voicemails.c, column).is_(None)))
                    .values({column: data[column]}))

    def _call_ended(self, connection: Connection, item: CallEvent) -> None:
        data = item.data
        self._ensure_call(connection, item, caller=data.get("caller"), called=data.get("called"))
        connection.execute(update(calls).where(calls.c.call_sid == item.call_sid).values(
            ended_at=_moment(item.at), call_status=data.get("call_status"), duration=data.get("duration")))

    # Voice messages ----------------------------------------------------------------------------------

    def voicemails(self, unit: str | None = None, status: str | None = None) -> list[Voicemail]:
        """Return voice messages, newest first, optionally of one unit or status."""
        query = select(voicemails).order_by(voicemails.c.received_at.desc(), voicemails.c.id.desc())
        if unit:
            query = query.where(voicemails.c.unit_id == unit)
        if status:
            query = query.where(voicemails.c.status == status)
        with self.engine.connect() as connection:
            return [Voicemail(row.id, row.caller, row.unit_id, row.recording_url, row.duration, row.status,
                              local(row.received_at), row.call_sid, row.recording_sid)
                    for row in connection.execute(query)]

    def mark_called_back(self, voicemail_id: int, at: datetime) -> bool:
        """Mark a voice message as called back; return False when there is no such message."""
        with self.engine.begin() as connection:
            result = connection.execute(update(voicemails).where(voicemails.c.id == voicemail_id)
                                        .values(status="called back", called_back_at=local(at)))
            return bool(result.rowcount)

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


def _moment(text: str) -> datetime:
    # Everything is stored in the hotline's zone: SQLite keeps no offset, so one zone keeps values comparable.
    return local(datetime.fromisoformat(text))


def local(moment: datetime) -> datetime:
    """Express a stored or given moment in Asia/Shanghai; a naive one (from SQLite) already is."""
    if moment.tzinfo is None:
        return TIMEZONE.localize(moment)
    return moment.astimezone(TIMEZONE)
