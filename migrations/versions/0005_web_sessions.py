"""Desk sessions kept in the database (so signing out ends them) and disabled users.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("disabled_at", When, nullable=True))
    op.create_table(
        "web_session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.ForeignKeyConstraint(["login"], ["user.login"], name="fk_web_session_login_user"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
    )
    op.create_index("ix_web_session_login", "web_session", ["login"])


def downgrade() -> None:
    op.drop_index("ix_web_session_login", table_name="web_session")
    op.drop_table("web_session")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("disabled_at")
