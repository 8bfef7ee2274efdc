"""The queue on PostgreSQL: a large enqueue leaves the planner statistics that keep fetching a
job cheap (see ANALYZE_AT in workers/queue.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from sentinel.config import load_config
from sentinel.store import Store
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.queue import ANALYZE_AT
from tests.fixtures.sites import write_config
from tests.servers import LocalSite

pytestmark = pytest.mark.postgres


async def test_a_large_enqueue_refreshes_the_queue_statistics(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode is PostgreSQL only")
    with LocalSite() as site:
        cfg = load_config(write_config(tmp_path / "cfg", site))
    one = cfg.sources.sources[0]
    sources = [one.model_copy(update={"id": f"s{i}"}) for i in range(ANALYZE_AT + 10)]
    store = await Store.open(db_url)
    await store.upgrade()
    enqueuer = await Enqueuer(db_url, lock="source", stall_timeout=timedelta(minutes=1)).open()
    try:
        assert await enqueuer.enqueue(sources[:10], duty_at=None)
        reltuples = text("SELECT reltuples FROM pg_class WHERE relname = 'procrastinate_jobs'")
        async with store.engine.connect() as conn:
            assert (await conn.execute(reltuples)).scalar_one() < 0  # never analyzed
        assert await enqueuer.enqueue(sources[10:], duty_at=None)
        async with store.engine.connect() as conn:
            jobs = (await conn.execute(text("SELECT count(*) FROM procrastinate_jobs"))).scalar()
            assert (await conn.execute(reltuples)).scalar_one() == jobs
    finally:
        await enqueuer.close()
        await store.close()
