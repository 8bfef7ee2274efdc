"""Worker mode's life locks: how a scheduler learns at once that a worker died.

Each worker holds, for its whole life, a session-level advisory lock keyed by (LIFE_CLASS, its
queue id) on a connection of its own, and writes its `worker_node` row (with `life_lock` set)
only once it holds it. PostgreSQL drops the lock with the session: at once when the process
dies on this machine or its socket is closed (kill -9, OOM), and for a node lost from the
network when the server's TCP keepalive gives up on the connection (about KEEPALIVE_BOUND
seconds, set below for this connection only). A scheduler reads pg_locks (no lock taken) for
the workers with a row whose lock nobody holds: those are dead, whatever their heartbeat says.

Workers without a row, or whose row was written by a release before life locks, are judged by
their heartbeat alone (`workers.stall_timeout`), as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sentinel.errors import StoreError
from sentinel.store.engine import translate_errors
from sentinel.store.store import Store

log = logging.getLogger(__name__)

# the first key of every life lock (the second is the worker's queue id); a lock of two int4
# keys shows in pg_locks with objsubid 2, apart from the scheduler's one-key LEADER_KEY
LIFE_CLASS = 730_184_512
# held through a sweep of the dead workers' jobs, so that two schedulers never put the same job
# back twice (the second would take it from the worker running it again)
SWEEP_KEY = 730_184_513
# The server's side of the lock connection: keepalive probes after 5 s idle, every 2 s, 3
# unanswered ones and the server closes it (5 + 3 × 2 = 11 s); and data it sent unacknowledged
# for 12 s closes it too (without, Linux retransmits for ~15 minutes before giving up).
KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "12000",
}
KEEPALIVE_BOUND = 12  # seconds: how long a lost node's lock outlives it at most, about
CHECK_TIMEOUT = 10.0  # seconds a worker's look at its own lock may take before it counts as lost


class LifeLock:
    """A worker's life lock on its own connection: `take` it, look at it with `held`, `close`
    it (which drops the lock) when the worker's jobs have ended and its row is gone."""

    def __init__(self, conn: asyncpg.Connection, worker_id: int) -> None:
        self._conn = conn
        self.worker_id = worker_id

    @classmethod
    async def take(cls, url: str, worker_id: int, *, name: str) -> LifeLock:
        """Connect and take the lock; `name` shows in pg_stat_activity. StoreError when the
        database cannot be reached or the lock is held already (the id is someone else's)."""
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            conn = await asyncpg.connect(
                dsn, server_settings={"application_name": name, **KEEPALIVE}
            )
        except (OSError, asyncpg.PostgresError) as e:
            raise StoreError(f"taking the worker's life lock: {e}") from e
        try:
            got = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LIFE_CLASS, _key(worker_id)
            )
        except (OSError, asyncpg.PostgresError) as e:
            await conn.close()
            raise StoreError(f"taking the worker's life lock: {e}") from e
        if not got:
            await conn.close()
            raise StoreError(f"the life lock of worker {worker_id} is held by another session")
        return cls(conn, worker_id)

    async def held(self) -> bool:
        """False once the lock's connection is lost (the lock went with it)."""
        if self._conn.is_closed():
            return False
        try:
            await asyncio.wait_for(self._conn.fetchval("SELECT 1"), CHECK_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._conn.close(), CHECK_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._conn.terminate()  # the server drops the lock with the socket


def _key(worker_id: int) -> int:
    # procrastinate's ids are bigint; the lock's second key is an int4 (ids past 2**31 wrap)
    return worker_id % 2**31


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadWorker:
    worker_id: int
    node: str
    pid: int


_DEAD = text(
    """
    SELECT n.worker_id, n.node, n.pid FROM worker_node n
    WHERE n.life_lock AND NOT EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid::bigint = :cls AND l.objid::bigint = n.worker_id % 2147483648
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    )
    ORDER BY n.worker_id
    """
)


@asynccontextmanager
async def sweep_turn(store: Store) -> AsyncIterator[list[DeadWorker] | None]:
    """The workers whose life lock is gone, inside this scheduler's turn to sweep them (None:
    another scheduler sweeps now). Forget each one swept (`forget_dead`) before leaving."""
    with translate_errors("looking for dead workers"):
        conn = await store.engine.connect()
    try:
        with translate_errors("looking for dead workers"):
            # a transaction's lock: released at the commit below, or with a dying process
            await conn.begin()
            mine = (
                await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_KEY})
            ).scalar_one()
            # read after the lock: a row written since a worker took its lock is judged right
            dead = None
            if mine:
                rows = await conn.execute(_DEAD, {"cls": LIFE_CLASS})
                dead = [DeadWorker(worker_id=w, node=n, pid=p) for w, n, p in rows]
        yield dead
        with translate_errors("looking for dead workers"):
            await conn.commit()
    finally:
        await conn.close()


async def forget_dead(store: Store, worker_id: int) -> None:
    """Delete a dead worker's row and procrastinate's (once its jobs were put back: deleting
    procrastinate's row first would leave them running on nobody)."""
    async with store.transaction() as tx:
        with translate_errors("forgetting a dead worker"):
            await tx.connection.execute(
                text("DELETE FROM worker_node WHERE worker_id = :w"), {"w": worker_id}
            )
            await tx.connection.execute(
                text("DELETE FROM procrastinate_workers WHERE id = :w"), {"w": worker_id}
            )
