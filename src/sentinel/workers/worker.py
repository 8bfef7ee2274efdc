"""`sentinel worker`: runs patrol jobs from the queue until stopped.

A job is a batch of sources (queue.py): their state read in bulk, then each source's patrol
(`Patrol.patrol_source`, as in one process), up to `workers.concurrency` sources at once in
the process, over the JOBS it runs at once. Jobs are at least once: a worker killed mid-job
stops sending heartbeats, and after `workers.stall_timeout` a scheduler puts its job back in
the queue for another worker (sooner: see its life lock below), which patrols the whole batch
again. Nothing a job writes can be doubled by that: its story decisions are one transaction
each (a killed job leaves no partial story), and the database keeps posts, stories, alerts and
outbox rows unique.

A job's fetch and health records are written when it ends, before it is marked done, so the
next job of its sources reads them; a long job's are also written every `FLUSH_EVERY` seconds
with the others'. A worker killed -9 loses the records of its running jobs since then, and the
next patrol of those sources fetches their pages whole instead of asking for a 304, storing
nothing twice. After them a job adds what each of its source patrols found to the tally the
leading scheduler counts (tally.py); a killed job adds none, so the posts it stored before
dying are stored but not counted (its rerun finds them known).

Its death is noticed sooner than that: it holds a life lock (store/lifelock.py) from its
registration to its end, and a scheduler finds the lock gone within a second of the process
dying on a live node, or about KEEPALIVE_BOUND seconds after its node drops off the network,
and puts its jobs back then. A worker that loses that lock's connection stops (its jobs go
to others).

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
from sentinel.errors import SentinelError, StoreError
from sentinel.pipeline import Clock, Patrol, SourceReport, utcnow
from sentinel.sources import load_checked
from sentinel.store.lifelock import LifeLock
from sentinel.store.nodes import forget_node, notify_push, register_node, set_node_digest
from sentinel.workers import tally
from sentinel.workers.live import LivePatrol
from sentinel.workers.queue import QUEUE, job_sources, queue_app, register, require_postgres

log = logging.getLogger(__name__)

FLUSH_EVERY = 1.0  # seconds between writes of the jobs' fetch and health records
# Jobs one worker runs at once: a second one fills the slots that the first one's last, slow
# sources leave free. Their sources share the process's `concurrency` slots.
JOBS = 2
REGROUP_EVERY = 1.0  # seconds between looks for stories merged or split by hand
LIFE_CHECK = 2.0  # seconds between looks at the life lock's connection


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
        self._warned_later = False  # about job arguments of a newer release, once
        self._life: LifeLock | None = None
        self._node: tuple[int, str] | None = None  # its id and digest, once its row is written
        self._node_lock = asyncio.Lock()

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
                life = asyncio.create_task(self._live(worker, task), name="sentinel-life")
                # a worker whose queue side fails (database gone) stops the process too, as
                # does one whose life lock is lost: its jobs are being put back for others
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({task, stopping, life}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                worker.stop()  # type: ignore[no-untyped-call]
                try:
                    await task
                finally:
                    # its jobs have ended: the row goes first, then the lock, so no scheduler
                    # finds the row without the lock of a worker that stopped cleanly
                    life.cancel()
                    await asyncio.gather(life, return_exceptions=True)
                    if self._life is not None:
                        held, self._life = self._life, None
                        try:
                            # (procrastinate's worker forgets its id when it stops: the lock's)
                            await forget_node(self.live.patrol.store, held.worker_id)
                        finally:
                            await held.close()
                if life.done() and not life.cancelled() and life.exception() is not None:
                    raise life.exception()  # type: ignore[misc]  # the life lock failed
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

    async def _live(self, worker: Worker, running: asyncio.Task[Any]) -> None:
        """Take the life lock and register this worker, then watch the lock. StoreError when it
        cannot be taken or its connection is lost: the worker stops, its jobs go to others."""
        # procrastinate sets the id when it registers, and offers no hook for that moment
        while worker.worker_id is None and not running.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        wid = worker.worker_id
        if wid is None or not self.live.is_open:
            return  # it ended before registering: the process stops with it
        name = f"sentinel-worker:{node_name()}:{os.getpid()}"
        self._life = await LifeLock.take(self.url, wid, name=name)
        # written once the lock is held: a scheduler judges by the lock only workers with a row
        async with self._node_lock:
            digest = self.live.cfg.digest
            await register_node(
                self.live.patrol.store,
                wid,
                node=node_name(),
                pid=os.getpid(),
                at=self.clock(),
                config_digest=digest,
                life_lock=True,
            )
            self._node = (wid, digest)
        log.warning(
            "worker %d (%s, pid %d) running, configuration %s",
            wid,
            node_name(),
            os.getpid(),
            digest,
        )
        while await self._life.held():  # noqa: ASYNC110  # a connection, not an event
            await asyncio.sleep(LIFE_CHECK)
        raise StoreError(
            f"worker {wid} lost the database connection holding its life lock: a scheduler puts "
            "its jobs back for other workers; stopping"
        )

    async def _note_config(self) -> None:
        """Keep the worker's row on the configuration it runs (after a reload)."""
        async with self._node_lock:
            if self._node is None or self._node[1] == self.live.cfg.digest:
                return
            wid, digest = self._node[0], self.live.cfg.digest
            await set_node_digest(self.live.patrol.store, wid, digest)
            self._node = (wid, digest)

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
        **later: Any,
    ) -> None:
        # What a newer scheduler adds to its jobs is ignored here, not a TypeError that fails
        # every job until this worker is upgraded (this release's config_digest did that to
        # the workers before it).
        if later and not self._warned_later:
            self._warned_later = True
            log.warning(
                "jobs carry %s, which this worker does not know (a newer scheduler?): "
                "ignored; upgrade this worker",
                ", ".join(sorted(later)),
            )
        await self.live.refresh(config_digest)
        await self._note_config()
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
