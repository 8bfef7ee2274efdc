"""The store: posts, stories, hits, evidence and fetch history, on SQLite or PostgreSQL.

Store.open(url) → Store ── upgrade() / close()
    reads:   validators, known_urls, known_posts, story_signatures, stories, posts,
             sources_status, counts, evidence, outbox
    writes:  record_fetch, mark_gone, transaction() → Tx
Tx:          insert_posts, update_counts, put_evidence, create_story, attach, enqueue_push
"""

from __future__ import annotations

from sentinel.store.engine import database_url, default_url
from sentinel.store.records import (
    FetchRecord,
    KnownPost,
    OutboxItem,
    PostLink,
    PostView,
    SourceStatus,
    StoryView,
)
from sentinel.store.store import Store
from sentinel.store.tx import Tx

__all__ = [
    "FetchRecord",
    "KnownPost",
    "OutboxItem",
    "PostLink",
    "PostView",
    "SourceStatus",
    "Store",
    "StoryView",
    "Tx",
    "database_url",
    "default_url",
]
