"""Spoken requests: what a caller said at a step (digits masked) and the offices it was routed to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("speech", sa.String(200)))
        batch.add_column(sa.Column("offered", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("offered")
        batch.drop_column("speech")
