"""A worker's batch job on PostgreSQL (workers/worker.py): it reads its sources' validators and
health in bulk and has written their records by the time the job is done, so the next job of
those sources, on any worker, goes on from them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.sources.health import State
from sentinel.store import Store
from sentinel.workers import worker as worker_module
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.worker import PatrolWorker
from tests.fixtures.sites import KEYWORDS, SENTINEL, feed
from tests.servers import LocalSite

pytestmark = pytest.mark.postgres


def sources_yaml(base: str) -> str:
    return f"""\
sources:
  - id: feed
    kind: rss
    url: {base}/feed.xml
    territorial: true
    allow_private: true
  - id: e500
    kind: rss
    url: {base}/fault/status?n=500
    allow_private: true
"""


async def test_each_batch_goes_on_from_the_state_the_last_one_wrote(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode is PostgreSQL only")
    # only the end of a job writes its records: what the next job reads is what that wrote
    monkeypatch.setattr(worker_module, "FLUSH_EVERY", 3600.0)
    with LocalSite() as site:
        site.serve("/feed.xml", feed(site.base), content_type="application/rss+xml", etag='"v1"')
        cfg_dir = tmp_path / "cfg"
        cfg_dir.mkdir()
        (cfg_dir / "sources.yaml").write_text(sources_yaml(site.base), encoding="utf-8")
        (cfg_dir / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
        (cfg_dir / "sentinel.yaml").write_text(
            SENTINEL + "workers: {enabled: true, lock: host}\n", encoding="utf-8"
        )
        cfg = load_config(cfg_dir)
        store = await Store.open(db_url)
        await store.upgrade()
        enqueuer = await Enqueuer(db_url, lock="host", stall_timeout=timedelta(minutes=1)).open()
        stop = asyncio.Event()
        running = asyncio.create_task(PatrolWorker(cfg, database_url=db_url).run(stop))
        try:
            for n in (1, 2, 3):
                ids = await enqueuer.enqueue(cfg.sources.sources, duty_at=None)
                assert len(ids) == 1  # one host: one job for both sources
                assert await enqueuer.wait(ids, within=60, poll=0.05)
                health = await store.source_health(["feed", "e500"])
                # the failing source's count goes on from the last job's, read in bulk
                assert health["e500"].failures == n, (n, health)
                assert health["feed"].state is State.ok and health["feed"].had_items
            assert health["e500"].state is State.unreachable
        finally:
            stop.set()
            await running
            await enqueuer.close()
            await store.close()
        feeds = [headers for path, headers in site.requests() if path == "/feed.xml"]
    # the feed's ETag, written by the first job, was asked for by the next two (304s)
    assert [h.get("if-none-match") for h in feeds] == [None, '"v1"', '"v1"']
