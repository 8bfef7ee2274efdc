"""Events: why each post is in its story (repost or same event, with its score and reasons), its
event features, and stories and alerts merged into others by the lead office.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("features", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("placed_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("similarity", sa.Float(), nullable=True))
        batch.add_column(sa.Column("why", sa.Text(), nullable=True))
    with op.batch_alter_table("story") as batch:
        batch.add_column(sa.Column("merged_into", Id, nullable=True))
        batch.create_foreign_key("fk_story_merged_into_story", "story", ["merged_into"], ["id"])
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("merged_into", Id, nullable=True))
        batch.create_foreign_key("fk_alert_merged_into_alert", "alert", ["merged_into"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_constraint("fk_alert_merged_into_alert", type_="foreignkey")
        batch.drop_column("merged_into")
    with op.batch_alter_table("story") as batch:
        batch.drop_constraint("fk_story_merged_into_story", type_="foreignkey")
        batch.drop_column("merged_into")
    with op.batch_alter_table("post") as batch:
        for name in ("why", "similarity", "placed_by", "features"):
            batch.drop_column(name)
