"""Core schema: sources and their fetches, posts and their metrics, hits, stories, evidence,
the outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types, so this revision never changes when schema.py does.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("last_fetch_at", When, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_kind", sa.Text(), nullable=True),
        sa.Column("items_last", sa.Integer(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_ok_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_source"),
    )
    op.create_table(
        "url_state",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_url_state"),
    )
    op.create_table(
        "fetch",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error_kind", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("new_items", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name="fk_fetch_source_id_source"),
        sa.PrimaryKeyConstraint("id", name="pk_fetch"),
    )
    op.create_index("ix_fetch_source_id_started_at", "fetch", ["source_id", "started_at"])
    op.create_table(
        "evidence",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("fetched_at", When, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("codec", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name="pk_evidence"),
    )
    op.create_table(
        "story",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("topic_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("first_seen_at", When, nullable=False),
        sa.Column("last_seen_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_story"),
    )
    op.create_index("ix_story_last_seen_at", "story", ["last_seen_at"])
    op.create_table(
        "post",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_at", When, nullable=True),
        sa.Column("first_seen_at", When, nullable=False),
        sa.Column("replies", sa.Integer(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("story_id", Id, nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("evidence_hash", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_hash"], ["evidence.hash"], name="fk_post_evidence_hash_evidence"
        ),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], name="fk_post_story_id_story"),
        sa.PrimaryKeyConstraint("id", name="pk_post"),
        sa.UniqueConstraint("source_id", "url", name="uq_post_source_id_url"),
    )
    op.create_index("ix_post_story_id", "post", ["story_id"])
    op.create_index("ix_post_first_seen_at", "post", ["first_seen_at"])
    op.create_table(
        "hit",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("post_id", Id, nullable=False),
        sa.Column("topic_id", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("region_words", sa.JSON(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name="fk_hit_post_id_post"),
        sa.PrimaryKeyConstraint("id", name="pk_hit"),
        sa.UniqueConstraint("post_id", "topic_id", name="uq_hit_post_id_topic_id"),
    )
    op.create_table(
        "post_metric",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("post_id", Id, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("replies", sa.Integer(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name="fk_post_metric_post_id_post"),
        sa.PrimaryKeyConstraint("id", name="pk_post_metric"),
    )
    op.create_index("ix_post_metric_post_id_at", "post_metric", ["post_id", "at"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("story_id", Id, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("fetched_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], name="fk_outbox_story_id_story"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint(
            "story_id", "recipient", "kind", name="uq_outbox_story_id_recipient_kind"
        ),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_index("ix_post_metric_post_id_at", table_name="post_metric")
    op.drop_table("post_metric")
    op.drop_table("hit")
    op.drop_index("ix_post_first_seen_at", table_name="post")
    op.drop_index("ix_post_story_id", table_name="post")
    op.drop_table("post")
    op.drop_index("ix_story_last_seen_at", table_name="story")
    op.drop_table("story")
    op.drop_table("evidence")
    op.drop_index("ix_fetch_source_id_started_at", table_name="fetch")
    op.drop_table("fetch")
    op.drop_table("url_state")
    op.drop_table("source")
