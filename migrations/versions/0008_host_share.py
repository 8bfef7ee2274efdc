"""Worker mode's per-host state shared by every process: each host's next request slot (the
politeness rate across workers) and its robots.txt answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "host_pace",
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("next_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_host_pace"),
    )
    op.create_table(
        "robots_cache",
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("origin", name="pk_robots_cache"),
    )


def downgrade() -> None:
    op.drop_table("robots_cache")
    op.drop_table("host_pace")
