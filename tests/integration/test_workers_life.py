"""The scheduler's sweep of dead workers by their life locks (store/lifelock.py), in one process
on PostgreSQL: which workers it judges, which it leaves to the stall timeout, and a worker that
loses its lock's connection stopping by itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from sentinel.config import load_config
from sentinel.errors import StoreError
from sentinel.sources import load_checked
from sentinel.store import Store
from sentinel.store.lifelock import LIFE_CLASS, LifeLock
from sentinel.store.nodes import register_node
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.queue import QUEUE
from sentinel.workers.worker import PatrolWorker
from tests.fixtures.sites import write_config
from tests.integration.test_workers_reload import county, feeds, source
from tests.servers import LocalSite

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def postgres_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode is PostgreSQL only")


async def scalar(store: Store, sql: str) -> object:
    async with store.engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar()


async def test_the_jobs_of_a_worker_without_its_life_lock_are_put_back_at_once(
    db_url: str, tmp_path: Path
) -> None:
    postgres_only(db_url)
    with LocalSite() as site:
        cfg = load_config(write_config(tmp_path / "cfg", site))
    one = cfg.sources.sources[0]
    store = await Store.open(db_url)
    await store.upgrade()
    # a stall timeout no test outlives: whatever is put back here, the life locks put back
    enqueuer = await Enqueuer(db_url, lock="source", stall_timeout=timedelta(hours=1)).open()
    jm = enqueuer.app.job_manager
    held: LifeLock | None = None
    try:
        workers = {}
        for name in ("dead", "alive", "older"):  # one job each, running
            wid = await jm.register_worker()
            (jid,) = await enqueuer.enqueue([one.model_copy(update={"id": name})], duty_at=None)
            fetched = await jm.fetch_job([QUEUE], worker_id=wid)
            assert fetched is not None and fetched.id == jid
            workers[name] = wid
        # alive: holds its lock; dead: its row says it took one, nobody holds it; older: a
        # worker of a release before life locks (its row says none): the stall timeout's
        held = await LifeLock.take(db_url, workers["alive"], name="test")
        for name, wid in workers.items():
            await register_node(
                store,
                wid,
                node=name,
                pid=1,
                at=T0,
                config_digest=cfg.digest,
                life_lock=name != "older",
            )

        assert await enqueuer.retry_dead(store) == 1
        state = text(
            "SELECT j.args->'source_ids'->>0, j.status, j.attempts FROM procrastinate_jobs j"
        )
        async with store.engine.connect() as conn:
            jobs = {sid: (status, attempts) for sid, status, attempts in await conn.execute(state)}
        assert jobs == {"dead": ("todo", 1), "alive": ("doing", 0), "older": ("doing", 0)}
        # the dead worker is forgotten; the others stay
        nodes = await scalar(store, "SELECT string_agg(node, ',' ORDER BY node) FROM worker_node")
        assert nodes == "alive,older"
        gone = f"SELECT count(*) FROM procrastinate_workers WHERE id = {workers['dead']}"
        assert await scalar(store, gone) == 0
        assert await enqueuer.retry_dead(store) == 0  # nothing twice

        await held.close()  # the living one dies now
        held = None
        assert await enqueuer.retry_dead(store) == 1
        assert await scalar(store, "SELECT string_agg(node, ',') FROM worker_node") == "older"
    finally:
        if held is not None:
            await held.close()
        await enqueuer.close()
        await store.close()


async def test_a_worker_that_loses_its_lock_connection_stops(db_url: str, tmp_path: Path) -> None:
    postgres_only(db_url)
    with LocalSite() as site:
        feeds(site)
        config = county(tmp_path / "cfg", source("a", f"{site.base}/a.xml"))
        worker = PatrolWorker(load_checked(config), database_url=db_url)
        stop = asyncio.Event()
        store = await Store.open(db_url)
        await store.upgrade()
        try:
            running = asyncio.create_task(worker.run(stop))
            registered = "SELECT count(*) FROM worker_node WHERE life_lock"
            for _ in range(600):  # a bounded wait for its row, not a timing assertion
                if running.done() or await scalar(store, registered) == 1:
                    break
                await asyncio.sleep(0.05)
            assert await scalar(store, registered) == 1
            # the server drops the lock's session, as when the node's network is lost
            cut = await scalar(
                store,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objsubid = 2 "
                f"AND classid = {LIFE_CLASS} AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            assert cut == 1
            # it stops by itself (60 s: a failure bound), with the reason
            with pytest.raises(StoreError, match="lost the database connection holding its"):
                await asyncio.wait_for(running, 60)
            assert not stop.is_set()
            assert await scalar(store, "SELECT count(*) FROM worker_node") == 0
        finally:
            stop.set()
            await store.close()
