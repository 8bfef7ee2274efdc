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

The worker picks up edits to the three files before its next job, and reloads them before a
job enqueued under another configuration than its own (live.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from procrastinate import JobContext
from procrastinate.worker import Worker

from sentinel.config import Config, Source
from sentinel.errors import SentinelError
from sentinel.pipeline import Clock, Patrol, SourceReport, utcnow
from sentinel.sources import load_checked
from sentinel.store.nodes import forget_node, notify_push, register_node
from sentinel.workers import tally
from sentinel.workers.live import LivePatrol
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
    """One worker process: a Patrol (rebuilt when the configuration changes, live.py), and
    procrastinate's worker feeding it jobs."""

    def __init__(
        self,
        cfg: Config,
        *,
        database_url: str | None = None,
        concurrency: int | None = None,
        clock: Clock = utcnow,
        load: Callable[[Path], Config] = load_checked,
        watch: bool = True,
    ) -> None:
        """`load` reads the configuration at a reload; `watch`: also watch the files for
        events (without, edits are seen by their stat and by the jobs' digests)."""
        self.cfg = cfg  # as started: the queue's settings (`workers.*`) hold until a restart
        self.url = require_postgres(cfg, database_url)
        self.concurrency = concurrency or cfg.settings.workers.concurrency
        self.clock = clock
        self.live = LivePatrol(
            cfg, url=self.url, clock=clock, on_push=self._announce, load=load, watch=watch
        )
        self._slots = asyncio.Semaphore(self.concurrency)  # source patrols at once
        self._notes: set[asyncio.Task[None]] = set()
        self.done = 0  # source patrols finished by this process
        self._regroup_checked = -REGROUP_EVERY

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs until `stop` is set; the running ones finish first."""
        w = self.cfg.settings.workers
        await self.live.open()
        app = queue_app(self.url, pool_size=self.concurrency + 4)
        register(app, self._job)
        flusher = asyncio.create_task(self._flush_often(), name="sentinel-flush")
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
                    await forget_node(self.live.patrol.store, worker.worker_id)
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, *self._notes, return_exceptions=True)
            await self.live.close()  # writes the records still held back

    async def _flush_often(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            for patrol in self.live.patrols():  # one replaced by a reload finishes its jobs
                try:
                    await patrol.store.flush()
                except SentinelError as e:  # the database away for a moment: the next round
                    log.warning("writing fetch records failed: %s", e)

    async def _register(self, worker: Worker, running: asyncio.Task[Any]) -> None:
        """Name this worker's queue id after its node and pid, for `sentinel workers status`."""
        # procrastinate sets the id when it registers, and offers no hook for that moment
        while worker.worker_id is None and not running.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        wid = worker.worker_id
        if wid is None or not self.live.is_open:
            return
        await register_node(
            self.live.patrol.store, wid, node=node_name(), pid=os.getpid(), at=self.clock()
        )
        log.warning(
            "worker %d (%s, pid %d) running, configuration %s",
            wid,
            node_name(),
            os.getpid(),
            self.live.cfg.digest,
        )

    def _announce(self) -> None:
        # the schedulers send pushes; a NOTIFY wakes their couriers at once
        if not self.live.is_open:
            return
        task = asyncio.create_task(notify_push(self.live.patrol.store))
        self._notes.add(task)
        task.add_done_callback(self._notes.discard)

    async def _job(
        self,
        context: JobContext,
        *,
        source_ids: list[str] | None = None,
        source_id: str | None = None,  # a job queued before batches
        duty_at: Any = None,
        config_digest: str | None = None,  # absent from jobs queued before it
    ) -> None:
        await self.live.refresh(config_digest)
        async with self.live.lease() as (patrol, known):
            sources: list[Source] = []
            for sid in job_sources({"source_ids": source_ids, "source_id": source_id}):
                source = known.get(sid)
                if source is None:
                    log.warning(
                        "job for a source not in this worker's sources.yaml",
                        extra={"source_id": sid},
                    )
                else:
                    sources.append(source)
            if sources:
                await self._run(patrol, sources, duty_at)

    async def _run(self, patrol: Patrol, sources: list[Source], duty_at: Any) -> None:
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
