"""Worker mode's ticks say what the workers patrolled: the leading scheduler's tick report, log
line and /metrics count the posts the workers stored, each once, whichever scheduler leads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sentinel.daemon import daemon_for, load_checked
from sentinel.daemon.queued import QueuedDaemon
from sentinel.metrics import Metrics
from sentinel.store import Store
from sentinel.store.worklog import PatrolTally, count_patrols, record_patrols
from sentinel.workers.worker import PatrolWorker
from tests.daemon_kit import TZ, Clock, MailServer, write_county
from tests.fixtures.sites import feed, publish
from tests.integration.test_metrics import samples, total
from tests.servers import LocalSite

MONDAY_10 = datetime(2026, 11, 23, 10, 5, tzinfo=TZ)
NEW_ITEM = (
    "<item><title>管店镇一村民房屋被强拆 补偿款至今未到位</title>"
    "<link>{base}/news/2099.html</link>"
    "<description>村民反映补偿款至今未到位。</description>"
    "<pubDate>Mon, 23 Nov 2026 02:30:00 +0000</pubDate></item>"
)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def scheduler(daemon: object) -> QueuedDaemon:
    assert isinstance(daemon, QueuedDaemon)
    return daemon


async def test_worker_mode_ticks_report_and_count_once_what_the_workers_stored(
    db_url: str,
    site: LocalSite,
    mail: MailServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode is PostgreSQL only")
    publish(site)
    site.serve("/api/list?page=1", "down", status=500)  # one source fails
    workers = "workers: {enabled: true, duty_wait: 60s}\n"
    config = load_checked(write_county(tmp_path / "cfg", site, mail.port, extra_settings=workers))
    clock = Clock(MONDAY_10)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="sentinel.daemon")
    one = scheduler(daemon_for(config, database_url=db_url, clock=clock, env={}))
    two = scheduler(daemon_for(config, database_url=db_url, clock=clock, env={}))
    async with one, two:
        worker = asyncio.create_task(
            PatrolWorker(config, database_url=db_url, clock=clock).run(stop)
        )
        try:
            first = await one.tick(force_duty=True)  # waits for its jobs
            stored = (await one.patrol.store.counts())["post"]
            # the 11:00 duty patrol, led by the other scheduler: one post more on the feed
            body = feed(site.base).replace(
                "</channel>", NEW_ITEM.format(base=site.base) + "</channel>"
            )
            site.serve("/feed.xml", body, content_type="application/rss+xml", etag='"v2"')
            clock.advance(hours=1)
            second = await two.tick()
            again = await one.tick()  # nothing due, nothing finished since: nothing counted
        finally:
            stop.set()
            await worker
        counts = await one.patrol.store.counts()

    sources = sum(s.enabled for s in config.sources.sources)
    assert stored > 0 and counts["post"] == stored + 1
    assert first.duty and first.posts_new == stored
    assert sorted(first.patrolled) == sorted(s.id for s in config.sources.sources if s.enabled)
    assert second.duty and second.posts_new == 1 and len(second.patrolled) == sources
    assert again.posts_new == 0 and again.patrolled == ()
    assert f"tick: {sources} sources patrolled (1 failed), {stored} new posts" in caplog.text

    found = [samples(d.metrics.exposition().decode()) for d in (one, two)]
    # each patrol counted once, by the scheduler that led its tick: their sum is the whole
    posts = [f[("sentinel_posts_new_total", ())] for f in found]
    assert posts == [stored, 1]
    assert sum(total(f, "sentinel_stories_new_total") for f in found) == counts["story"]
    assert [f[("sentinel_patrols_total", ())] for f in found] == [1, 1]
    for f in found:
        assert f[("sentinel_sources_patrolled_total", (("result", "failed"),))] == 1
        assert f[("sentinel_sources_patrolled_total", (("result", "ok"),))] == sources - 1
        assert total(f, "sentinel_source_failures_total") == 1
        assert f[("sentinel_pages_fetched_total", (("kind", "list"),))] >= sources - 1


def tally(source_id: str, posts: int, at: datetime) -> PatrolTally:
    return PatrolTally(
        source_id=source_id,
        finished_at=at,
        ok=posts >= 0,
        error_kind=None if posts >= 0 else "http",
        pages=1,
        details=0,
        not_modified=0,
        posts_new=max(posts, 0),
        stories_new=0,
    )


async def test_counting_the_tally_takes_each_patrol_once(db_url: str) -> None:
    store = await Store.open(db_url)
    await store.upgrade()
    try:
        await record_patrols(store, [tally("a", 3, MONDAY_10), tally("b", -1, MONDAY_10)])
        counted = await count_patrols(store)
        assert sorted((t.source_id, t.ok, t.posts_new, t.error_kind) for t in counted) == [
            ("a", True, 3, None),
            ("b", False, 0, "http"),
        ]
        assert counted[0].finished_at == MONDAY_10
        assert await count_patrols(store) == []
        # two schedulers counting at once split the rows: none is counted by both
        await record_patrols(store, [tally(f"s{i}", i, MONDAY_10) for i in range(200)])
        halves = await asyncio.gather(count_patrols(store), count_patrols(store))
        ids = sorted(t.source_id for half in halves for t in half)
        assert ids == sorted(f"s{i}" for i in range(200))
    finally:
        await store.close()


def test_metrics_count_what_the_workers_found_apart_from_the_patrols_enqueued() -> None:
    from sentinel.pipeline import PatrolReport, SourceReport

    m = Metrics()
    m.enqueued()
    m.found(PatrolReport(sources=(SourceReport(source_id="a", posts_new=2, stories_new=1),)))
    m.found(PatrolReport())
    found = samples(m.exposition().decode())
    assert found[("sentinel_patrols_total", ())] == 1
    assert found[("sentinel_posts_new_total", ())] == 2
    assert found[("sentinel_stories_new_total", ())] == 1
    assert found[("sentinel_sources_patrolled_total", (("result", "ok"),))] == 1
