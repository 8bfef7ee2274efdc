"""Tx: the writes of one patrol page, in one transaction.

Each method is a fixed number of statements whatever the batch size: posts go in as one
multi-row INSERT, links and hits as executemany.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from sentinel.extract.post import Post
from sentinel.store.compress import pack
from sentinel.store.engine import dialect_insert, translate_errors
from sentinel.store.records import AlertEventRow, AlertRow, PostLink
from sentinel.store.schema import (
    alert,
    alert_event,
    evidence,
    hit,
    outbox,
    post,
    post_metric,
    schedule_state,
    story,
)

TERMINAL_STATES = ("closed", "dismissed", "merged")
_STORY_LOCK = 7_301_845_113  # pg advisory lock key for story decisions (migrations use ...112)


def alert_row(m: RowMapping) -> AlertRow:
    values = {c.name: m[c.name] for c in alert.c}
    values["overdue"] = tuple(values["overdue"] or ())
    values["board"] = bool(values["board"])
    values["legacy"] = bool(values["legacy"])
    values["late_claim"] = bool(values["late_claim"])
    values["provisional"] = bool(values["provisional"])
    if "title" in m:
        values["title"] = m["title"]
        values["topic_id"] = m["topic_id"]
    return AlertRow(**values)


def event_row(m: RowMapping) -> AlertEventRow:
    return AlertEventRow(**{c.name: m[c.name] for c in alert_event.c})


def alert_select() -> Any:
    """Alerts with their story's title and topic."""
    return select(alert, story.c.title, story.c.topic_id).join(
        story, story.c.id == alert.c.story_id
    )


# Statements on the patrol's hot path, built once (see Store's _KNOWN_POSTS); the row goes
# in as parameters, so SQLAlchemy finds the compiled form by the statement itself.
_CREATE_STORY = story.insert().returning(story.c.id)


