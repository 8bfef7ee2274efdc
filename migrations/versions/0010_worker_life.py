"""Worker mode: the configuration each worker runs (its digest, for `sentinel workers status`),
and whether it holds a life lock, by which a scheduler sees its death at once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("worker_node") as batch:
        batch.add_column(sa.Column("config_digest", sa.Text(), nullable=True))
        # rows of workers already running say false: they are judged by their heartbeat
        batch.add_column(
            sa.Column("life_lock", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_node") as batch:
        batch.drop_column("life_lock")
        batch.drop_column("config_digest")
