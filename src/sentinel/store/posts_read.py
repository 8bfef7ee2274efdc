"""The Store's reads of posts, stories and evidence, and the few writes that go with them
(posts marked gone). Mixed into Store (store.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import RowMapping, and_, bindparam, func, or_, select, true, update

from sentinel.errors import NotFound
from sentinel.store.compress import unpack
from sentinel.store.engine import BARE_READ, translate_errors
from sentinel.store.reads import Reads
from sentinel.store.records import (
    KnownPost,
    PostView,
    StoryView,
)
from sentinel.store.schema import (
    TABLES,
    alert,
    evidence,
    hit,
    post,
    post_metric,
    story,
)
from sentinel.store.tx import TERMINAL_STATES, Tx

T = TypeVar("T")

# Keeps `IN (...)` lists under SQLite's and asyncpg's bound-parameter limits.
_CHUNK = 500
_COUNTED = ("post", "story", "hit", "evidence", "fetch", "source", "alert", "alert_event")
_POST_COLUMNS = (
    post.c.id,
    post.c.source_id,
    post.c.url,
    post.c.title,
    post.c.body,
    post.c.published_at,
    post.c.first_seen_at,
    post.c.replies,
    post.c.views,
    post.c.story_id,
    post.c.deleted_at,
    post.c.placed_by,
    post.c.similarity,
    post.c.why,
)


def _chunks(items: Sequence[T]) -> list[list[T]]:
    unique = list(dict.fromkeys(items))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


def _post_view(m: RowMapping) -> PostView:
    return PostView(
        id=m["id"],
        source_id=m["source_id"],
        url=m["url"],
        title=m["title"],
        body=m["body"],
        published_at=m["published_at"],
        first_seen_at=m["first_seen_at"],
        replies=m["replies"],
        views=m["views"],
        story_id=m["story_id"],
        deleted_at=m["deleted_at"],
        placed_by=m["placed_by"],
        similarity=m["similarity"],
        why=m["why"] or "",
    )


# Built once: known_posts runs for every list page of every patrol, and building the statement
# cost more than SQLAlchemy's compiled cache saves.
_KNOWN_POSTS = select(post.c.url, post.c.id, post.c.replies, post.c.views, post.c.story_id).where(
    post.c.source_id == bindparam("sid"), post.c.url.in_(bindparam("urls", expanding=True))
)


class PostReads(Reads):
    async def known_urls(self, source_id: str, urls: Sequence[str]) -> set[str]:
        """Which of these URLs this source already has a post for."""
        known: set[str] = set()
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                for chunk in _chunks(urls):
                    q = select(post.c.url).where(
                        post.c.source_id == source_id, post.c.url.in_(chunk)
                    )
                    known.update((await conn.execute(q)).scalars())
        return known

    async def known_posts(self, source_id: str, urls: Sequence[str]) -> dict[str, KnownPost]:
        """url → the stored post, for those of these URLs this source already has."""
        known: dict[str, KnownPost] = {}
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**{BARE_READ: True})
                for chunk in _chunks(urls):
                    rows = await conn.execute(_KNOWN_POSTS, {"sid": source_id, "urls": chunk})
                    for url, post_id, replies, views, story_id in rows:
                        known[url] = KnownPost(
                            id=post_id, replies=replies, views=views, story_id=story_id
                        )
        return known

    async def posts(
        self,
        *,
        source_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[PostView]:
        """Posts, newest first."""
        q = select(*_POST_COLUMNS).order_by(post.c.first_seen_at.desc(), post.c.id.desc())
        if source_id is not None:
            q = q.where(post.c.source_id == source_id)
        if since is not None:
            q = q.where(post.c.first_seen_at >= since)
        if limit is not None:
            q = q.limit(limit)
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                return [_post_view(r) for r in (await conn.execute(q)).mappings()]

    async def mark_gone(self, source_id: str, urls: Sequence[str], at: datetime) -> int:
        """Mark posts that disappeared from their site; nothing is ever deleted."""
        marked = 0
        async with self._write() as conn:
            for chunk in _chunks(urls):
                q = (
                    update(post)
                    .where(
                        post.c.source_id == source_id,
                        post.c.url.in_(chunk),
                        post.c.deleted_at.is_(None),
                    )
                    .values(deleted_at=at)
                )
                marked += (await conn.execute(q)).rowcount
        return marked

    async def post_evidence(self, post_ids: Sequence[int]) -> dict[int, str]:
        """post id → the hash of the stored page it was found on (posts with hits only)."""
        out: dict[int, str] = {}
        with translate_errors("reading evidence links"):
            async with self.engine.connect() as conn:
                for chunk in _chunks(list(post_ids)):
                    q = select(post.c.id, post.c.evidence_hash).where(
                        post.c.id.in_(chunk), post.c.evidence_hash.is_not(None)
                    )
                    out.update({int(i): str(h) for i, h in await conn.execute(q)})
        return out

    async def post_metrics(
        self, post_ids: Sequence[int]
    ) -> list[tuple[int, datetime, int | None, int | None]]:
        """(post id, when, replies, views) as patrols saw the counts change, oldest first."""
        out: list[tuple[int, datetime, int | None, int | None]] = []
        with translate_errors("reading post metrics"):
            async with self.engine.connect() as conn:
                for chunk in _chunks(list(post_ids)):
                    q = (
                        select(
                            post_metric.c.post_id,
                            post_metric.c.at,
                            post_metric.c.replies,
                            post_metric.c.views,
                        )
                        .where(post_metric.c.post_id.in_(chunk))
                        .order_by(post_metric.c.at, post_metric.c.id)
                    )
                    out.extend((int(i), at, r, v) for i, at, r, v in await conn.execute(q))
        out.sort(key=lambda row: row[1])
        return out

    async def evidence_departments(self, digest: str) -> set[str]:
        """Departments whose alerts list a post found on this stored page (who may see it)."""
        q = (
            select(alert.c.department)
            .select_from(post.join(alert, alert.c.story_id == post.c.story_id))
            .where(post.c.evidence_hash == digest)
            .distinct()
        )
        with translate_errors("reading evidence links"):
            async with self.engine.connect() as conn:
                return {str(d) for d in (await conn.execute(q)).scalars() if d is not None}

    async def posts_to_recheck(self, since: datetime, limit: int) -> list[tuple[str, str]]:
        """(source id, url) of posts in stories, first seen since `since`, not yet gone."""
        q = (
            select(post.c.source_id, post.c.url)
            .where(
                post.c.story_id.is_not(None),
                post.c.deleted_at.is_(None),
                post.c.first_seen_at >= since,
            )
            .order_by(post.c.id.desc())
            .limit(limit)
        )
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                return [(sid, url) for sid, url in await conn.execute(q)]

    async def story_signatures(
        self, since: datetime, *, page: int = 2000
    ) -> AsyncIterator[tuple[int, bytes | None, Any, bool, datetime]]:
        """(story id, post signature, post event features, story still open, story last seen)
        for every post of a story seen since `since`, oldest first. Open: its alert is not
        closed, dismissed or merged (the event step keeps such stories joinable for longer).

        Read `page` rows at a time: the index is built as they come, so a month of stories
        never sits in memory twice (rows, then index)."""
        still_open = ~(
            select(alert.c.id)
            .where(alert.c.story_id == story.c.id, alert.c.state.in_(TERMINAL_STATES))
            .exists()
        )
        q = (
            select(
                post.c.story_id,
                post.c.signature,
                post.c.features,
                still_open,
                story.c.last_seen_at,
                post.c.id,
            )
            .join(story, story.c.id == post.c.story_id)
            .where(
                story.c.last_seen_at >= since,
                story.c.merged_into.is_(None),
                or_(post.c.signature.is_not(None), post.c.features.is_not(None)),
            )
            .order_by(post.c.story_id, post.c.id)
            .limit(page)
        )
        after: tuple[int, int] | None = None
        while True:
            more = q
            if after is not None:
                more = q.where(
                    or_(
                        post.c.story_id > after[0],
                        and_(post.c.story_id == after[0], post.c.id > after[1]),
                    )
                )
            with translate_errors("reading story signatures"):
                async with self.engine.connect() as conn:
                    rows = (await conn.execute(more)).all()
            for s, sig, f, o, seen, _ in rows:
                yield (int(s), bytes(sig) if sig is not None else None, f, bool(o), seen)
            if len(rows) < page:
                return
            after = (int(rows[-1][0]), int(rows[-1][5]))

    async def stories(self, *, since: datetime | None = None) -> list[StoryView]:
        """Stories seen since `since` (all by default), newest first, each with its posts.

        Three queries whatever the number of stories: stories, their posts, their hits.
        """
        cond = story.c.last_seen_at >= since if since is not None else true()
        ids = select(story.c.id).where(cond)
        q_stories = (
            select(story).where(cond).order_by(story.c.last_seen_at.desc(), story.c.id.desc())
        )
        q_posts = (
            select(*_POST_COLUMNS)
            .where(post.c.story_id.in_(ids))
            .order_by(post.c.first_seen_at, post.c.id)
        )
        q_words = (
            select(post.c.story_id, hit.c.words)
            .join(post, post.c.id == hit.c.post_id)
            .where(post.c.story_id.in_(ids))
        )
        with translate_errors("reading stories"):
            async with self.engine.connect() as conn:
                rows = (await conn.execute(q_stories)).mappings().all()
                if not rows:
                    return []
                posts = [_post_view(r) for r in (await conn.execute(q_posts)).mappings()]
                word_rows = (await conn.execute(q_words)).all()
        by_story: dict[int, list[PostView]] = defaultdict(list)
        for p in posts:
            if p.story_id is not None:
                by_story[p.story_id].append(p)
        words: dict[int, set[str]] = defaultdict(set)
        for story_id, matched in word_rows:
            words[story_id].update(matched)
        return [
            StoryView(
                id=r["id"],
                topic_id=r["topic_id"],
                title=r["title"],
                severity=r["severity"],
                department=r["department"],
                first_seen_at=r["first_seen_at"],
                last_seen_at=r["last_seen_at"],
                words=tuple(sorted(words[r["id"]])),
                posts=tuple(by_story[r["id"]]),
            )
            for r in rows
        ]

    async def evidence(self, hash: str) -> bytes:
        """The raw bytes of a page kept as evidence, by the SHA-256 hex of those bytes."""
        q = select(evidence.c.codec, evidence.c.data).where(evidence.c.hash == hash)
        with translate_errors("reading evidence"):
            async with self.engine.connect() as conn:
                row = (await conn.execute(q)).first()
        if row is None:
            raise NotFound(f"no evidence {hash}")
        return unpack(row.codec, bytes(row.data))

    async def counts(self) -> dict[str, int]:
        """Rows per table, in one query."""
        await self.flush()
        q = select(
            *(
                select(func.count()).select_from(TABLES[name]).scalar_subquery().label(name)
                for name in _COUNTED
            )
        )
        with translate_errors("counting rows"):
            async with self.engine.connect() as conn:
                row = (await conn.execute(q)).mappings().one()
        return {name: int(row[name]) for name in _COUNTED}

    async def story_posts(self, story_id: int) -> list[PostView]:
        q = (
            select(*_POST_COLUMNS)
            .where(post.c.story_id == story_id)
            .order_by(post.c.first_seen_at, post.c.id)
        )
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                return [_post_view(r) for r in (await conn.execute(q)).mappings()]

    async def regrouped_at(self) -> datetime | None:
        """When the lead office last merged or split stories (store/regroup.py), if ever."""
        from sentinel.store.regroup import regrouped_at

        async with self.engine.connect() as conn:
            return await regrouped_at(Tx(conn))
