"""Published menus versions: who published which texts of the six menu files, when and why.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "menu_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("note", sa.String(300), nullable=False, server_default=""),
        sa.Column("digest", sa.String(64), nullable=False, index=True),
        sa.Column("hotline_yaml", sa.Text, nullable=False),
        sa.Column("schedules_yaml", sa.Text, nullable=False),
        sa.Column("units_yaml", sa.Text, nullable=False),
        sa.Column("menu_yaml", sa.Text, nullable=False),
        sa.Column("prompts_yaml", sa.Text, nullable=False),
        sa.Column("calendar_yaml", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("menu_versions")
