"""`sentinel worker`: runs patrol jobs from the queue until stopped.

A job is a batch of sources (queue.py): their state read in bulk, then each source's patrol
(`Patrol.patrol_source`, as in one process), up to `workers.concurrency` sources at once in
the process, over the JOBS it runs at once. Jobs are at least once: a worker killed mid-job
stops sending heartbeats, and after `workers.stall_timeout` a scheduler puts its job back in
the queue for another worker, which patrols the whole batch again. Nothing a job writes can be
doubled by that: its story decisions are one transaction each (a killed job leaves no partial
story), and the database keeps posts, stories, alerts and outbox rows unique.

A job's fetch and health records are written when it ends, before it is marked done, so the
next job of its sources reads them; a long job's are also written every `FLUSH_EVERY` seconds
with the others'. A worker killed -9 loses the records of its running jobs since then, and the
next patrol of those sources fetches their pages whole instead of asking for a 304, storing
nothing twice. After them a job adds what each of its source patrols found to the tally the
leading scheduler counts (tally.py); a killed job adds none, so the posts it stored before
dying are stored but not counted (its rerun finds them known).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import datetime
from typing import Any

from procrastinate import JobContext
from procrastinate.worker import Worker

from sentinel.config import Config, Source
from sentinel.errors import SentinelError
from sentinel.pipeline import Clock, Patrol, SourceReport, utcnow
from sentinel.store.nodes import forget_node, notify_push, register_node
from sentinel.workers import tally
from sentinel.workers.queue import QUEUE, job_sources, queue_app, register, require_postgres

log = logging.getLogger(__name__)

FLUSH_EVERY = 1.0  # seconds between writes of the jobs' fetch and health records
# Jobs one worker runs at once: a second one fills the slots that the first one's last, slow
# sources leave free. Their sources share the process's `concurrency` slots.
JOBS = 2
REGROUP_EVERY = 1.0  # seconds between looks for stories merged or split by hand


def node_name() -> str:
    return os.environ.get("SENTINEL_NODE") or socket.gethostname()


class PatrolWorker:
    """One worker process: a Patrol opened once, and procrastinate's worker feeding it jobs."""

    def __init__(
        self,
        cfg: Config,
        *,
        database_url: str | None = None,
        concurrency: int | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.cfg = cfg
        self.url = require_postgres(cfg, database_url)
        self.concurrency = concurrency or cfg.settings.workers.concurrency
        self.clock = clock
        self._sources = {s.id: s for s in cfg.sources.sources}
        self._slots = asyncio.Semaphore(self.concurrency)  # source patrols at once
        self._patrol: Patrol | None = None
        self._notes: set[asyncio.Task[None]] = set()
        self.done = 0  # source patrols finished by this process
        self._regroup_checked = -REGROUP_EVERY

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs until `stop` is set; the running ones finish first."""
        w = self.cfg.settings.workers
        patrol = self._patrol = await Patrol.open(self.cfg, database_url=self.url, clock=self.clock)
        patrol.store.on_push(self._announce)
        app = queue_app(self.url, pool_size=self.concurrency + 4)
        register(app, self._job)
        flusher = asyncio.create_task(self._flush_often(patrol), name="sentinel-flush")
        try:
            async with app.open_async():
                worker = Worker(
                    app,
                    queues=[QUEUE],
                    name=f"{node_name()}:{os.getpid()}",
                    concurrency=JOBS,
                    install_signal_handlers=False,
                    update_heartbeat_interval=w.heartbeat.total_seconds(),
                    stalled_worker_timeout=w.stall_timeout.total_seconds(),
                    delete_jobs="successful",
                )
                run = worker.run()  # type: ignore[no-untyped-call]
                task = asyncio.create_task(run, name="sentinel-worker")
                registered = asyncio.create_task(self._register(worker, task))
                # a worker whose queue side fails (database gone) stops the process too
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                worker.stop()  # type: ignore[no-untyped-call]
                await task
                await registered
                if worker.worker_id is not None:
                    await forget_node(patrol.store, worker.worker_id)
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, *self._notes, return_exceptions=True)
            self._patrol = None
            await patrol.close()  # writes the records still held back

    @staticmethod
    async def _flush_often(patrol: Patrol) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await patrol.store.flush()
            except SentinelError as e:  # the database away for a moment: the next round retries
                log.warning("writing fetch records failed: %s", e)

    async def _register(self, worker: Worker, running: asyncio.Task[Any]) -> None:
        """Name this worker's queue id after its node and pid, for `sentinel workers status`."""
        # procrastinate sets the id when it registers, and offers no hook for that moment
        while worker.worker_id is None and not running.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        wid = worker.worker_id
        if wid is None or self._patrol is None:
            return
        await register_node(
            self._patrol.store, wid, node=node_name(), pid=os.getpid(), at=self.clock()
        )
        log.warning("worker %d (%s, pid %d) running", wid, node_name(), os.getpid())

    def _announce(self) -> None:
        # the schedulers send pushes; a NOTIFY wakes their couriers at once
        if self._patrol is None:
            return
        task = asyncio.create_task(notify_push(self._patrol.store))
        self._notes.add(task)
        task.add_done_callback(self._notes.discard)

    async def _job(
        self,
        context: JobContext,
        *,
        source_ids: list[str] | None = None,
        source_id: str | None = None,  # a job queued before batches
        duty_at: Any = None,
    ) -> None:
        patrol = self._patrol
        assert patrol is not None
        sources: list[Source] = []
        for sid in job_sources({"source_ids": source_ids, "source_id": source_id}):
            source = self._sources.get(sid)
            if source is None:
                log.warning(
                    "job for a source not in this worker's sources.yaml", extra={"source_id": sid}
                )
            else:
                sources.append(source)
        if not sources:
            return
        patrol.duty_at = datetime.fromisoformat(duty_at) if duty_at else None
        if time.monotonic() - self._regroup_checked >= REGROUP_EVERY:
            # the lead office may have merged or split stories (rare: a second late is fine)
            self._regroup_checked = time.monotonic()
            await patrol.refresh_grouping()
        await patrol.preload(sources)
        try:
            reports = await asyncio.gather(*(self._patrol_one(patrol, s) for s in sources))
        finally:
            patrol.unload(sources)
        # written before the job is done: the next job of these sources, anywhere, reads them
        await patrol.store.flush()
        # for the leading scheduler's tick and metrics (workers/tally.py)
        await tally.record(patrol.store, reports, at=self.clock())

    async def _patrol_one(self, patrol: Patrol, source: Source) -> SourceReport:
        async with self._slots:
            report = await patrol.patrol_source(source)
        self.done += 1
        log.info(
            "patrolled: %d new posts%s",
            report.posts_new,
            f" ({report.error})" if report.error else "",
            extra={"source_id": source.id},
        )
        return report
