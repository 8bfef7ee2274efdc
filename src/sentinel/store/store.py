"""Store: everything Sentinel keeps, behind one small async API (SQLAlchemy Core).

Reads run beside writes; writes go through `transaction()` (or the one-shot write methods).
On SQLite an asyncio.Lock makes this process one writer, as WAL wants; PostgreSQL needs none.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import RowMapping, bindparam, func, or_, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sentinel.errors import NotFound, StoreError
from sentinel.fetch.page import Validators
from sentinel.locks import PriorityLock
from sentinel.sources.health import Event as HealthEvent
from sentinel.sources.health import Health
from sentinel.sources.health import State as HealthState
from sentinel.store.compress import unpack
from sentinel.store.engine import (
    BARE_READ,
    create_engine,
    dialect_insert,
    single_writer,
    translate_errors,
)
from sentinel.store.fetchlog import HealthRecord, write_fetches, write_health
from sentinel.store.records import (
    AlertEventRow,
    AlertRow,
    FetchRecord,
    KnownPost,
    OutboxItem,
    PostView,
    SourceEvent,
    SourceStatus,
    StoryView,
    UserRow,
)
from sentinel.store.schema import (
    TABLES,
    alert,
    alert_event,
    evidence,
    hit,
    outbox,
    post,
    post_metric,
    source,
    source_event,
    story,
    url_state,
    user,
)
from sentinel.store.tx import TERMINAL_STATES, Tx, alert_row, alert_select, event_row

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


log = logging.getLogger("sentinel.store")

# Built once: known_posts runs for every list page of every patrol, and building the statement
# cost more than SQLAlchemy's compiled cache saves.
_KNOWN_POSTS = select(post.c.url, post.c.id, post.c.replies, post.c.views, post.c.story_id).where(
    post.c.source_id == bindparam("sid"), post.c.url.in_(bindparam("urls", expanding=True))
)

# Fetch records held back before they are written on their own (see record_fetch).
FETCH_BATCH = 500
# Held-back records ride along with a write transaction once this many have gathered. Carried
# by every transaction, a few at a time, they cost six statements per list page stored, about a
# tenth of a patrol's store work; carried in hundreds, the same six statements serve them all.
FETCH_CARRY = 100


def _sqlite_pragma(conn: Connection, pragma: str) -> None:
    # On the driver connection: SQLAlchemy's own execute would begin a transaction first.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def _foreign_keys_hold(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise StoreError(f"the migration left rows whose foreign keys do not hold: {broken[:5]}")


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock: PriorityLock | None = PriorityLock() if single_writer(engine) else None
        self._pending: list[FetchRecord | HealthRecord] = []
        self._on_push: list[Callable[[], None]] = []

    def on_push(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that queued a push (the daemon sends it at once)."""
        self._on_push.append(callback)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect (failing now, with a StoreError, if the database cannot be reached)."""
        engine = create_engine(url)
        try:
            with translate_errors("cannot open the database"):
                async with engine.connect():
                    pass
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def upgrade(self) -> None:
        """Migrate the schema to head (Alembic, in-process); a version check when it is there."""
        async with self._writer():
            with translate_errors("migrating the database"):
                async with self.engine.connect() as conn:
                    sqlite = conn.dialect.name == "sqlite"
                    if sqlite:
                        # Batch migrations rebuild a table (copy, drop, rename); with foreign
                        # keys on, dropping a table that other rows refer to fails. The pragma
                        # only takes effect outside a transaction, so it goes in before BEGIN.
                        await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=OFF")
                    try:
                        # Imported here: Alembic costs ~10 MB that a running patrol never needs.
                        from sentinel.store.migrate import upgrade_to_head

                        async with conn.begin():
                            await conn.run_sync(upgrade_to_head)
                            if sqlite:
                                await conn.run_sync(_foreign_keys_hold)
                    finally:
                        if sqlite:
                            await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=ON")

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            await self.engine.dispose()

    def _writer(self, urgent: bool = False) -> AbstractAsyncContextManager[Any]:
        if self._write_lock is None:
            return nullcontext()
        return self._write_lock.hold(urgent=urgent)

    def transaction(self, *, urgent: bool = False) -> AbstractAsyncContextManager[Tx]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        urgent: go before the writes already waiting (a page with a critical post).
        """
        return self._transaction(urgent)

    @asynccontextmanager
    async def _transaction(self, urgent: bool) -> AsyncIterator[Tx]:
        # An urgent write (a critical post) carries nothing else: its push must not wait.
        carry = not urgent and len(self._pending) >= FETCH_CARRY
        async with self._write(urgent, carry=carry) as conn:
            tx = Tx(conn)
            yield tx
        if tx.pushed:
            for callback in self._on_push:
                callback()

    @asynccontextmanager
    async def _write(
        self, urgent: bool = False, *, carry: bool = True
    ) -> AsyncIterator[AsyncConnection]:
        """A write transaction; with `carry`, the held-back fetch records are written first."""
        async with self._writer(urgent):
            pending: list[FetchRecord | HealthRecord] = []
            if carry:
                pending, self._pending = self._pending, []
            try:
                with translate_errors("writing to the database"):
                    async with self.engine.begin() as conn:
                        if pending:
                            await self._write_pending(conn, pending)
                        yield conn
            except BaseException:
                self._pending[:0] = pending  # rolled back with the rest: keep them for later
                raise

    @staticmethod
    async def _write_pending(
        conn: AsyncConnection, pending: list[FetchRecord | HealthRecord]
    ) -> None:
        # In a savepoint: fetch records that cannot be written (a bug, a constraint) are logged
        # and dropped, never allowed to fail the posts written with them, nor every write after.
        try:
            async with conn.begin_nested():
                # Fetches first: they create the source rows that health is written to.
                await write_fetches(conn, [r for r in pending if isinstance(r, FetchRecord)])
                await write_health(conn, [r for r in pending if isinstance(r, HealthRecord)])
        except SQLAlchemyError:
            log.exception("dropped %d fetch records that could not be written", len(pending))

    # ----------------------------------------------------------------- fetches

    async def validators(self, urls: Sequence[str]) -> dict[str, Validators]:
        """The ETag / Last-Modified remembered for each of these URLs that has any."""
        out: dict[str, Validators] = {}
        await self.flush()
        with translate_errors("reading validators"):
            async with self.engine.connect() as conn:
                for chunk in _chunks(urls):
                    q = select(url_state.c.url, url_state.c.etag, url_state.c.last_modified)
                    for u, etag, modified in await conn.execute(
                        q.where(url_state.c.url.in_(chunk))
                    ):
                        out[u] = Validators(etag=etag, last_modified=modified)
        return out

    async def record_fetch(self, rec: FetchRecord) -> None:
        """Keep one fetch in the history, its source's status and the URL's validators.

        Written with a write transaction once FETCH_CARRY have gathered, on their own in a batch
        of FETCH_BATCH, or by flush(); every read that shows fetch state flushes first, a patrol
        flushes when it ends, and close() flushes.
        """
        self._pending.append(rec)
        if len(self._pending) >= FETCH_BATCH:
            await self.flush()

    async def record_health(
        self, source_id: str, health: Health, event: HealthEvent | None, at: datetime
    ) -> None:
        """A source's health after a patrol (and the change, if any), written like fetches."""
        self._pending.append(HealthRecord(source_id=source_id, at=at, health=health, event=event))
        if len(self._pending) >= FETCH_BATCH:
            await self.flush()

    async def source_health(self) -> dict[str, Health]:
        """Each known source's health, to fold the next patrol's observation into."""
        await self.flush()
        q = select(
            source.c.id,
            source.c.health,
            source.c.health_reason,
            source.c.health_failures,
            source.c.had_items,
            source.c.had_titles,
            source.c.had_dates,
        )
        with translate_errors("reading source health"):
            async with self.engine.connect() as conn:
                return {
                    sid: Health(
                        state=HealthState(state),
                        reason=reason,
                        failures=failures,
                        had_items=bool(items),
                        had_titles=bool(titles),
                        had_dates=bool(dates),
                    )
                    for sid, state, reason, failures, items, titles, dates in await conn.execute(q)
                }

    async def source_events(self, *, since: datetime | None = None) -> list[SourceEvent]:
        """Health raised and cleared, oldest first."""
        await self.flush()
        q = select(source_event).order_by(source_event.c.at, source_event.c.id)
        if since is not None:
            q = q.where(source_event.c.at >= since)
        with translate_errors("reading source events"):
            async with self.engine.connect() as conn:
                return [
                    SourceEvent(
                        source_id=m["source_id"],
                        at=m["at"],
                        kind=m["kind"],
                        state=m["state"],
                        reason=m["reason"],
                    )
                    for m in (await conn.execute(q)).mappings()
                ]

    async def flush(self) -> None:
        """Write the fetch and health records still held back."""
        if not self._pending:
            return
        async with self._write():
            pass  # _write() writes whatever is pending, then commits

    async def sources_status(self) -> list[SourceStatus]:
        await self.flush()
        q = select(source).order_by(source.c.id)
        with translate_errors("reading source status"):
            async with self.engine.connect() as conn:
                rows = (await conn.execute(q)).mappings().all()
        return [
            SourceStatus(
                source_id=r["id"],
                kind=r["kind"],
                url=r["url"],
                last_fetch_at=r["last_fetch_at"],
                last_status=r["last_status"],
                last_error=r["last_error"],
                last_error_kind=r["last_error_kind"],
                items_last=r["items_last"],
                consecutive_failures=r["consecutive_failures"],
                last_ok_at=r["last_ok_at"],
                health=r["health"],
                health_since=r["health_since"],
                health_reason=r["health_reason"],
            )
            for r in rows
        ]

    # ------------------------------------------------------------------- posts

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

    async def outbox(self, *, pending: bool = False) -> list[OutboxItem]:
        """Queued notifications, oldest first (only the unsent ones with pending=True)."""
        q = select(outbox).order_by(outbox.c.id)
        if pending:
            q = q.where(outbox.c.sent_at.is_(None))
        with translate_errors("reading the outbox"):
            async with self.engine.connect() as conn:
                return [OutboxItem(**dict(m)) for m in (await conn.execute(q)).mappings()]

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

    # ----------------------------------------------------------------- stories

    async def story_signatures(self, since: datetime) -> list[tuple[int, bytes | None, Any, bool]]:
        """(story id, post signature, post event features, story still open) for every post of
        a story seen since `since`, oldest first. Open: its alert is not closed, dismissed or
        merged (the event step keeps such stories joinable for longer)."""
        still_open = ~(
            select(alert.c.id)
            .where(alert.c.story_id == story.c.id, alert.c.state.in_(TERMINAL_STATES))
            .exists()
        )
        q = (
            select(post.c.story_id, post.c.signature, post.c.features, still_open)
            .join(story, story.c.id == post.c.story_id)
            .where(
                story.c.last_seen_at >= since,
                story.c.merged_into.is_(None),
                or_(post.c.signature.is_not(None), post.c.features.is_not(None)),
            )
            .order_by(post.c.story_id, post.c.id)
        )
        with translate_errors("reading story signatures"):
            async with self.engine.connect() as conn:
                return [
                    (int(s), bytes(sig) if sig is not None else None, f, bool(o))
                    for s, sig, f, o in await conn.execute(q)
                ]

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

    # ---------------------------------------------------------------- evidence

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

    # ------------------------------------------------------------------ alerts

    async def alerts(
        self,
        *,
        department: str | None = None,
        state: str | None = None,
        open_only: bool = False,
        overdue: bool = False,
        detected_from: datetime | None = None,
        detected_to: datetime | None = None,
    ) -> list[AlertRow]:
        """Alerts with their story's title, oldest first, in one query."""
        q = alert_select().order_by(alert.c.id)
        if department is not None:
            q = q.where(alert.c.department == department)
        if state is not None:
            q = q.where(alert.c.state == state)
        if open_only:
            q = q.where(alert.c.state.not_in(TERMINAL_STATES))
        if detected_from is not None:
            q = q.where(alert.c.detected_at >= detected_from)
        if detected_to is not None:
            q = q.where(alert.c.detected_at < detected_to)
        with translate_errors("reading alerts"):
            async with self.engine.connect() as conn:
                rows = [alert_row(m) for m in (await conn.execute(q)).mappings()]
        # the overdue steps are a JSON list: filtered here, the same on every backend
        return [r for r in rows if r.overdue] if overdue else rows

    async def alert(self, alert_id: int) -> AlertRow:
        with translate_errors("reading an alert"):
            async with self.engine.connect() as conn:
                found = await Tx(conn).alert(alert_id)
        if found is None:
            raise NotFound(f"no alert {alert_id}")
        return found

    async def alert_events(self, alert_ids: Sequence[int]) -> list[AlertEventRow]:
        """The audit trail of these alerts, in the order it was written."""
        if not alert_ids:
            return []
        q = (
            select(alert_event)
            .where(alert_event.c.alert_id.in_(sorted(set(alert_ids))))
            .order_by(alert_event.c.id)
        )
        with translate_errors("reading alert events"):
            async with self.engine.connect() as conn:
                return [event_row(m) for m in (await conn.execute(q)).mappings()]

    async def story_posts(self, story_id: int) -> list[PostView]:
        q = (
            select(*_POST_COLUMNS)
            .where(post.c.story_id == story_id)
            .order_by(post.c.first_seen_at, post.c.id)
        )
        with translate_errors("reading posts"):
            async with self.engine.connect() as conn:
                return [_post_view(r) for r in (await conn.execute(q)).mappings()]

    # ------------------------------------------------------------------- users

    async def add_user(
        self,
        *,
        login: str,
        name: str,
        role: str,
        department: str | None,
        password_hash: str,
        at: datetime,
    ) -> bool:
        """False when the login is taken."""
        stmt = (
            dialect_insert(self.engine.dialect.name, user)
            .values(
                login=login,
                name=name,
                role=role,
                department=department,
                password_hash=password_hash,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=[user.c.login])
        )
        async with self._write() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def set_password(self, login: str, password_hash: str) -> bool:
        stmt = update(user).where(user.c.login == login).values(password_hash=password_hash)
        async with self._write() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def users(self) -> list[UserRow]:
        q = select(user).order_by(user.c.login)
        with translate_errors("reading users"):
            async with self.engine.connect() as conn:
                return [UserRow(**dict(m)) for m in (await conn.execute(q)).mappings()]

    async def user(self, login: str) -> UserRow | None:
        q = select(user).where(user.c.login == login)
        with translate_errors("reading a user"):
            async with self.engine.connect() as conn:
                m = (await conn.execute(q)).mappings().first()
        return None if m is None else UserRow(**dict(m))
