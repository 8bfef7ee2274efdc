"""The daemon: one process, one tick, everything else asked of pure functions and services.

Each tick:
1. reload the configuration if its files changed (config/watch.py);
2. patrol the sources `due_sources` names, recording when each started (schedule_state), so a
   restart does not patrol everything at once; failing sources back off (schedule.py);
3. after a duty patrol: recheck deleted posts, sweep deadlines, queue one digest per department
   (the lead office's also when only source health changed, see digests.py);
4. dispatch what the outbox and the digest table hold (dispatch.py).

Beside the ticks, the courier (courier.py) sends each critical push as soon as its transaction
commits, while the patrol is still reading other sites. Stopping cuts the reads in flight
(pipeline/cut.py): a tick cut short records only the sources it finished and leaves the duty
work (sweep, digests) to the next start, which patrols the rest.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sentinel.config import Config, Source
from sentinel.config.watch import ConfigWatcher
from sentinel.daemon.courier import Courier
from sentinel.daemon.daily import DailyWarnings
from sentinel.daemon.digests import lead_office, queue_digests
from sentinel.daemon.dispatch import Dispatcher, DispatchReport
from sentinel.metrics import Metrics
from sentinel.pipeline import Clock, Patrol, PatrolReport, utcnow
from sentinel.pipeline.cut import KIND as CUT
from sentinel.recheck import recheck_gone
from sentinel.schedule import Ticker, due_sources, is_duty_patrol, last_duty_patrol
from sentinel.sources import load_checked
from sentinel.store import Deliveries, database_url
from sentinel.workflow.heightened import with_heightened
from sentinel.workflow.service import Workflow

log = logging.getLogger(__name__)

DUTY = "duty"
_SOURCE = "source:"


@dataclass(frozen=True, kw_only=True, slots=True)
class TickReport:
    at: datetime
    # the source patrols the tick counts: in worker mode, those the workers finished since the
    # leading scheduler's last count (after a duty patrol's wait, so they include it)
    patrolled: tuple[str, ...] = ()
    posts_new: int = 0
    duty: bool = False
    digests: int = 0
    dispatch: DispatchReport = field(default_factory=DispatchReport)


class Daemon:
    """Open it, then `tick()` (tests, `run --once`) or `serve(stop)` until stop is set."""

    def __init__(
        self,
        cfg: Config,
        *,
        database_url: str | None = None,
        clock: Clock = utcnow,
        env: Mapping[str, str] | None = None,
        tick: timedelta = timedelta(seconds=60),
        load: Callable[[Path], Config] = load_checked,
        metrics: Metrics | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self.env = os.environ if env is None else env
        self.tick_interval = tick
        self.watcher = ConfigWatcher(cfg.dir, load=load, running=cfg.digest)
        self._database_url = database_url
        self._patrol: Patrol | None = None
        self.last_tick: TickReport | None = None
        self.ticker: Ticker | None = None
        self.courier = Courier(self._dispatch)
        self.metrics = metrics or Metrics()
        self.started_at = clock()
        self.daily = DailyWarnings()

    @property
    def patrol(self) -> Patrol:
        if self._patrol is None:
            raise RuntimeError("the daemon is not open")
        return self._patrol

    def db_url(self) -> str:
        return self._database_url or database_url(self.cfg.settings)

    async def open(self) -> Daemon:
        """Upgrade the database and open the patrol services."""
        self._patrol = await Patrol.open(self.cfg, database_url=self.db_url(), clock=self.clock)
        self._patrol.store.on_push(self.courier.wake)
        self.courier.start()
        self.watcher.start()
        return self

    async def close(self) -> None:
        await self.watcher.close()
        await self.courier.stop()
        if self._patrol is not None:
            patrol, self._patrol = self._patrol, None
            await patrol.close()

    async def __aenter__(self) -> Daemon:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def health(self) -> dict[str, Any]:
        """For the health endpoint: what the operator must know about the running daemon."""
        t = self.ticker
        return {
            "config_dir": str(self.cfg.dir),
            "config_digest": self.cfg.digest,
            "last_config_error": self.watcher.last_error,
            "last_tick_at": self.last_tick.at.isoformat() if self.last_tick else None,
            "ticks": t.ticks if t else 0,
            "tick_failures": t.failures if t else 0,
            "tick_seconds": self.tick_interval.total_seconds(),
            "started_at": self.started_at.isoformat(),
            "scouts": self.cfg.settings.http.scouts,
            # a pool's scouts start on first use and again after one dies, at the next read
            "scouts_running": len(getattr(self._patrol and self._patrol.reader, "pids", ())),
        }

    async def _reload(self) -> None:
        cfg = self.watcher.poll()
        if cfg is None:
            return
        # the matcher, fetch policy and deadline policy are built from the configuration
        old = self._patrol
        new = await Patrol.open(
            cfg, database_url=self._database_url or database_url(cfg.settings), clock=self.clock
        )
        new.store.on_push(self.courier.wake)
        async with self.courier.paused():  # not while it sends through the old store
            self._patrol, self.cfg = new, cfg
            if old is not None:
                await old.close()

    async def _dispatch(self) -> DispatchReport:
        return await Dispatcher(
            self.patrol.store,
            self.cfg.settings,
            clock=self.clock,
            env=self.env,
            source_names={s.id: s.name or s.id for s in self.cfg.sources.sources},
            topic_names={t.id: t.name for t in self.cfg.keywords.topics},
        ).run()

    async def tick(self, *, force_duty: bool = False) -> TickReport:
        """One tick (see the module docstring). `force_duty`: treat it as a duty patrol."""
        await self._reload()
        dispatched_before = self.courier.totals
        now = self.clock()
        cfg, patrol = self.cfg, self.patrol
        self.daily.check(now, patrol.policy.calendar, ZoneInfo(cfg.settings.timezone))
        heightened = cfg.settings.workflow.cadence.heightened
        schedule = with_heightened(patrol.policy.duty, heightened)
        deliveries = Deliveries(patrol.store)
        state = await deliveries.schedule_state()
        ran = {k.removeprefix(_SOURCE): v for k, v in state.items() if k.startswith(_SOURCE)}
        statuses = await patrol.store.sources_status()
        failures = {s.source_id: s.consecutive_failures for s in statuses}
        due = due_sources(now, schedule, cfg.sources.sources, ran, failures=failures)
        duty = force_duty or is_duty_patrol(now, schedule, state.get(DUTY))
        slot = last_duty_patrol(now, schedule)
        # a duty patrol's digest delivers what it finds: claim deadlines count from its slot
        found, complete = await self._patrol_due(due, duty_at=slot if duty else None, now=now)
        duty = duty and complete  # else the next start runs this duty patrol, with its digests
        if found.sources:
            log.info(
                "tick: %d sources patrolled (%d failed), %d new posts, %d new stories",
                len(found.sources),
                found.sources_failed,
                found.posts_new,
                found.stories_new,
            )
        digests = 0
        if duty:
            await recheck_gone(patrol)
            await Workflow(patrol.store, cfg.settings, policy=patrol.policy).sweep(now)
            self.metrics.swept()
            # the digests cover what this patrol found too: their window closes now, not at `now`
            queued_at = max(now, self.clock())
            digests = await queue_digests(
                patrol.store,
                duty_at=slot,
                since=state.get(DUTY),
                at=queued_at,
                lead_office=lead_office(cfg.settings),
            )
            await deliveries.set_schedule_state({DUTY: queued_at})
        await self.courier.deliver()
        dispatched = self.courier.since(dispatched_before)  # the pushes sent meanwhile too
        self.metrics.ticked(now, sent=dispatched.sent, failed=dispatched.failed)
        self.last_tick = TickReport(
            at=now,
            patrolled=tuple(r.source_id for r in found.sources),
            posts_new=found.posts_new,
            duty=duty,
            digests=digests,
            dispatch=dispatched,
        )
        return self.last_tick

    async def _patrol_due(
        self, due: list[Source], *, duty_at: datetime | None, now: datetime
    ) -> tuple[PatrolReport, bool]:
        """Patrol `due` here; what the tick reports as patrolled, and whether the patrol was
        complete (not cut)."""
        if not due:
            return PatrolReport(), True
        log.info("patrolling %d due sources", len(due))
        report = await self.patrol.run(due, duty_at=duty_at)
        self.metrics.patrolled(report)
        cut = {r.source_id for r in report.sources if r.error_kind == CUT}
        # written after the patrol: one cut short is patrolled again, never skipped
        await Deliveries(self.patrol.store).set_schedule_state(
            {_SOURCE + s.id: now for s in due if s.id not in cut}
        )
        if cut:
            log.warning("stopping: %d sources cut short, patrolled at the next start", len(cut))
        return report, not cut

    async def _tick(self) -> None:
        await self.tick()

    async def serve(self, stop: asyncio.Event, *, grace: float = 30.0) -> bool:
        """Tick until `stop` is set, then let a running tick finish for up to `grace` seconds.

        The daemon must be open. False when a tick had to be cut at the end of the grace.
        """
        self.ticker = Ticker(self._tick, interval=self.tick_interval)
        self.ticker.start()
        log.warning(
            "sentinel running: %d sources, tick every %s",
            len(self.cfg.sources.sources),
            self.tick_interval,
        )
        await stop.wait()
        self.patrol.cut.cut()  # a hanging site must not hold the shutdown
        log.warning("stopping: no new ticks; waiting up to %.0f s for the running one", grace)
        clean = await self.ticker.stop(grace)
        log.warning("sentinel stopped%s", "" if clean else " (a tick was cut)")
        return clean
