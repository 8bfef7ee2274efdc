"""Records the store hands out and takes in: frozen, keyword-only, datetimes aware (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sentinel.fetch.page import Validators
from sentinel.match.hit import Hit


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchRecord:
    """One fetch of one URL of a source, good or bad."""

    source_id: str
    kind: str
    url: str
    started_at: datetime
    status: int | None
    error_kind: str | None
    error: str | None
    bytes: int
    items: int
    new_items: int
    elapsed_ms: int
    validators: Validators | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostLink:
    """A stored post joined to its story, with the hits that made it relevant."""

    post_id: int
    story_id: int
    signature: bytes
    evidence_hash: str
    hits: tuple[Hit, ...]
    # why it is in that story (see schema.post): features JSON, how placed, score, reasons
    features: dict[str, Any] | None = None
    placed_by: str = "first"
    similarity: float | None = None
    why: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class PostView:
    id: int
    source_id: str
    url: str
    title: str
    body: str
    published_at: datetime | None
    first_seen_at: datetime
    replies: int | None
    views: int | None
    story_id: int | None
    deleted_at: datetime | None
    placed_by: str | None = None  # first | repost | event | split | merge
    similarity: float | None = None
    why: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class StoryView:
    id: int
    topic_id: str
    title: str
    severity: str
    department: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    words: tuple[str, ...]  # sorted union of the matched words over all its posts
    posts: tuple[PostView, ...]  # oldest first


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceStatus:
    source_id: str
    kind: str
    url: str
    last_fetch_at: datetime | None
    last_status: int | None
    last_error: str | None
    last_error_kind: str | None
    items_last: int | None
    consecutive_failures: int
    last_ok_at: datetime | None
    health: str = "ok"  # sources/health.py State: ok, broken_layout, unreachable, blocked
    health_since: datetime | None = None
    health_reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class KnownPost:
    """A stored post as the next patrol needs it: to skip it, and to see its counts move."""

    id: int
    replies: int | None
    views: int | None
    story_id: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxItem:
    id: int
    story_id: int
    kind: str
    recipient: str
    fetched_at: datetime
    created_at: datetime
    attempts: int
    sent_at: datetime | None
    step: str = ""
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertRow:
    """An alert as stored; the workflow layer turns it into its own AlertState."""

    id: int
    story_id: int
    department: str
    state: str
    severity: str
    board: bool
    legacy: bool
    version: int
    detected_at: datetime
    raised_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    first_report_at: datetime | None
    verified_at: datetime | None
    replied_at: datetime | None
    reply_url: str | None
    closed_at: datetime | None
    late_claim: bool
    extension_pending: int | None
    extension_days: int
    claim_due: datetime
    first_report_due: datetime | None
    verification_due: datetime | None
    extension_request_due: datetime | None
    reply_due: datetime | None
    public_response_due: datetime | None
    provisional: bool
    overdue: tuple[str, ...]
    merged_into: int | None = None  # state "merged": the alert that carries the event on
    title: str = ""  # the story's
    topic_id: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertEventRow:
    id: int
    alert_id: int
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str
    link: str | None
    data: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class UserRow:
    login: str
    name: str
    role: str
    department: str | None
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestItem:
    """One department's digest after one duty patrol, as queued in the store."""

    id: int
    department: str
    duty_at: datetime
    alert_ids: tuple[int, ...]
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceEvent:
    """A source's health raised or cleared."""

    source_id: str
    at: datetime
    kind: str  # raised | cleared
    state: str
    reason: str
