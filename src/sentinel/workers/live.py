"""A worker's live configuration: its files reloaded when they change, and its Patrol rebuilt.

The worker polls before every job (config/watch.py: the watch task's event, else the files'
stat), so an edit takes effect at the next job, as the scheduler's does at its next tick. A job
also carries the digest of the configuration it was enqueued under (workers/queue.py); when
that is not the worker's, the worker compares the files' contents as well, which catches what
events and stats miss (a network mount, files copied with their mtimes kept). Files that reach
this node late still differ after that: the job runs with what the worker has (a source it
does not know is skipped), and a warning names both digests, once per pair.

A new configuration gets a new Patrol, as in the daemon: the matcher, fetch policy, deadline
policy and reader are all built from it. Jobs that start from then on take the new one; those
running keep theirs, which is closed when the last of them ends. A bad edit is logged as
`file:line: message` once and the last good configuration keeps running.

What a reload cannot change: the database and the queue's own settings (`database_url`,
`workers.*`), fixed when the worker starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sentinel.config import Config, Source
from sentinel.config.watch import ConfigWatcher
from sentinel.pipeline import Clock, Patrol
from sentinel.sources import load_checked

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Held:
    """An open Patrol, the sources of its configuration by id, and the jobs running on it."""

    patrol: Patrol
    sources: Mapping[str, Source] = field(default_factory=dict)
    jobs: int = 0


class LivePatrol:
    """Open it, then per job: `refresh(digest)`, and run the job in `lease()`."""

    def __init__(
        self,
        cfg: Config,
        *,
        url: str,
        clock: Clock,
        on_push: Callable[[], None],
        load: Callable[[Path], Config] = load_checked,
        watch: bool = True,
    ) -> None:
        self.cfg = cfg  # the configuration the next job runs with
        self.watcher = ConfigWatcher(cfg.dir, load=load, watch=watch, running=cfg.digest)
        self._url = url
        self._clock = clock
        self._on_push = on_push
        self._current: _Held | None = None
        self._draining: list[_Held] = []  # replaced, with jobs still running on them
        self._reloading = asyncio.Lock()
        # configurations run before: a job enqueued under one was queued before the last edit
        self._ran = {cfg.digest}
        self._warned: set[tuple[str, str]] = set()

    @property
    def patrol(self) -> Patrol:
        if self._current is None:
            raise RuntimeError("the worker's patrol is not open")
        return self._current.patrol

    @property
    def is_open(self) -> bool:
        return self._current is not None

    def patrols(self) -> list[Patrol]:
        """Every open Patrol: the current one and those still finishing jobs."""
        held = [*self._draining, *([self._current] if self._current else [])]
        return [h.patrol for h in held]

    async def open(self) -> LivePatrol:
        self._current = await self._open(self.cfg, upgrade=True)
        self.watcher.start()
        return self

    async def close(self) -> None:
        """Close every Patrol (their held records are written); the jobs must have ended."""
        await self.watcher.close()
        held = [*self._draining, *([self._current] if self._current else [])]
        self._current, self._draining = None, []
        async with contextlib.AsyncExitStack() as closing:  # every one, whichever fails
            for h in held:
                closing.push_async_callback(h.patrol.close)

    async def _open(self, cfg: Config, *, upgrade: bool) -> _Held:
        patrol = await Patrol.open(cfg, database_url=self._url, clock=self._clock, upgrade=upgrade)
        patrol.store.on_push(self._on_push)
        return _Held(patrol=patrol, sources={s.id: s for s in cfg.sources.sources})

    async def refresh(self, wanted: str | None) -> None:
        """Reload before a job enqueued under configuration `wanted` (None: a job queued before
        jobs carried one) if the files changed, or if `wanted` is not what this worker runs."""
        async with self._reloading:  # a second job starting meanwhile finds it done
            cfg = self.watcher.poll()
            if cfg is None and wanted is not None and wanted != self.cfg.digest:
                cfg = self.watcher.poll(force=True)
            if cfg is not None:
                await self._swap(cfg)
        ours = self.cfg.digest
        if wanted is None or wanted == ours or wanted in self._ran:
            return
        if (wanted, ours) not in self._warned:
            self._warned.add((wanted, ours))
            log.warning(
                "a job was enqueued under configuration %s, this worker runs %s (its files not "
                "synced to this node yet, or an edit refused here?): running the job with %s",
                wanted,
                ours,
                ours,
            )

    async def _swap(self, cfg: Config) -> None:
        try:
            # the database was upgraded when the worker started, and stays the same
            new = await self._open(cfg, upgrade=False)
        except Exception:  # the database away, a scout that does not start, …
            log.exception("configuration %s not put to use; the last one keeps running", cfg.digest)
            self.watcher.retry()  # tried again at the next job
            return
        old, self._current, self.cfg = self._current, new, cfg
        self._ran.add(cfg.digest)
        if old is None:
            return
        if old.jobs:
            self._draining.append(old)
        else:
            await _retire(old.patrol)

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[tuple[Patrol, Mapping[str, Source]]]:
        """The current Patrol and its sources by id, kept open until the job ends."""
        held = self._current
        if held is None:
            raise RuntimeError("the worker's patrol is not open")
        held.jobs += 1
        try:
            yield held.patrol, held.sources
        finally:
            held.jobs -= 1
            if not held.jobs and held in self._draining:
                self._draining.remove(held)
                await _retire(held.patrol)


async def _retire(patrol: Patrol) -> None:
    """Close a replaced Patrol (its held records are written); a failure there is not the
    failure of the job that happens to close it."""
    try:
        await patrol.close()
    except Exception:
        log.exception("closing the patrol of the previous configuration failed")
