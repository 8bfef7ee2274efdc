"""Tx: the writes of one patrol page, in one transaction.

Each method is a fixed number of statements whatever the batch size: posts go in as one
multi-row INSERT, links and hits as executemany.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sentinel.extract.post import Post
from sentinel.store.compress import pack
from sentinel.store.engine import dialect_insert, translate_errors
from sentinel.store.records import PostLink
from sentinel.store.schema import evidence, hit, outbox, post, post_metric, story


class Tx:
    """Writes inside one transaction; get one from `Store.transaction()`."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._dialect = connection.dialect.name

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
        stmt = (
            dialect_insert(self._dialect, evidence)
            .values(
                hash=digest,
                url=url,
                content_type=content_type,
                fetched_at=fetched_at,
                size=len(body),
                codec=codec,
                data=data,
            )
            .on_conflict_do_nothing(index_elements=[evidence.c.hash])
        )
        with translate_errors("storing evidence"):
            await self._conn.execute(stmt)
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
        stmt = (
            story.insert()
            .values(
                topic_id=topic_id,
                title=title,
                severity=severity,
                department=department,
                first_seen_at=first_seen_at,
                last_seen_at=first_seen_at,
            )
            .returning(story.c.id)
        )
        with translate_errors("creating a story"):
            return int((await self._conn.execute(stmt)).scalar_one())

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
            )
        )
        # A story was last seen when its newest post was first seen: the pipeline's clock,
        # not the database's, so tests with a fixed clock stay exact.
        newest = (
            select(func.max(post.c.first_seen_at))
            .where(post.c.story_id == story.c.id)
            .scalar_subquery()
        )
        touch = (
            update(story)
            .where(story.c.id.in_(sorted({link.story_id for link in links})))
            .values(last_seen_at=func.coalesce(newest, story.c.last_seen_at))
        )
        with translate_errors("attaching posts to stories"):
            await self._conn.execute(join, link_rows)
            if hit_rows:
                await self._conn.execute(hit.insert(), hit_rows)
            await self._conn.execute(touch)

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
                index_elements=[outbox.c.story_id, outbox.c.recipient, outbox.c.kind]
            )
        )
        with translate_errors("queueing a push"):
            result = await self._conn.execute(stmt)
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
