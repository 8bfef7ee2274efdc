"""What worker mode keeps beside the queue: which node and process each worker is, the
wake-up that tells the schedulers a push was committed, and the status the operator reads
(procrastinate's tables, read with plain SQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, text, update

from sentinel.store.engine import dialect_insert, translate_errors
from sentinel.store.schema import worker_node
from sentinel.store.store import Store

# the channel a worker NOTIFYs after committing a push, and schedulers LISTEN on
PUSH_CHANNEL = "sentinel_push"


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerRow:
    worker_id: int
    node: str | None
    pid: int | None
    last_heartbeat: datetime
    alive: bool
    running: tuple[str, ...]  # source ids of the jobs it runs now
    config_digest: str | None  # the configuration it runs (None: a worker of an older release)


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueStatus:
    workers: tuple[WorkerRow, ...]
    waiting: int  # jobs waiting to run
    running: int
    oldest_waiting_since: datetime | None  # when the oldest waiting job was queued
    failed_last_hour: int
    leader: str | None  # the scheduler that enqueues now (its application_name), if any


async def register_node(
    store: Store,
    worker_id: int,
    *,
    node: str,
    pid: int,
    at: datetime,
    config_digest: str,
    life_lock: bool,
) -> None:
    """`life_lock`: the worker holds it already (store/lifelock.py; never write True before)."""
    row = {
        "node": node,
        "pid": pid,
        "started_at": at,
        "config_digest": config_digest,
        "life_lock": life_lock,
    }
    async with store.transaction() as tx:
        stmt = dialect_insert(tx.connection.dialect.name, worker_node)
        stmt = stmt.on_conflict_do_update(index_elements=[worker_node.c.worker_id], set_=row)
        with translate_errors("registering a worker"):
            await tx.connection.execute(stmt, {"worker_id": worker_id, **row})


async def set_node_digest(store: Store, worker_id: int, config_digest: str) -> None:
    """The worker now runs the configuration of `config_digest` (it reloaded its files)."""
    async with store.transaction() as tx:
        with translate_errors("noting a worker's configuration"):
            await tx.connection.execute(
                update(worker_node)
                .where(worker_node.c.worker_id == worker_id)
                .values(config_digest=config_digest)
            )


async def forget_node(store: Store, worker_id: int) -> None:
    async with store.transaction() as tx:
        with translate_errors("unregistering a worker"):
            await tx.connection.execute(
                delete(worker_node).where(worker_node.c.worker_id == worker_id)
            )


async def notify_push(store: Store) -> None:
    """Tell the schedulers a push was committed (PostgreSQL NOTIFY; they send it at once)."""
    with translate_errors("announcing a push"):
        async with store.engine.connect() as conn:
            await conn.execute(text(f"NOTIFY {PUSH_CHANNEL}"))
            await conn.commit()


_WORKERS = text(
    """
    SELECT w.id, w.last_heartbeat, n.node, n.pid, n.config_digest,
           coalesce(array_agg(s.id ORDER BY j.id, s.n)
                    FILTER (WHERE s.id IS NOT NULL), '{}') AS running
    FROM procrastinate_workers w
    LEFT JOIN worker_node n ON n.worker_id = w.id
    LEFT JOIN procrastinate_jobs j ON j.worker_id = w.id AND j.status = 'doing'
    LEFT JOIN LATERAL jsonb_array_elements_text(
        coalesce(j.args->'source_ids', jsonb_build_array(j.args->'source_id'))
    ) WITH ORDINALITY AS s(id, n) ON true
    GROUP BY w.id, w.last_heartbeat, n.node, n.pid, n.config_digest
    ORDER BY w.id
    """
)
_QUEUE = text(
    """
    SELECT
      count(*) FILTER (WHERE j.status = 'todo') AS waiting,
      count(*) FILTER (WHERE j.status = 'doing') AS running,
      (SELECT min(e.at) FROM procrastinate_events e JOIN procrastinate_jobs t ON t.id = e.job_id
        WHERE t.status = 'todo' AND e.type = 'deferred') AS oldest
    FROM procrastinate_jobs j WHERE j.status IN ('todo', 'doing')
    """
)
_FAILED = text(
    """
    SELECT count(DISTINCT e.job_id) FROM procrastinate_events e
    WHERE e.type = 'failed' AND e.at > now() - interval '1 hour'
    """
)
_LEADER = text(
    """
    SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key
      AND a.datname = current_database()
    """
)


async def queue_status(store: Store, *, stall_timeout: timedelta) -> QueueStatus:
    """Workers (alive: a heartbeat within `stall_timeout`), queue depth, the oldest wait."""
    with translate_errors("reading the queue"):
        async with store.engine.connect() as conn:
            now = (await conn.execute(text("SELECT now()"))).scalar_one()
            workers = tuple(
                WorkerRow(
                    worker_id=wid,
                    node=node,
                    pid=pid,
                    last_heartbeat=beat,
                    alive=now - beat <= stall_timeout,
                    running=tuple(running),
                    config_digest=digest,
                )
                for wid, beat, node, pid, digest, running in await conn.execute(_WORKERS)
            )
            waiting, running, oldest = (await conn.execute(_QUEUE)).one()
            failed = (await conn.execute(_FAILED)).scalar_one()
            leader = (await conn.execute(_LEADER, {"key": LEADER_KEY})).scalar()
    return QueueStatus(
        workers=workers,
        waiting=waiting,
        running=running,
        oldest_waiting_since=oldest,
        failed_last_hour=failed,
        leader=leader,
    )


# The session-level advisory lock the enqueuing scheduler holds through its tick: exactly one
# scheduler enqueues per tick; a scheduler killed mid-tick drops it with its connection.
LEADER_KEY = 730_184_511


@asynccontextmanager
async def leader_lock(store: Store, *, name: str) -> AsyncIterator[bool]:
    """True inside when this process holds the lock; `name` shows in pg_stat_activity."""
    with translate_errors("taking the scheduler lock"):
        conn = await store.engine.connect()
    try:
        with translate_errors("taking the scheduler lock"):
            await conn.execute(
                text("SELECT set_config('application_name', :n, false)"), {"n": name}
            )
            got = bool(
                (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY})
                ).scalar_one()
            )
            await conn.commit()
        try:
            yield got
        finally:
            if got:
                with translate_errors("releasing the scheduler lock"):
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
                    await conn.commit()
    finally:
        await conn.close()
