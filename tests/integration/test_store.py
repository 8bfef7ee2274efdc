"""The store against real databases: SQLite always, PostgreSQL when one is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, select

from sentinel.config.models import SentinelFile
from sentinel.errors import NotFound
from sentinel.extract.post import Post
from sentinel.fetch.page import Validators
from sentinel.match.hit import Hit
from sentinel.store import FetchRecord, PostLink, Store, database_url, default_url
from sentinel.store.schema import evidence as evidence_table

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = await Store.open(db_url)
    try:
        await s.upgrade()
        yield s
    finally:
        await s.close()


def make_post(n: int, source_id: str = "forum", **kw: Any) -> Post:
    return Post(
        source_id=source_id,
        url=f"http://bbs.example.cn/thread-{n}.html",
        title=f"帖子 {n}",
        body=f"正文 {n}",
        published_at=datetime(2025, 3, 1, 9, n % 60, tzinfo=UTC) + timedelta(hours=8),
        replies=n,
        views=10 * n,
        author="某网友",
        **kw,
    )


def hit(topic: str, *words: str) -> Hit:
    return Hit(
        topic_id=topic,
        words=tuple(sorted(words)),
        region_words=("明光",),
        positions=tuple((w, i, i + len(w)) for i, w in enumerate(words)),
    )


async def add_story(
    store: Store, posts: list[Post], hits: list[tuple[Hit, ...]], at: datetime, topic: str = "land"
) -> int:
    """What the pipeline does for one page: posts, evidence, a story, links."""
    async with store.transaction() as tx:
        ids = await tx.insert_posts(posts, seen_at=at)
        proof = await tx.put_evidence(
            body=b"<html>page</html>", url="http://x/list", content_type="text/html", fetched_at=at
        )
        story_id = await tx.create_story(
            topic_id=topic, title=posts[0].title, severity="major", department="zrzy",
            first_seen_at=at,
        )  # fmt: skip
        await tx.attach(
            [
                PostLink(
                    post_id=ids[p.url],
                    story_id=story_id,
                    signature=bytes([i]) * 8,
                    evidence_hash=proof,
                    hits=h,
                )
                for i, (p, h) in enumerate(zip(posts, hits, strict=True))
            ]
        )
    return story_id


async def test_a_repeated_insert_adds_nothing_and_author_is_not_kept(store: Store) -> None:
    posts = [make_post(n) for n in range(1, 6)]
    async with store.transaction() as tx:
        first = await tx.insert_posts(posts, seen_at=T0)
    assert set(first) == {p.url for p in posts}
    assert len(set(first.values())) == 5

    async with store.transaction() as tx:
        again = await tx.insert_posts([*posts, make_post(6)], seen_at=T0 + timedelta(hours=1))
    assert set(again) == {make_post(6).url}
    assert (await store.counts())["post"] == 6
    assert await store.known_urls("forum", [make_post(1).url, "http://nope/"]) == {make_post(1).url}
    assert await store.known_urls("other", [make_post(1).url]) == set()

    stored = {p.url: p for p in await store.posts(source_id="forum")}
    p1 = stored[make_post(1).url]
    assert (p1.title, p1.body, p1.replies, p1.views) == ("帖子 1", "正文 1", 1, 10)
    assert p1.published_at == make_post(1).published_at
    assert p1.published_at is not None and p1.published_at.tzinfo is not None
    assert p1.first_seen_at == T0 and p1.first_seen_at.tzinfo is not None
    assert [p.url for p in await store.posts(limit=1)] == [make_post(6).url]
    assert len(await store.posts(since=T0 + timedelta(minutes=30))) == 1

    async with store.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("post")}
        )
    assert "author" not in columns


async def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.insert_posts([make_post(1)], seen_at=T0)
            raise RuntimeError("boom")
    assert (await store.counts())["post"] == 0


async def test_evidence_round_trips_and_is_stored_once_compressed(store: Store) -> None:
    body = ("<html><body>" + "女山湖镇强拆农户房屋 " * 500 + "</body></html>").encode("gbk")
    hashes = []
    for _ in range(2):
        async with store.transaction() as tx:
            hashes.append(
                await tx.put_evidence(
                    body=body, url="http://bbs/list", content_type="text/html", fetched_at=T0
                )
            )
    assert hashes[0] == hashes[1]
    assert len(hashes[0]) == 64
    assert (await store.counts())["evidence"] == 1
    assert await store.evidence(hashes[0]) == body
    async with store.engine.connect() as conn:
        kept = (await conn.execute(select(evidence_table.c.data))).scalar_one()
    assert len(kept) < len(body) // 5
    with pytest.raises(NotFound):
        await store.evidence("0" * 64)


def fetch_record(status: int | None, *, error: str | None = None, **kw: Any) -> FetchRecord:
    fields: dict[str, Any] = {
        "source_id": "feed",
        "kind": "rss",
        "url": "http://news.example.cn/feed.xml",
        "started_at": T0,
        "status": status,
        "error_kind": "http_status_error" if error else None,
        "error": error,
        "bytes": 0 if error else 1234,
        "items": 0 if error else 7,
        "new_items": 0,
        "elapsed_ms": 12,
        "validators": None,
    }
    return FetchRecord(**(fields | kw))


async def test_record_fetch_counts_failures_resets_on_success_and_keeps_validators(
    store: Store,
) -> None:
    url = "http://news.example.cn/feed.xml"
    await store.record_fetch(fetch_record(500, error="HTTP 500"))
    await store.record_fetch(fetch_record(500, error="HTTP 500", started_at=T0 + timedelta(1)))
    (status,) = await store.sources_status()
    assert (status.source_id, status.kind, status.consecutive_failures) == ("feed", "rss", 2)
    assert (status.last_status, status.last_error, status.last_error_kind) == (
        500,
        "HTTP 500",
        "http_status_error",
    )
    assert status.last_ok_at is None and status.items_last is None
    assert status.last_fetch_at == T0 + timedelta(1)
    assert await store.validators([url]) == {}

    ok_at = T0 + timedelta(2)
    v = Validators(etag='"v1"', last_modified="Sat, 01 Mar 2025 08:00:00 GMT")
    await store.record_fetch(fetch_record(200, started_at=ok_at, validators=v))
    (status,) = await store.sources_status()
    assert (status.consecutive_failures, status.items_last, status.last_status) == (0, 7, 200)
    assert status.last_ok_at == ok_at and status.last_error is None
    assert await store.validators([url, "http://other/"]) == {url: v}

    # A timeout has no status; the validators from the good fetch stay.
    await store.record_fetch(
        fetch_record(None, error="timed out", started_at=T0 + timedelta(3), validators=None)
    )
    (status,) = await store.sources_status()
    assert (status.consecutive_failures, status.last_status, status.last_ok_at) == (1, None, ok_at)
    assert status.items_last == 7
    assert await store.validators([url]) == {url: v}

    v2 = Validators(etag='"v2"')
    await store.record_fetch(fetch_record(200, started_at=T0 + timedelta(4), validators=v2))
    assert await store.validators([url]) == {url: v2}
    assert (await store.counts())["fetch"] == 5
    assert (await store.counts())["source"] == 1


async def test_stories_come_newest_first_with_posts_and_words(store: Store) -> None:
    old = await add_story(
        store,
        [make_post(1), make_post(2, source_id="tw")],
        [(hit("land", "强拆"),), (hit("land", "补偿款", "强拆"), hit("fees", "资料费"))],
        T0,
    )
    later = T0 + timedelta(hours=2)
    new = await add_story(store, [make_post(3)], [(hit("wages", "欠薪"),)], later, topic="wages")
    # A repost found an hour later joins the old story and moves its last_seen_at.
    joined = T0 + timedelta(hours=3)
    async with store.transaction() as tx:
        ids = await tx.insert_posts([make_post(4, source_id="feed")], seen_at=joined)
        await tx.attach(
            [
                PostLink(
                    post_id=ids[make_post(4).url],
                    story_id=old,
                    signature=b"\x09" * 8,
                    evidence_hash=await tx.put_evidence(
                        body=b"feed", url="http://f", content_type="text/xml", fetched_at=joined
                    ),
                    hits=(hit("land", "拆迁"),),
                )
            ]
        )

    stories = await store.stories()
    assert [s.id for s in stories] == [old, new]
    s = stories[0]
    assert (s.topic_id, s.title, s.severity, s.department) == ("land", "帖子 1", "major", "zrzy")
    assert (s.first_seen_at, s.last_seen_at) == (T0, joined)
    assert s.words == ("强拆", "拆迁", "补偿款", "资料费")
    assert [(p.source_id, p.title) for p in s.posts] == [
        ("forum", "帖子 1"),
        ("tw", "帖子 2"),
        ("feed", "帖子 4"),
    ]
    assert all(p.story_id == old for p in s.posts)
    assert stories[1].words == ("欠薪",)

    assert [x.id for x in await store.stories(since=later)] == [old, new]
    assert await store.stories(since=joined + timedelta(seconds=1)) == []
    sigs = [r async for r in store.story_signatures(later + timedelta(minutes=30))]
    assert sorted(s[:2] for s in sigs) == sorted(
        [(old, b"\x00" * 8), (old, b"\x01" * 8), (old, b"\x09" * 8)]
    )
    assert all(s[3] is True for s in sigs)  # its alert is not closed: still open
    assert all(s[4] == joined for s in sigs)  # when the story was last seen
    # read a page at a time, the same rows in the same order
    paged = [r async for r in store.story_signatures(later + timedelta(minutes=30), page=2)]
    assert paged == sigs
    counts = await store.counts()
    assert (counts["story"], counts["hit"], counts["evidence"]) == (2, 5, 2)


async def test_mark_gone_marks_and_never_deletes(store: Store) -> None:
    posts = [make_post(n) for n in range(1, 4)]
    async with store.transaction() as tx:
        await tx.insert_posts(posts, seen_at=T0)
    gone_at = T0 + timedelta(days=1)
    urls = [posts[0].url, posts[1].url, "http://never.seen/"]
    assert await store.mark_gone("forum", urls, gone_at) == 2
    assert await store.mark_gone("forum", urls, gone_at + timedelta(days=1)) == 0
    assert await store.mark_gone("other", [posts[2].url], gone_at) == 0
    deleted = {p.url: p.deleted_at for p in await store.posts()}
    assert deleted == {posts[0].url: gone_at, posts[1].url: gone_at, posts[2].url: None}
    assert (await store.counts())["post"] == 3


async def test_stories_cost_the_same_queries_for_one_story_or_thirty(store: Store) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN/COMMIT
            statements.append(statement)

    async def queries_for_stories() -> int:
        await store.stories()  # warm the pool: connection setup is not the query under test
        statements.clear()
        event.listen(store.engine.sync_engine, "before_cursor_execute", count)
        try:
            found = await store.stories()
        finally:
            event.remove(store.engine.sync_engine, "before_cursor_execute", count)
        assert found
        return len(statements)

    await add_story(store, [make_post(0)], [(hit("land", "强拆"),)], T0)
    one = await queries_for_stories()
    for n in range(1, 30):
        await add_story(
            store,
            [make_post(100 + n), make_post(200 + n)],
            [(hit("land", "强拆"),), (hit("wages", "欠薪"),)],
            T0 + timedelta(minutes=n),
        )
    assert len(await store.stories()) == 30
    thirty = await queries_for_stories()
    assert one == thirty
    assert thirty <= 3


def test_database_url_prefers_env_then_settings_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SENTINEL_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    settings = SentinelFile(data_dir=str(data))
    assert database_url(settings) == f"sqlite+aiosqlite:///{data.resolve() / 'sentinel.db'}"
    assert data.is_dir()
    assert default_url(str(data)) == database_url(settings)

    settings = SentinelFile(data_dir=str(data), database_url="postgres://u:pw@db.local/sentinel")
    assert database_url(settings) == "postgresql+asyncpg://u:pw@db.local/sentinel"

    monkeypatch.setenv("SENTINEL_DATABASE_URL", "sqlite:////srv/sentinel.db")
    assert database_url(settings) == "sqlite+aiosqlite:////srv/sentinel.db"


async def test_counts_of_known_posts_move_and_keep_their_history(store: Store) -> None:
    async with store.transaction() as tx:
        ids = await tx.insert_posts([make_post(1), make_post(2)], seen_at=T0)
    known = await store.known_posts("forum", [make_post(1).url, make_post(3).url])
    assert set(known) == {make_post(1).url}
    assert (known[make_post(1).url].id, known[make_post(1).url].replies) == (
        ids[make_post(1).url],
        1,
    )

    later = T0 + timedelta(hours=1)
    async with store.transaction() as tx:
        await tx.update_counts([(ids[make_post(1).url], 40, 900)], at=later)
    again = await store.known_posts("forum", [make_post(1).url])
    assert (again[make_post(1).url].replies, again[make_post(1).url].views) == (40, 900)
    async with store.engine.connect() as conn:
        from sentinel.store.schema import post_metric

        rows = (await conn.execute(select(post_metric.c.replies, post_metric.c.at))).all()
    assert rows == [(40, later)]


async def test_a_story_gets_one_push_however_often_it_is_queued(store: Store) -> None:
    story_id = await add_story(store, [make_post(1)], [(hit("land", "强拆"),)], T0)
    fetched = T0 - timedelta(seconds=2)
    async with store.transaction() as tx:
        assert await tx.enqueue_push(story_id=story_id, fetched_at=fetched, created_at=T0)
    async with store.transaction() as tx:
        assert not await tx.enqueue_push(story_id=story_id, fetched_at=fetched, created_at=T0)
    (item,) = await store.outbox(pending=True)
    assert (item.story_id, item.kind, item.sent_at) == (story_id, "push", None)
    assert item.created_at - item.fetched_at == timedelta(seconds=2)


async def test_a_batch_of_fetch_records_counts_failures_as_if_written_one_by_one(
    store: Store,
) -> None:
    # Held back and written together: the source ends as the sequence of records says.
    for status, error in [(500, "boom"), (500, "boom"), (200, None), (500, "boom")]:
        await store.record_fetch(fetch_record(status, error=error))
    (st,) = await store.sources_status()
    assert (st.consecutive_failures, st.last_status, st.items_last) == (1, 500, 7)
    for _ in range(2):
        await store.record_fetch(fetch_record(503, error="down"))
    (st,) = await store.sources_status()
    assert (st.consecutive_failures, st.last_status) == (3, 503)
    assert (await store.counts())["fetch"] == 6


async def test_held_back_fetch_records_ride_along_in_bulk_never_with_an_urgent_write(
    store: Store,
) -> None:
    from sentinel.store.store import FETCH_CARRY

    written = 0  # statements that write fetch history

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        nonlocal written
        # "fetch" is a reserved word in PostgreSQL, quoted there
        if statement.replace('"', "").lstrip().upper().startswith("INSERT INTO FETCH"):
            written += 1

    posts = iter(range(1000))

    async def write(*, urgent: bool = False) -> None:
        async with store.transaction(urgent=urgent) as tx:
            await tx.insert_posts([make_post(next(posts))], seen_at=T0)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        for n in range(FETCH_CARRY - 1):
            await store.record_fetch(fetch_record(200, started_at=T0 + timedelta(seconds=n)))
        await write()
        assert written == 0  # a few records are not worth six statements per transaction
        await store.record_fetch(fetch_record(200, started_at=T0 + timedelta(hours=1)))
        await write(urgent=True)
        assert written == 0  # a critical post's write carries nothing else
        await write()
        assert written == 1
        # all of them went in that one statement: nothing was left for counts() to flush
        assert (await store.counts())["fetch"] == FETCH_CARRY
        assert written == 1
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)
