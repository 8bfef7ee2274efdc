"""Records the store hands out and takes in: frozen, keyword-only, datetimes aware (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True, kw_only=True, slots=True)
class KnownPost:
    """A stored post as the next patrol needs it: to skip it, and to see its counts move."""

    id: int
    replies: int | None
    views: int | None


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
