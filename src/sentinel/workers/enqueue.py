"""The scheduler's side of the queue: enqueue the due sources, put the jobs of dead workers
back (at once for those whose life lock is gone, after `stall_timeout` for the others), wait
for a duty patrol's jobs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from procrastinate import App
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Job, Status

from sentinel.config import Source
from sentinel.store import Store
from sentinel.store.lifelock import forget_dead, sweep_turn
from sentinel.workers.queue import QUEUE, enqueue, job_sources, queue_app

log = logging.getLogger(__name__)


class Enqueuer:
    def __init__(self, url: str, *, lock: str, stall_timeout: timedelta) -> None:
        self.app: App = queue_app(url, pool_size=2)
        self.lock = lock
        self.stall_timeout = stall_timeout

    async def open(self) -> Enqueuer:
        await self.app.open_async()
        return self

    async def close(self) -> None:
        await self.app.close_async()

    async def enqueue(
        self,
        sources: Sequence[Source],
        *,
        duty_at: datetime | None,
        config_digest: str | None = None,
    ) -> list[int]:
        """The due sources not already waiting, in jobs of a batch each (see queue.py); the
        jobs' ids. `config_digest`: that of the configuration that found them due."""
        jobs = await enqueue(
            self.app, sources, duty_at=duty_at, lock=self.lock, config_digest=config_digest
        )
        log.info(
            "enqueued %d of %d due sources in %d jobs",
            sum(len(job_sources(j.task_kwargs)) for j in jobs),
            len(sources),
            len(jobs),
        )
        return [j.id for j in jobs if j.id is not None]

    async def retry_stalled(self) -> int:
        """Put back the jobs of workers silent for `stall_timeout` (killed, or cut off)."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.stall_timeout.total_seconds()
        )
        return await self._put_back(stalled, why="silent for the stall timeout")

    async def retry_dead(self, store: Store) -> int:
        """Put back at once the jobs of workers whose life lock is gone (store/lifelock.py),
        and forget those workers; one scheduler at a time does it, the others return 0."""
        n = 0
        async with sweep_turn(store) as dead:
            for w in dead or ():
                jobs = await self.app.job_manager.list_jobs_async(
                    queue=QUEUE, status="doing", worker_id=w.worker_id
                )
                log.warning(
                    "worker %d (%s, pid %d) is gone (its life lock was dropped)",
                    w.worker_id,
                    w.node,
                    w.pid,
                )
                n += await self._put_back(list(jobs), why="its life lock gone")
                await forget_dead(store, w.worker_id)
        return n

    async def _put_back(self, jobs: Iterable[Job], *, why: str) -> int:
        n = 0
        for job in jobs:
            try:
                await self.app.job_manager.retry_job(job)
                n += 1
            except UniqueViolation:
                # a job of a source's own (queued before batches) enqueued again meanwhile
                assert job.id is not None
                await self.app.job_manager.finish_job_by_id_async(
                    job.id, status=Status.FAILED, delete_job=False
                )
            log.warning(
                "job %s of a dead worker (%s) put back in the queue",
                job.id,
                why,
                extra={"source_id": ",".join(job_sources(job.task_kwargs))},
            )
        return n

    async def wait(self, job_ids: Sequence[int], *, within: float, poll: float = 0.5) -> bool:
        """Wait until none of `job_ids` waits or runs (stalled ones are put back meanwhile);
        False when `within` seconds passed first."""
        deadline = time.monotonic() + within
        ids = list(job_ids)
        while ids:
            rows = await self.app.connector.execute_query_all_async(
                query="SELECT id FROM procrastinate_jobs "  # type: ignore[arg-type]
                "WHERE id = ANY(%(ids)s) AND status IN ('todo', 'doing')",
                ids=ids,
            )
            ids = [int(r["id"]) for r in rows]
            if not ids:
                return True
            if time.monotonic() >= deadline:
                return False
            await self.retry_stalled()
            await asyncio.sleep(poll)
        return True
