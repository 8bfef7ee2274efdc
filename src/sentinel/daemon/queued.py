"""`sentinel run` in worker mode: scheduler, delivery and desk; `sentinel worker`s patrol.

The tick is the daemon's (service.py), with its patrol step replaced: the due sources are
enqueued, in batches, for the workers. Any number of these schedulers may run on one
PostgreSQL; each tick, the one holding the scheduler lock (a PostgreSQL advisory lock, dropped
with the connection of a process that dies) enqueues, puts back the jobs of dead workers, and
after a duty patrol waits for its jobs (up to `workers.duty_wait`) before the sweep and the
digests, and counts what the workers patrolled since the last count (workers/tally.py) for its
tick report, log line and metrics. The others only deliver. Every scheduler delivers: an
outbox row is claimed by one of them at a time (store/delivery.py), so none is sent twice; a
worker's NOTIFY after committing a push wakes their couriers at once.

Besides the ticks, every SWEEP_EVERY seconds one of the schedulers looks for workers whose life
lock is gone (store/lifelock.py) and puts their jobs back at once, not after `stall_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from sentinel.config import Source
from sentinel.daemon.service import _SOURCE, Daemon, TickReport
from sentinel.pipeline import PatrolReport
from sentinel.store import Deliveries
from sentinel.store.nodes import PUSH_CHANNEL, leader_lock
from sentinel.workers import tally
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.queue import require_postgres
from sentinel.workers.worker import node_name

log = logging.getLogger(__name__)

SWEEP_EVERY = 0.5  # seconds between looks for workers whose life lock is gone


class QueuedDaemon(Daemon):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require_postgres(self.cfg, self.db_url())
        w = self.cfg.settings.workers
        self.enqueuer = Enqueuer(self.db_url(), lock=w.lock, stall_timeout=w.stall_timeout)
        self.name = f"sentinel-scheduler:{node_name()}:{os.getpid()}"
        self._listener: asyncpg.Connection | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.led = 0  # ticks this scheduler enqueued

    async def open(self) -> QueuedDaemon:
        await super().open()
        await self.enqueuer.open()
        url = make_url(self.db_url()).set(drivername="postgresql")
        self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._listener.add_listener(PUSH_CHANNEL, self._pushed)
        self._sweeper = asyncio.create_task(self._sweep_dead(), name="sentinel-sweep-dead")
        return self

    async def close(self) -> None:
        try:
            if self._sweeper is not None:
                self._sweeper.cancel()
                await asyncio.gather(self._sweeper, return_exceptions=True)
                self._sweeper = None
            if self._listener is not None:
                await self._listener.close()
                self._listener = None
            await self.enqueuer.close()
        finally:
            await super().close()

    async def _sweep_dead(self) -> None:
        """Between and during ticks: put back the jobs of workers whose life lock is gone (one
        scheduler at a time; the tick's lock is not taken, so no tick is missed for this)."""
        failed = ""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                await self.enqueuer.retry_dead(self.patrol.store)
                failed = ""
            except Exception as e:  # the database away for a moment: the next round
                if str(e) != failed:  # once, not every round
                    log.warning("looking for dead workers failed: %s", e)
                failed = str(e)

    def _pushed(self, *_: object) -> None:
        self.courier.wake()

    async def tick(self, *, force_duty: bool = False) -> TickReport:
        async with leader_lock(self.patrol.store, name=self.name) as lead:
            if lead:
                self.led += 1
                await self.enqueuer.retry_stalled()
                return await super().tick(force_duty=force_duty)
        # another scheduler enqueues this tick: deliver only
        await self._reload()
        before = self.courier.totals
        await self.courier.deliver()
        self.last_tick = TickReport(at=self.clock(), dispatch=self.courier.since(before))
        return self.last_tick

    async def _patrol_due(
        self, due: list[Source], *, duty_at: datetime | None, now: datetime
    ) -> tuple[PatrolReport, bool]:
        if due:
            await self._enqueue(due, duty_at=duty_at, now=now)
            self.metrics.enqueued()
        # after a duty patrol's wait: what the workers found since the last count includes it
        found = await tally.patrolled(self.patrol.store)
        self.metrics.found(found)
        return found, True

    async def _enqueue(self, due: list[Source], *, duty_at: datetime | None, now: datetime) -> None:
        # the digest tells a worker running other files to reload them first
        ids = await self.enqueuer.enqueue(due, duty_at=duty_at, config_digest=self.cfg.digest)
        # written after the jobs exist: a scheduler killed in between enqueues them again at
        # the next tick (a source waiting already is not enqueued twice)
        await Deliveries(self.patrol.store).set_schedule_state({_SOURCE + s.id: now for s in due})
        if duty_at is not None and ids:
            wait = self.cfg.settings.workers.duty_wait.total_seconds()
            if not await self.enqueuer.wait(ids, within=wait):
                log.warning(
                    "duty patrol: jobs still waiting after %.0f s (are workers running? "
                    "`sentinel workers status`); the digests go out without them",
                    wait,
                )
