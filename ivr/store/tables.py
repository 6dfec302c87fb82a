"""The tables: one row per call, per step of a call, per voice message, per staff account, per audited action,
per published menus version and per account and address with failed logins."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

metadata = MetaData()

calls = Table(
    "calls", metadata,
    Column("id", Integer, primary_key=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("caller", String(32)),
    Column("called", String(32)),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("ended_at", DateTime(timezone=True)),
    Column("language", String(8)),
    Column("out_of_hours", Boolean),
    Column("last_seq", Integer),
    Column("last_node", String(128)),
    Column("last_outcome", String(32)),
    Column("unit_id", String(64)),
    Column("forwarded_number", String(32)),
    Column("dial_status", String(16)),
    Column("dial_duration", Integer),
    Column("call_status", String(16)),
    Column("duration", Integer),
)

steps = Table(
    "steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("node", String(128), nullable=False),
    Column("digits", String(8)),
    Column("outcome", String(32), nullable=False),
    Column("unit_id", String(64)),
    Column("dial_status", String(16)),
    Column("dial_duration", Integer),
    # What the caller said at this step (runs of digits masked), and the offices it was routed to ("a+b";
    # "" when it named none; NULL when the step routed no sentence).
    Column("speech", String(200)),
    Column("offered", String(200)),
    UniqueConstraint("call_sid", "seq", name="uq_steps_call_seq"),
)

# Every column the report counts, so that its queries read these indexes alone (migration 0006).
COUNTED_STEPS = text("digits IS NOT NULL OR dial_status IS NOT NULL")
Index("ix_calls_figures", calls.c.started_at, calls.c.out_of_hours, calls.c.ended_at, calls.c.last_outcome,
      calls.c.last_node)
Index("ix_steps_figures", steps.c.call_sid, steps.c.node, steps.c.digits, steps.c.dial_status,
      sqlite_where=COUNTED_STEPS, postgresql_where=COUNTED_STEPS)

voicemails = Table(
    "voicemails", metadata,
    Column("id", Integer, primary_key=True),
    Column("recording_sid", String(64), nullable=False, unique=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("caller", String(32)),
    Column("unit_id", String(64)),
    Column("recording_url", Text),
    Column("duration", Integer),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", String(16), nullable=False, server_default="new"),
    Column("called_back_at", DateTime(timezone=True)),
    Column("called_back_by", String(64)),
)

staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Raised by a logout, a password change or disabling: every login cookie carrying an older one is refused.
    Column("session_generation", Integer, nullable=False, server_default="0"),
)

# Failed logins per account (as typed, case-folded) and address, shared by every worker and server.
login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locks", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="0"),  # raised by each change: a compare-and-set
    UniqueConstraint("username", "address", name="uq_login_attempts_username_address"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text),
    Column("address", String(64)),
)

# Every published menus version: the six YAML files' texts exactly as written (recordings stay on disk).
menu_versions = Table(
    "menu_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("author", String(128), nullable=False),
    Column("note", String(300), nullable=False, server_default=""),
    Column("digest", String(64), nullable=False, index=True),
    Column("hotline_yaml", Text, nullable=False),
    Column("schedules_yaml", Text, nullable=False),
    Column("units_yaml", Text, nullable=False),
    Column("menu_yaml", Text, nullable=False),
    Column("prompts_yaml", Text, nullable=False),
    Column("calendar_yaml", Text, nullable=False),
)

# Checked, unpublished menu edits, one row each, kept for the staff member who made them until published or
# discarded (any server sharing the database can show, try and publish them).
menu_drafts = Table(
    "menu_drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("author", String(128), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("summary", String(300), nullable=False, server_default=""),
    Column("body", Text, nullable=False),
)
