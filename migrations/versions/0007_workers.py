"""Worker mode (PostgreSQL only): procrastinate's queue schema, and which node and process each
queue worker is.

procrastinate's schema is the SQL file of the procrastinate version pinned in pyproject.toml,
applied here, never at import time. Upgrading procrastinate past that pin needs a migration that
applies its sql/migrations files. SQLite stores get only the (empty) worker_node table:
worker mode needs PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import await_only

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "worker_node",
        # procrastinate_workers.id: the queue's own name for the worker
        sa.Column("worker_id", Id, nullable=False, autoincrement=False),
        sa.Column("node", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name="pk_worker_node"),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # The schema is a script of many statements with PL/pgSQL bodies: asyncpg runs it whole,
    # in this migration's transaction, through the simple query protocol.
    raw = bind.connection.dbapi_connection
    assert raw is not None
    await_only(raw.driver_connection.execute(SchemaManager.get_schema()))


def downgrade() -> None:
    op.drop_table("worker_node")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in (
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_jobs",
        "procrastinate_workers",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
