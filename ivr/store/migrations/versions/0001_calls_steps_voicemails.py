"""Calls, their steps, and voice messages.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("caller", sa.String(32)),
        sa.Column("called", sa.String(32)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("language", sa.String(8)),
        sa.Column("out_of_hours", sa.Boolean),
        sa.Column("last_seq", sa.Integer),
        sa.Column("last_node", sa.String(128)),
        sa.Column("last_outcome", sa.String(32)),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("forwarded_number", sa.String(32)),
        sa.Column("dial_status", sa.String(16)),
        sa.Column("dial_duration", sa.Integer),
        sa.Column("call_status", sa.String(16)),
        sa.Column("duration", sa.Integer),
    )
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("digits", sa.String(8)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("dial_status", sa.String(16)),
        sa.Column("dial_duration", sa.Integer),
        sa.UniqueConstraint("call_sid", "seq", name="uq_steps_call_seq"),
    )
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recording_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("call_sid", sa.String(64), nullable=False, index=True),
        sa.Column("caller", sa.String(32)),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("recording_url", sa.Text),
        sa.Column("duration", sa.Integer),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("called_back_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("voicemails")
    op.drop_table("steps")
    op.drop_table("calls")
