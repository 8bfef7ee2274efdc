"""Source health: the state of each source (ok, broken layout, unreachable, blocked) and its events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("health", sa.Text(), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("health_since", When, nullable=True))
        batch.add_column(sa.Column("health_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("health_failures", sa.Integer(), nullable=False, server_default="0")
        )
        for name in ("had_items", "had_titles", "had_dates"):
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    op.create_table(
        "source_event",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name="fk_source_event_source_id_source"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_source_event"),
    )
    op.create_index("ix_source_event_at", "source_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_source_event_at", table_name="source_event")
    op.drop_table("source_event")
    with op.batch_alter_table("source") as batch:
        for name in (
            "had_dates",
            "had_titles",
            "had_items",
            "health_failures",
            "health_reason",
            "health_since",
            "health",
        ):
            batch.drop_column(name)
