"""When to patrol: the pure `due_sources` decision and the one APScheduler tick that asks it.

APScheduler runs ONE interval job (the tick, every minute by default). The tick asks pure
functions what is due; it never registers a job per source or a custom trigger, because a
trigger that raises silently stops every job in APScheduler 3, and per-source jobs would pile
up misfires after a pause. Being stateless, `due_sources` coalesces by construction: after a
pause of a day a source is due once, not once per missed patrol.

A source is due at `now` when
- it is enabled, and
- it was never patrolled, or a duty patrol time has passed since its last patrol started, or its
  own `every` has elapsed since then, and
- it is not backing off: a source whose last n ≥ 1 fetches failed (`failures`) waits
  `backoff(n) = min(interval × 2^(n-1), 24 h)` after its last patrol, as miniflux polls a failing
  feed less. `interval` is the cadence in force for the source: its own `every` when that is
  shorter than the duty interval at its last patrol, else that duty interval (the gap from the
  duty patrol at or before the last patrol to the next one). The wait is counted from the
  duty patrol slot when the source runs on the duty grid, so a tick a few minutes late does not
  push a source that failed once past the next duty patrol. One success resets n to 0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from sentinel.config.cadence import HeightenedPeriod
from sentinel.config.models import Source
from sentinel.workflow.calendar import require_aware
from sentinel.workflow.duty import DutySchedule
from sentinel.workflow.heightened import with_heightened

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)

# every duty day has patrols, so the latest one is at most a night and a day back
_LOOKBACK_DAYS = 3


def last_duty_patrol(now: datetime, schedule: DutySchedule) -> datetime:
    """The latest duty patrol time at or before `now`."""
    require_aware(now, "now")
    local = now.astimezone(schedule.calendar.tz)
    day = local.date()
    for _ in range(_LOOKBACK_DAYS):
        for patrol in reversed(schedule.patrols_on(day)):
            if patrol <= local:
                return patrol
        day -= timedelta(days=1)
    raise ValueError(f"no duty patrol within {_LOOKBACK_DAYS} days before {now.isoformat()}")


def is_duty_patrol(
    now: datetime,
    schedule: DutySchedule,
    last_duty: datetime | None,
    heightened: Sequence[HeightenedPeriod] = (),
) -> bool:
    """True when a duty patrol (the one after which digests go out) is due at `now`.

    `last_duty` is when the previous duty patrol started (None: never). However many patrol
    times a pause skipped, this is true once: the caller records `now` as the new `last_duty`.
    """
    if last_duty is None:
        return True
    require_aware(last_duty, "last_duty")
    return last_duty_patrol(now, with_heightened(schedule, heightened)) > last_duty


def due_sources(
    now: datetime,
    schedule: DutySchedule,
    sources: Sequence[Source],
    state: Mapping[str, datetime | None],
    heightened: Sequence[HeightenedPeriod] = (),
    failures: Mapping[str, int] | None = None,
) -> list[Source]:
    """The sources to patrol at `now`, in the order given (see the module docstring).

    `state` maps a source id to when its last patrol started; a missing id means never.
    `failures` maps a source id to its consecutive failed fetches; a missing id means none.
    """
    require_aware(now, "now")
    schedule = with_heightened(schedule, heightened)
    duty = last_duty_patrol(now, schedule)
    failing = failures or {}
    due: list[Source] = []
    for source in sources:
        if not source.enabled:
            continue
        last = state.get(source.id)
        if last is None:
            due.append(source)
            continue
        require_aware(last, f"last patrol of {source.id}")
        n = failing.get(source.id, 0)
        if n > 0 and now < backoff_until(source, last, n, schedule):
            continue
        if duty > last or (source.every is not None and now - last >= source.every):
            due.append(source)
    return due


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after `failures` ≥ 1 consecutive failures: interval × 2^(n-1), at most 24 h."""
    if failures < 1:
        return timedelta(0)
    # the exponent is capped before multiplying: 2^(n-1) for a source dead for months overflows
    wait: timedelta = interval * (2 ** min(failures - 1, 20))
    return min(wait, MAX_BACKOFF)


def backoff_until(
    source: Source, last: datetime, failures: int, schedule: DutySchedule
) -> datetime:
    """When a source whose last patrol at `last` was its `failures`-th failure is due again."""
    slot = last_duty_patrol(last, schedule)
    interval = schedule.interval_at(slot)
    if source.every is not None and source.every < interval:
        return last + backoff(source.every, failures)
    return slot + backoff(interval, failures)


Tick = Callable[[], Awaitable[None]]


class Ticker:
    """An AsyncIOScheduler with one interval job that awaits `tick()`.

    Overlapping ticks are refused (max_instances=1) and missed ones coalesce into one run, so a
    long patrol or a suspended laptop yields one late tick, not a burst. Whatever `tick` raises is
    logged and the next tick still runs.
    """

    def __init__(
        self,
        tick: Tick,
        *,
        interval: timedelta = timedelta(seconds=60),
        misfire_grace: timedelta | None = None,
        name: str = "sentinel-tick",
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError("interval must be positive")
        self._tick = tick
        self.interval = interval
        # a tick that is late by up to one interval still runs; later it is one coalesced run
        self.misfire_grace = misfire_grace if misfire_grace is not None else interval
        self.name = name
        self.ticks = 0
        self.failures = 0
        self._running: asyncio.Task[None] | None = None
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self, *, immediately: bool = True) -> None:
        """Start on the running event loop; the first tick is now unless `immediately` is off."""
        first = datetime.now(UTC) if immediately else None
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=self.interval.total_seconds(),
            id=self.name,
            name=self.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, round(self.misfire_grace.total_seconds())),
            replace_existing=True,
            **({"next_run_time": first} if first is not None else {}),
        )
        self._scheduler.start()

    async def stop(self, grace: float = 30.0) -> bool:
        """Start no more ticks; wait up to `grace` s for a running one. False if it was cut."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler shuts down in a loop callback
        task = self._running
        if task is None or task.done():
            return True
        done, _ = await asyncio.wait({task}, timeout=grace)
        if done:
            return True
        task.cancel()
        log.warning("tick still running after %.0f s at shutdown; cancelled", grace)
        return False

    async def _run(self) -> None:
        # the tick runs in a task of its own: APScheduler cancels its job tasks on shutdown, and
        # a patrol cut at a random await is what `stop` exists to avoid
        task = self._running = asyncio.create_task(self._guarded(), name=self.name)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                return  # the scheduler is shutting down; `stop` waits for the task
            raise

    async def _guarded(self) -> None:
        self.ticks += 1
        try:
            await self._tick()
        except Exception:
            # the scheduler would log and carry on too, but the count feeds the health endpoint
            self.failures += 1
            log.exception("tick %d failed; the next tick runs as scheduled", self.ticks)