@functools.cache
def _insert_new(dialect: str, table: Table, key: str, returning: str | None = None) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING for this dialect, built once per table."""
    stmt = dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=[table.c[key]])
    return stmt.returning(table.c[returning]) if returning is not None else stmt


class Tx:
    """Writes inside one transaction; get one from `Store.transaction()`."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._dialect = connection.dialect.name
        self.pushed = False  # a push was queued: the store tells its listeners at commit

    @property
    def connection(self) -> AsyncConnection:
        """For the store's other write modules (delivery.py), inside this transaction."""
        return self._conn

    async def insert_posts(self, posts: Sequence[Post], *, seen_at: datetime) -> dict[str, int]:
        """Store posts not stored yet; url → id for those actually inserted (a repeat adds none)."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for p in posts:
            # `author` stays out: Sentinel watches topics, not people.
            rows.setdefault(
                (p.source_id, p.url),
                {
                    "source_id": p.source_id,
                    "url": p.url,
                    "title": p.title,
                    "body": p.body,
                    "published_at": p.published_at,
                    "first_seen_at": seen_at,
                    "replies": p.replies,
                    "views": p.views,
                },
            )
        if not rows:
            return {}
        stmt = (
            dialect_insert(self._dialect, post)
            .on_conflict_do_nothing(index_elements=[post.c.source_id, post.c.url])
            .returning(post.c.id, post.c.url)
        )
        with translate_errors("storing posts"):
            # Executed with many parameter sets, SQLAlchemy sends this as multi-row
            # INSERT ... VALUES (...), (...) RETURNING ("insertmanyvalues"), one cached statement.
            result = await self._conn.execute(stmt, list(rows.values()))
            return {url: post_id for post_id, url in result.all()}

    async def put_evidence(
        self, *, body: bytes, url: str, content_type: str, fetched_at: datetime
    ) -> str:
        """Keep the raw page once, compressed; its SHA-256 (hex) names it."""
        digest = hashlib.sha256(body).hexdigest()
        codec, data = pack(body)
        row = {
            "hash": digest,
            "url": url,
            "content_type": content_type,
            "fetched_at": fetched_at,
            "size": len(body),
            "codec": codec,
            "data": data,
        }
        with translate_errors("storing evidence"):
            await self._conn.execute(_insert_new(self._dialect, evidence, "hash"), row)
        return digest

    async def create_story(
        self,
        *,
        topic_id: str,
        title: str,
        severity: str,
        department: str | None,
        first_seen_at: datetime,
    ) -> int:
        row = {
            "topic_id": topic_id,
            "title": title,
            "severity": severity,
            "department": department,
            "first_seen_at": first_seen_at,
            "last_seen_at": first_seen_at,
        }
        with translate_errors("creating a story"):
            return int((await self._conn.execute(_CREATE_STORY, row)).scalar_one())

    async def attach(self, links: Sequence[PostLink]) -> None:
        """Join posts to their stories, keep their hits, and move the stories' last_seen_at."""
        if not links:
            return
        link_rows = [
            {
                "b_id": link.post_id,
                "b_story": link.story_id,
                "b_sig": link.signature,
                "b_evidence": link.evidence_hash,
                "b_features": link.features,
                "b_placed": link.placed_by,
                "b_similarity": link.similarity,
                "b_why": link.why or None,
            }
            for link in links
        ]
        hit_rows = [
            {
                "post_id": link.post_id,
                "topic_id": h.topic_id,
                "words": list(h.words),
                "region_words": list(h.region_words),
                "positions": [list(p) for p in h.positions],
            }
            for link in links
            for h in link.hits
        ]
        join = (
            update(post)
            .where(post.c.id == bindparam("b_id"))
            .values(
                story_id=bindparam("b_story"),
                signature=bindparam("b_sig"),
                evidence_hash=bindparam("b_evidence"),
                features=bindparam("b_features", type_=post.c.features.type),
                placed_by=bindparam("b_placed"),
                similarity=bindparam("b_similarity"),
                why=bindparam("b_why"),
            )
        )
        # A story was last seen when its newest post was first seen: the pipeline's clock,
        # not the database's, so tests with a fixed clock stay exact.
        with translate_errors("attaching posts to stories"):
            await self._conn.execute(join, link_rows)
            if hit_rows:
                await self._conn.execute(hit.insert(), hit_rows)
        await self.touch_stories([link.story_id for link in links])

    async def touch_stories(self, story_ids: Sequence[int]) -> None:
        """Move each story's last_seen_at to its newest post's first_seen_at (after posts were
        attached or moved)."""
        newest = (
            select(func.max(post.c.first_seen_at))
            .where(post.c.story_id == story.c.id)
            .scalar_subquery()
        )
        touch = (
            update(story)
            .where(story.c.id.in_(sorted(set(story_ids))))
            .values(last_seen_at=func.coalesce(newest, story.c.last_seen_at))
        )
        with translate_errors("updating stories"):
            await self._conn.execute(touch)

    async def set_schedule_state(self, values: Mapping[str, datetime]) -> None:
        """Upsert schedule_state rows (key → time)."""
        if not values:
            return
        stmt = dialect_insert(self._dialect, schedule_state)
        stmt = stmt.on_conflict_do_update(
            index_elements=[schedule_state.c.key], set_={"at": stmt.excluded.at}
        )
        with translate_errors("writing the schedule state"):
            await self._conn.execute(stmt, [{"key": k, "at": v} for k, v in values.items()])

    async def enqueue_push(
        self, *, story_id: int, fetched_at: datetime, created_at: datetime, recipient: str = ""
    ) -> bool:
        """Queue an immediate push for a story; False when one is already queued for it."""
        stmt = (
            dialect_insert(self._dialect, outbox)
            .values(
                story_id=story_id,
                kind="push",
                recipient=recipient,
                fetched_at=fetched_at,
                created_at=created_at,
                attempts=0,
            )
            .on_conflict_do_nothing(
                index_elements=[outbox.c.story_id, outbox.c.recipient, outbox.c.kind, outbox.c.step]
            )
        )
        with translate_errors("queueing a push"):
            result = await self._conn.execute(stmt)
            self.pushed = self.pushed or bool(result.rowcount)
            return bool(result.rowcount)

    async def update_counts(
        self, rows: Sequence[tuple[int, int | None, int | None]], *, at: datetime
    ) -> None:
        """New (post id, replies, views) of known posts: kept on the post, and as history."""
        if not rows:
            return
        change = (
            update(post)
            .where(post.c.id == bindparam("b_id"))
            .values(replies=bindparam("b_replies"), views=bindparam("b_views"))
        )
        with translate_errors("recording post metrics"):
            await self._conn.execute(
                change, [{"b_id": i, "b_replies": r, "b_views": v} for i, r, v in rows]
            )
            await self._conn.execute(
                post_metric.insert(),
                [{"post_id": i, "at": at, "replies": r, "views": v} for i, r, v in rows],
            )

    # ------------------------------------------------------------------ alerts

    async def open_alert(self, values: dict[str, Any]) -> int | None:
        """Open the story's alert; None when it already has one (the unique key decides)."""
        row = {
            "version": 1,
            "late_claim": False,
            "extension_days": 0,
            "legacy": False,
            "overdue": [],
            **values,
        }
        stmt = _insert_new(self._dialect, alert, "story_id", returning="id")
        with translate_errors("opening an alert"):
            found = (await self._conn.execute(stmt, row)).scalar_one_or_none()
        return None if found is None else int(found)

    async def alerts_for_stories(self, story_ids: Sequence[int]) -> list[AlertRow]:
        if not story_ids:
            return []
        q = alert_select().where(alert.c.story_id.in_(sorted(set(story_ids))))
        with translate_errors("reading alerts"):
            return [alert_row(m) for m in (await self._conn.execute(q)).mappings()]

    async def alert(self, alert_id: int) -> AlertRow | None:
        q = alert_select().where(alert.c.id == alert_id)
        with translate_errors("reading an alert"):
            m = (await self._conn.execute(q)).mappings().first()
        return None if m is None else alert_row(m)

    async def open_alerts(self) -> list[AlertRow]:
        """Every alert not closed or dismissed, in one query."""
        q = alert_select().where(alert.c.state.not_in(TERMINAL_STATES)).order_by(alert.c.id)
        with translate_errors("reading open alerts"):
            return [alert_row(m) for m in (await self._conn.execute(q)).mappings()]

    async def story_source_counts(self, story_ids: Sequence[int]) -> dict[int, int]:
        """Distinct sources carrying each story."""
        if not story_ids:
            return {}
        q = (
            select(post.c.story_id, func.count(post.c.source_id.distinct()))
            .where(post.c.story_id.in_(sorted(set(story_ids))))
            .group_by(post.c.story_id)
        )
        with translate_errors("counting story sources"):
            return {int(sid): int(n) for sid, n in await self._conn.execute(q)}

    async def events_of(self, alert_ids: Sequence[int], action: str) -> list[AlertEventRow]:
        if not alert_ids:
            return []
        q = (
            select(alert_event)
            .where(alert_event.c.alert_id.in_(sorted(set(alert_ids))))
            .where(alert_event.c.action == action)
            .order_by(alert_event.c.id)
        )
        with translate_errors("reading alert events"):
            return [event_row(m) for m in (await self._conn.execute(q)).mappings()]

    async def change_alert(self, alert_id: int, version: int, values: dict[str, Any]) -> bool:
        """Write new values if nobody changed the alert since `version` was read."""
        stmt = (
            update(alert)
            .where(alert.c.id == alert_id, alert.c.version == version)
            .values(**values, version=alert.c.version + 1)
        )
        with translate_errors("changing an alert"):
            return bool((await self._conn.execute(stmt)).rowcount)

    async def claim_unclaimed(self, alert_ids: Sequence[int], values: dict[str, Any]) -> list[int]:
        """Set the same values on those of these alerts still `new`; the ids changed."""
        if not alert_ids:
            return []
        stmt = (
            update(alert)
            .where(alert.c.id.in_(sorted(set(alert_ids))), alert.c.state == "new")
            .values(**values, version=alert.c.version + 1)
            .returning(alert.c.id)
        )
        with translate_errors("designating alerts"):
            return sorted(int(i) for i in (await self._conn.execute(stmt)).scalars())

    async def set_alert_fields(self, rows: Sequence[dict[str, Any]]) -> None:
        """Per-alert derived values (deadlines, overdue steps), one statement for all.

        Each row has `b_id` and the same other keys.
        """
        if not rows:
            return
        keys = [k for k in rows[0] if k != "b_id"]
        stmt = (
            update(alert)
            .where(alert.c.id == bindparam("b_id"))
            .values({k: bindparam(f"v_{k}") for k in keys})
        )
        params = [{"b_id": r["b_id"], **{f"v_{k}": r[k] for k in keys}} for r in rows]
        with translate_errors("updating alerts"):
            await self._conn.execute(stmt, params)

    async def add_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Append audit records. There is deliberately no way to change one."""
        if not events:
            return
        rows = [{"note": "", "link": None, "data": {}, **e} for e in events]
        with translate_errors("recording alert events"):
            await self._conn.execute(alert_event.insert(), rows)

    async def set_story_severity(self, story_id: int, severity: str) -> None:
        stmt = update(story).where(story.c.id == story_id).values(severity=severity)
        with translate_errors("raising a story"):
            await self._conn.execute(stmt)

    async def enqueue_reminders(self, rows: Sequence[dict[str, Any]], *, at: datetime) -> int:
        """Queue reminders (story_id, recipient, step); one per alert and step, ever."""
        if not rows:
            return 0
        stmt = dialect_insert(self._dialect, outbox).on_conflict_do_nothing(
            index_elements=[outbox.c.story_id, outbox.c.recipient, outbox.c.kind, outbox.c.step]
        )
        params = [
            {
                "story_id": r["story_id"],
                "recipient": r["recipient"],
                "step": r["step"],
                "kind": "reminder",
                "fetched_at": at,
                "created_at": at,
                "attempts": 0,
            }
            for r in rows
        ]
        with translate_errors("queueing reminders"):
            result = await self._conn.execute(stmt, params)
            return max(0, result.rowcount)

    # ------------------------------------------------------- story decisions

    async def lock_stories(self) -> None:
        """Make this transaction the only one deciding stories until it ends, across processes.

        Two processes that each miss the other's new story would open two for one event; under
        this lock the second one reads the first one's story before deciding.
        """
        with translate_errors("locking story decisions"):
            if self._dialect == "postgresql":
                await self._conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _STORY_LOCK}
                )
            else:
                # a write takes SQLite's write lock (waiting busy_timeout for it) and makes the
                # reads after it see every committed row
                await self._conn.execute(update(story).where(story.c.id < 0).values(id=story.c.id))

    async def signatures_after(self, post_id: int) -> list[tuple[int, int, bytes | None, Any]]:
        """(post id, story id, signature, event features) of story posts above `post_id`."""
        q = (
            select(post.c.id, post.c.story_id, post.c.signature, post.c.features)
            .where(
                post.c.id > post_id,
                post.c.story_id.is_not(None),
                or_(post.c.signature.is_not(None), post.c.features.is_not(None)),
            )
            .order_by(post.c.id)
        )
        with translate_errors("reading story signatures"):
            return [
                (int(i), int(s), bytes(sig) if sig is not None else None, f)
                for i, s, sig, f in await self._conn.execute(q)
            ]

    async def max_post_id(self) -> int:
        with translate_errors("reading posts"):
            found = (await self._conn.execute(select(func.max(post.c.id)))).scalar()
        return int(found or 0)
