"""Delivery: outbox retries (next attempt, last error), digests, the daemon's schedule state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types, so this revision never changes when schema.py does.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    # batch mode: the same script works on SQLite, which cannot add several columns at once
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", When, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.create_table(
        "digest",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("duty_at", When, nullable=False),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digest"),
        sa.UniqueConstraint("department", "duty_at", name="uq_digest_department_duty_at"),
    )
    op.create_table(
        "schedule_state",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_schedule_state"),
    )


def downgrade() -> None:
    op.drop_table("schedule_state")
    op.drop_table("digest")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
