"""The store: posts, stories, hits, evidence and fetch history, on SQLite or PostgreSQL.

Store.open(url) → Store ── upgrade() / close()
    reads:   validators, known_urls, known_posts, story_signatures, stories, posts,
             sources_status, counts, evidence, outbox, alerts, alert, alert_events,
             story_posts, users, user
    writes:  record_fetch, mark_gone, add_user, set_password, transaction() → Tx
Logins(store): open_session, session_user, end_session, end_sessions, set_disabled (the desk)
Deliveries(store): due_outbox, digests, schedule_state, set_schedule_state, enqueue_digest,
             fan_out, claim, mark_sent, mark_failed (the daemon's outbox and digests)
Tx:          insert_posts, update_counts, put_evidence, create_story, attach, enqueue_push,
             open_alert, alerts_for_stories, alert, open_alerts, story_source_counts, events_of,
             change_alert, claim_unclaimed, set_alert_fields, add_events (append only),
             set_story_severity, enqueue_reminders
"""

from __future__ import annotations

from sentinel.store.delivery import Deliveries
from sentinel.store.engine import database_url, default_url
from sentinel.store.logins import Logins
from sentinel.store.records import (
    AlertEventRow,
    AlertRow,
    DigestItem,
    FetchRecord,
    KnownPost,
    OutboxItem,
    PostLink,
    PostView,
    SourceEvent,
    SourceStatus,
    StoryView,
    UserRow,
)
from sentinel.store.store import Store
from sentinel.store.tx import Tx

__all__ = [
    "AlertEventRow",
    "AlertRow",
    "Deliveries",
    "DigestItem",
    "FetchRecord",
    "KnownPost",
    "Logins",
    "OutboxItem",
    "PostLink",
    "PostView",
    "SourceEvent",
    "SourceStatus",
    "Store",
    "StoryView",
    "Tx",
    "UserRow",
    "database_url",
    "default_url",
]
