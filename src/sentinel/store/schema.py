"""The tables. Migrations in the repository's `migrations/` must produce exactly this schema.

`post.author` is deliberately absent: Sentinel watches topics, not people.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite has no 64-bit serial type but its INTEGER PRIMARY KEY already is one.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — also on SQLite, which keeps no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times")
        value = value.astimezone(UTC)
        # Naive UTC text on SQLite sorts and compares correctly as a string.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


source = Table(
    "source",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("last_fetch_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("last_error_kind", Text),
    Column("items_last", Integer),
    Column("consecutive_failures", Integer, nullable=False),
    Column("last_ok_at", UTCDateTime),
    # Health (sources/health.py): the state, since when, why, and what a healthy fetch found.
    Column("health", Text, nullable=False, server_default="ok"),
    Column("health_since", UTCDateTime),
    Column("health_reason", Text, nullable=False, server_default=""),
    Column("health_failures", Integer, nullable=False, server_default="0"),
    Column("had_items", Boolean, nullable=False, server_default=false()),
    Column("had_titles", Boolean, nullable=False, server_default=false()),
    Column("had_dates", Boolean, nullable=False, server_default=false()),
)

# A source's health raised or cleared: for the operators' digest and health page. Append-only.
source_event = Table(
    "source_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Text, ForeignKey("source.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", Text, nullable=False),  # raised | cleared
    Column("state", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Index(None, "at"),
)

# Conditional-GET state per URL (ETag / Last-Modified).
url_state = Table(
    "url_state",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every fetch, kept as history: the source row only holds the latest state.
fetch = Table(
    "fetch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Text, ForeignKey("source.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("status", Integer),
    Column("error_kind", Text),
    Column("error", Text),
    Column("bytes", Integer, nullable=False),
    Column("items", Integer, nullable=False),
    Column("new_items", Integer, nullable=False),
    Column("elapsed_ms", Integer, nullable=False),
    Index(None, "source_id", "started_at"),
)

# Raw bytes of the pages hits came from, content-addressed by the SHA-256 of the raw body.
evidence = Table(
    "evidence",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("size", Integer, nullable=False),
    Column("codec", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

story = Table(
    "story",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("department", Text),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # the lead office merged this story into another: its posts moved there
    Column("merged_into", Id, ForeignKey("story.id")),
    Index(None, "last_seen_at"),
)

# No foreign key to `source`: posts are written before their page's fetch record, and a post
# outlives its source being renamed or removed from sources.yaml.
post = Table(
    "post",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("replies", Integer),
    Column("views", Integer),
    Column("story_id", Id, ForeignKey("story.id")),
    Column("signature", LargeBinary),
    Column("evidence_hash", String(64), ForeignKey("evidence.hash")),
    Column("deleted_at", UTCDateTime),
    # Why the post is in its story: cluster/features.py's event features (for the event step
    # after a restart), how it was placed (first | repost | event | split | merge), the
    # similarity that placed it and the reasons in words (同一事件：城东小区 · 拆迁 · 补偿款).
    Column("features", JSON),
    Column("placed_by", Text),
    Column("similarity", Float),
    Column("why", Text),
    UniqueConstraint("source_id", "url"),
    Index(None, "story_id"),
    Index(None, "first_seen_at"),
)

hit = Table(
    "hit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("post_id", Id, ForeignKey("post.id"), nullable=False),
    Column("topic_id", Text, nullable=False),
    Column("words", JSON, nullable=False),
    Column("region_words", JSON, nullable=False),
    Column("positions", JSON, nullable=False),  # [[word, start, end], ...] in Post.text
    UniqueConstraint("post_id", "topic_id"),
)

# Reply and view counts of known posts, one row per patrol that saw them change: public
# reaction growing between patrols is one of the signals that raise a story's severity.
post_metric = Table(
    "post_metric",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("post_id", Id, ForeignKey("post.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("replies", Integer),
    Column("views", Integer),
    Index(None, "post_id", "at"),
)

# Notifications handed over for delivery. A critical story's push is queued in the same
# transaction that creates the story; the unique key makes a second push for it impossible.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("story_id", Id, ForeignKey("story.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),  # when the page behind it was fetched
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime),
    # which deadline a reminder is about ("" for pushes): one reminder per alert and step
    Column("step", Text, nullable=False, server_default=""),
    # delivery: retried with backoff until sent; the last failure is shown by `outbox list`
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    UniqueConstraint("story_id", "recipient", "kind", "step"),
)

# One digest per department and duty patrol, whatever restarts happen around that patrol.
digest = Table(
    "digest",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", Text, nullable=False),
    Column("duty_at", UTCDateTime, nullable=False),  # the duty patrol time it follows
    Column("alert_ids", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("department", "duty_at"),
)

# When each source was last patrolled and when the last duty patrol ran ("duty"), so that a
# restart does not patrol every source at once nor send a second digest for the same patrol.
schedule_state = Table(
    "schedule_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

# Worker mode: which node and process each queue worker (procrastinate_workers.id) is, for
# `sentinel workers status`. The queue's own tables belong to procrastinate (migration 0007).
# config_digest: the configuration the worker runs (Config.digest), updated when it reloads;
# life_lock: the worker holds its life lock (store/lifelock.py), so its death is seen at once.
# Both come with migration 0010: rows of workers started before it have neither.
worker_node = Table(
    "worker_node",
    metadata,
    Column("worker_id", Id, primary_key=True, autoincrement=False),
    Column("node", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("config_digest", Text, nullable=True),
    Column("life_lock", Boolean, nullable=False, server_default=false()),
)

# Worker mode: what each source patrol of a worker found, until the leading scheduler counts it
# for its tick and its metrics (store/worklog.py): counting deletes the rows, so none is counted
# twice, whichever scheduler leads.
patrol_tally = Table(
    "patrol_tally",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Text, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error_kind", Text),
    Column("pages", Integer, nullable=False),
    Column("details", Integer, nullable=False),
    Column("not_modified", Integer, nullable=False),
    Column("posts_new", Integer, nullable=False),
    Column("stories_new", Integer, nullable=False),
)

# Worker mode: each host's next request slot, claimed by every process (store/hostshare.py).
host_pace = Table(
    "host_pace",
    metadata,
    Column("host", Text, primary_key=True),
    Column("next_start", UTCDateTime, nullable=False),
)

# Worker mode: robots.txt per origin for every process; body NULL allows everything, and a row
# with claimed_until ahead is being fetched by one process while the others wait for it.
robots_cache = Table(
    "robots_cache",
    metadata,
    Column("origin", Text, primary_key=True),
    Column("body", Text),
    Column("fetched_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
)

# One alert per story, enforced here so that racing patrols can never open two.
alert = Table(
    "alert",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("story_id", Id, ForeignKey("story.id"), nullable=False),
    Column("department", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("board", Boolean, nullable=False),
    Column("legacy", Boolean, nullable=False),
    Column("version", Integer, nullable=False),  # optimistic concurrency: +1 on every change
    Column("detected_at", UTCDateTime, nullable=False),
    Column("raised_at", UTCDateTime),
    Column("claimed_by", Text),
    Column("claimed_at", UTCDateTime),
    Column("first_report_at", UTCDateTime),
    Column("verified_at", UTCDateTime),
    Column("replied_at", UTCDateTime),
    Column("reply_url", Text),
    Column("closed_at", UTCDateTime),
    Column("late_claim", Boolean, nullable=False),
    Column("extension_pending", Integer),
    Column("extension_days", Integer, nullable=False),
    Column("claim_due", UTCDateTime, nullable=False),
    Column("first_report_due", UTCDateTime),
    Column("verification_due", UTCDateTime),
    Column("extension_request_due", UTCDateTime),
    Column("reply_due", UTCDateTime),
    Column("public_response_due", UTCDateTime),
    Column("provisional", Boolean, nullable=False),
    Column("overdue", JSON, nullable=False),  # steps the last sweep found past their deadline
    # closed as merged: the alert that carries its story on (state "merged")
    Column("merged_into", Id, ForeignKey("alert.id")),
    UniqueConstraint("story_id"),
    Index(None, "department", "state"),
    Index(None, "detected_at"),
)

# The audit trail of alerts: rows are inserted, never updated nor deleted (the store has no
# method that would).
alert_event = Table(
    "alert_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alert.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("from_state", Text, nullable=False),
    Column("to_state", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("link", Text),
    Column("data", JSON, nullable=False),
    Index(None, "alert_id", "id"),
)

user = Table(
    "user",
    metadata,
    Column("login", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("department", Text),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),  # set: no sign-in, no session, no API token
)

# The desk's sessions, so that signing out (or disabling the user) ends one for good: a signed
# cookie alone would stay valid until it expires. `id` is a hash of the secret the cookie holds.
web_session = Table(
    "web_session",
    metadata,
    Column("id", Text, primary_key=True),
    Column("login", Text, ForeignKey("user.login"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "login"),
)

TABLES = {
    t.name: t
    for t in (
        post,
        story,
        hit,
        evidence,
        fetch,
        source,
        url_state,
        post_metric,
        outbox,
        alert,
        alert_event,
        user,
        digest,
        schedule_state,
        source_event,
        web_session,
    )
}
