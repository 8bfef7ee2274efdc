"""A running worker picks up edits to its configuration (workers/live.py): a source added after
it started, a job enqueued under another configuration, and a bad edit, which leaves it on
its last good configuration with the error logged once as `file:line: message`."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from sentinel.config import Config
from sentinel.daemon.queued import QueuedDaemon
from sentinel.sources import load_checked
from sentinel.sources.health import State
from sentinel.store import Store
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.queue import QUEUE, TASK, lane
from sentinel.workers.worker import PatrolWorker
from tests.daemon_kit import TZ, Clock
from tests.fixtures.sites import KEYWORDS, SENTINEL, feed
from tests.servers import LocalSite

pytestmark = pytest.mark.postgres

MONDAY_10 = datetime(2026, 11, 23, 10, 5, tzinfo=TZ)


def source(sid: str, url: str, extra: str = "") -> str:
    return f"  - id: {sid}\n    kind: rss\n    url: {url}\n    allow_private: true\n{extra}"


def county(directory: Path, sources: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text("sources:\n" + sources, encoding="utf-8")
    (directory / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    settings = SENTINEL.replace("timeout: 1.5", "timeout: 30")  # /slow.xml waits for the test
    (directory / "sentinel.yaml").write_text(
        settings + "workers: {enabled: true, lock: source}\n", encoding="utf-8"
    )
    return directory


def feeds(site: LocalSite) -> None:
    for path in ("/a.xml", "/b.xml"):
        site.serve(path, feed(site.base), content_type="application/rss+xml")


@asynccontextmanager
async def working(worker: PatrolWorker) -> AsyncIterator[PatrolWorker]:
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(600):  # a bounded wait for its Patrol, not a timing assertion
            if worker.live.is_open or running.done():
                break
            await asyncio.sleep(0.05)
        assert worker.live.is_open
        yield worker
    finally:
        stop.set()
        await running


@asynccontextmanager
async def enqueuing(db_url: str) -> AsyncIterator[Enqueuer]:
    enqueuer = await Enqueuer(db_url, lock="source", stall_timeout=timedelta(minutes=1)).open()
    try:
        yield enqueuer
    finally:
        await enqueuer.close()


async def enqueue_and_wait(enqueuer: Enqueuer, cfg: Config, digest: str | None) -> None:
    """Enqueue every source as a scheduler running configuration `digest` would, and wait
    until the worker has run the jobs."""
    ids = await enqueuer.enqueue(cfg.sources.sources, duty_at=None, config_digest=digest)
    assert await enqueuer.wait(ids, within=60, poll=0.05)


async def node_digest(enqueuer: Enqueuer) -> str | None:
    """The worker's digest in its row, once the row is written (a bounded wait, not a timing
    assertion: the worker writes it beside its first jobs)."""
    for _ in range(600):
        rows = await enqueuer.app.connector.execute_query_all_async(
            query="SELECT config_digest FROM worker_node"  # type: ignore[arg-type]
        )
        if rows:
            return str(rows[0]["config_digest"])
        await asyncio.sleep(0.05)
    return None


def postgres_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode is PostgreSQL only")


async def test_a_running_worker_patrols_a_source_added_after_it_started(
    db_url: str, tmp_path: Path
) -> None:
    postgres_only(db_url)
    with LocalSite() as site:
        feeds(site)
        config = county(tmp_path / "cfg", source("a", f"{site.base}/a.xml"))
        clock = Clock(MONDAY_10)
        scheduler = QueuedDaemon(load_checked(config), database_url=db_url, clock=clock, env={})
        async with scheduler as d:
            worker = PatrolWorker(load_checked(config), database_url=db_url, clock=clock)
            async with working(worker):
                # a duty tick waits for its jobs: when it returns, the worker has run them
                assert (await d.tick(force_duty=True)).patrolled == ("a",)
                assert site.hits("/a.xml") == 1
                with (config / "sources.yaml").open("a", encoding="utf-8") as f:
                    f.write(source("b", f"{site.base}/b.xml"))
                clock.advance(minutes=1)
                # the scheduler reloads at its tick and enqueues the new source
                assert (await d.tick(force_duty=True)).patrolled == ("b",)
                assert site.hits("/b.xml") == 1
                assert worker.live.cfg.digest == d.cfg.digest
                assert worker.done == 2


async def test_a_job_enqueued_under_other_files_makes_the_worker_reload(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    postgres_only(db_url)
    with LocalSite() as site:
        feeds(site)
        config = county(tmp_path / "cfg", source("a", f"{site.base}/a.xml"))
        cfg = load_checked(config)
        # no filesystem events, as on a network mount: only the stat or the digest can tell
        worker = PatrolWorker(cfg, database_url=db_url, watch=False)
        async with enqueuing(db_url) as enqueuer, working(worker):
            patrol = functools.partial(enqueue_and_wait, enqueuer, cfg)
            await patrol(cfg.digest)
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (1, 0)
            # synced from another node with its mtime kept, and the same size: the stat
            # cannot see it
            sources = config / "sources.yaml"
            before = sources.stat()
            sources.write_text(sources.read_text("utf-8").replace("/a.xml", "/b.xml"), "utf-8")
            os.utime(sources, ns=(before.st_atime_ns, before.st_mtime_ns))
            assert worker.live.watcher.stamp() == worker.live.watcher._stamp
            await patrol(None)  # a job from before digests: the worker's configuration as is
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (2, 0)

            new = load_checked(config).digest  # the scheduler's, which has the edit
            assert new != cfg.digest
            await patrol(new)
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (2, 1)
            assert worker.live.cfg.digest == new
            # its row says so, for `sentinel workers status`
            assert await node_digest(enqueuer) == new

            # a scheduler whose files have not reached this node: run with what it has
            elsewhere = "f" * 32
            with caplog.at_level(logging.WARNING, logger="sentinel.workers"):
                await patrol(elsewhere)
                await patrol(elsewhere)
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (2, 3)
    warned = [r.getMessage() for r in caplog.records if elsewhere in r.getMessage()]
    assert len(warned) == 1 and new in warned[0], warned


async def test_a_bad_edit_keeps_the_worker_on_its_last_good_configuration(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    postgres_only(db_url)
    with LocalSite() as site:
        feeds(site)
        config = county(tmp_path / "cfg", source("a", f"{site.base}/a.xml"))
        cfg = load_checked(config)
        worker = PatrolWorker(cfg, database_url=db_url)
        async with enqueuing(db_url) as enqueuer, working(worker):
            patrol = functools.partial(enqueue_and_wait, enqueuer, cfg)
            sources = config / "sources.yaml"
            good = sources.read_text("utf-8")
            # valid YAML, refused by the source checks `sentinel check` runs (line 10)
            c = source("c", f"{site.base}/c", "    preset: x\n")
            sources.write_text(good.replace("/a.xml", "/b.xml") + c, encoding="utf-8")
            with caplog.at_level(logging.ERROR, logger="sentinel"):
                await patrol(cfg.digest)  # a scheduler that refused it too runs the old files
                await patrol(None)
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (2, 0)
            assert worker.live.cfg.digest == cfg.digest
            refused = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
            assert len(refused) == 1, refused
            assert f"{sources}:10: source 'c': unknown preset 'x'" in refused[0]

            sources.write_text(good.replace("/a.xml", "/b.xml"), encoding="utf-8")
            await patrol(None)  # fixed: the next job runs with it
            assert (site.hits("/a.xml"), site.hits("/b.xml")) == (2, 1)


async def test_a_job_running_when_the_worker_reloads_finishes_on_its_own_patrol(
    db_url: str, tmp_path: Path
) -> None:
    postgres_only(db_url)
    entered, release = threading.Event(), threading.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        entered.set()
        while not release.is_set():  # noqa: ASYNC110 (a thread's event)
            await asyncio.sleep(0.01)
        return web.Response(text=feed(site.base), content_type="application/rss+xml")

    with LocalSite() as site:
        feeds(site)
        site.handle("/slow.xml", slow)
        both = source("slow", f"{site.base}/slow.xml") + source("a", f"{site.base}/a.xml")
        config = county(tmp_path / "cfg", both)
        cfg = load_checked(config)
        held, a = cfg.sources.sources
        assert lane(held, "source") != lane(a, "source")  # their jobs run at once
        worker = PatrolWorker(cfg, database_url=db_url)
        store = await Store.open(db_url)
        try:
            async with enqueuing(db_url) as enqueuer, working(worker):
                waiting = await enqueuer.enqueue([held], duty_at=None, config_digest=cfg.digest)
                assert await asyncio.to_thread(entered.wait, 30)
                sources = config / "sources.yaml"
                sources.write_text(sources.read_text("utf-8").replace("/a.xml", "/b.xml"), "utf-8")
                new = load_checked(config)
                ids = await enqueuer.enqueue([a], duty_at=None, config_digest=new.digest)
                assert await enqueuer.wait(ids, within=60, poll=0.05)
                assert site.hits("/b.xml") == 1
                # the slow job keeps the Patrol it started on until it ends
                old, current = worker.live.patrols()
                assert current.cfg.digest == new.digest and old.cfg.digest == cfg.digest
                release.set()
                assert await enqueuer.wait(waiting, within=60, poll=0.05)
                assert worker.live.patrols() == [current]  # closed after its last job
                health = await store.source_health(["slow"])
                assert health["slow"].state is State.ok and health["slow"].had_items
        finally:
            release.set()
            await store.close()


async def test_a_job_from_a_newer_scheduler_runs_with_what_the_worker_knows(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # this release's config_digest failed every job on the workers before it (a TypeError):
    # an argument a later release adds is ignored, and said once
    postgres_only(db_url)
    with LocalSite() as site:
        feeds(site)
        config = county(tmp_path / "cfg", source("a", f"{site.base}/a.xml"))
        worker = PatrolWorker(load_checked(config), database_url=db_url, watch=False)
        async with enqueuing(db_url) as enqueuer, working(worker):
            task = enqueuer.app.configure_task(name=TASK, queue=QUEUE)
            with caplog.at_level(logging.WARNING, logger="sentinel.workers"):
                for _ in range(2):
                    job = await task.defer_async(source_ids=["a"], coming_later=1)
                    assert await enqueuer.wait([job], within=60, poll=0.05)
            assert site.hits("/a.xml") == 2
            assert worker.done == 2
    warned = [r.getMessage() for r in caplog.records if "coming_later" in r.getMessage()]
    assert len(warned) == 1, warned
