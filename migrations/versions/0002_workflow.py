"""Workflow: alerts (one per story), their append-only events, users; reminders in the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types, so this revision never changes when schema.py does.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    # batch mode: SQLite cannot alter a constraint in place, so the table is copied
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("step", sa.Text(), nullable=False, server_default=""))
        batch.drop_constraint("uq_outbox_story_id_recipient_kind", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_story_id_recipient_kind_step", ["story_id", "recipient", "kind", "step"]
        )
    op.create_table(
        "alert",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("story_id", Id, nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("board", sa.Boolean(), nullable=False),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("detected_at", When, nullable=False),
        sa.Column("raised_at", When, nullable=True),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("claimed_at", When, nullable=True),
        sa.Column("first_report_at", When, nullable=True),
        sa.Column("verified_at", When, nullable=True),
        sa.Column("replied_at", When, nullable=True),
        sa.Column("reply_url", sa.Text(), nullable=True),
        sa.Column("closed_at", When, nullable=True),
        sa.Column("late_claim", sa.Boolean(), nullable=False),
        sa.Column("extension_pending", sa.Integer(), nullable=True),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("claim_due", When, nullable=False),
        sa.Column("first_report_due", When, nullable=True),
        sa.Column("verification_due", When, nullable=True),
        sa.Column("extension_request_due", When, nullable=True),
        sa.Column("reply_due", When, nullable=True),
        sa.Column("public_response_due", When, nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], name="fk_alert_story_id_story"),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
        sa.UniqueConstraint("story_id", name="uq_alert_story_id"),
    )
    op.create_index("ix_alert_department_state", "alert", ["department", "state"])
    op.create_index("ix_alert_detected_at", "alert", ["detected_at"])
    op.create_table(
        "alert_event",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("alert_id", Id, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=False),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], name="fk_alert_event_alert_id_alert"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_event"),
    )
    op.create_index("ix_alert_event_alert_id_id", "alert_event", ["alert_id", "id"])
    op.create_table(
        "user",
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_user"),
    )


def downgrade() -> None:
    op.drop_table("user")
    op.drop_index("ix_alert_event_alert_id_id", table_name="alert_event")
    op.drop_table("alert_event")
    op.drop_index("ix_alert_detected_at", table_name="alert")
    op.drop_index("ix_alert_department_state", table_name="alert")
    op.drop_table("alert")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_story_id_recipient_kind_step", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_story_id_recipient_kind", ["story_id", "recipient", "kind"]
        )
        batch.drop_column("step")
