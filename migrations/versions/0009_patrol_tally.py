"""Worker mode: what each source patrol of a worker found, until the leading scheduler counts it
for its tick's report and its metrics.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "patrol_tally",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error_kind", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("details", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("posts_new", sa.Integer(), nullable=False),
        sa.Column("stories_new", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_tally"),
    )


def downgrade() -> None:
    op.drop_table("patrol_tally")
