"""The one place where the stages meet: fetch → extract → match → cluster → store.

`Patrol.patrol_source()` is the whole life of one source in one patrol, as miniflux's
`RefreshFeed` is for a feed. Every stage takes and returns plain records; none calls a later one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType

from sentinel.cluster.grouping import Grouper, rules_of
from sentinel.config import Config, Source
from sentinel.errors import Interrupted, SentinelError
from sentinel.fetch import Fetcher
from sentinel.fetch.page import Validators
from sentinel.locks import PriorityLock
from sentinel.match import Matcher
from sentinel.pipeline.cut import Cut
from sentinel.pipeline.lists import ListWalker
from sentinel.pipeline.records import (
    Clock,
    PatrolReport,
    SourceReport,
    Tally,
    utcnow,
)
from sentinel.pipeline.rules import fetch_policy
from sentinel.read import LocalReader, Reader, ScoutPool
from sentinel.sources import resolve
from sentinel.sources.health import Health
from sentinel.store import Store, Tx, database_url
from sentinel.store.hostshare import SharedPace, SharedRobots
from sentinel.workflow.alerts import build_policy

log = logging.getLogger("sentinel.pipeline")

# The duty patrol a patrol belongs to, per task: a worker runs jobs of different ticks at once.
_DUTY_AT: ContextVar[datetime | None] = ContextVar("duty_at", default=None)


class Patrol(ListWalker):
    """The services one patrol needs, opened once and shared by every source."""

    def __init__(
        self,
        cfg: Config,
        *,
        store: Store,
        fetcher: Fetcher,
        matcher: Matcher,
        reader: Reader | None = None,
        owns_reader: bool = True,
        clock: Clock = utcnow,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.fetcher = fetcher  # this process's own: rechecks and `try` fetch with it
        self.reader: Reader = reader if reader is not None else LocalReader(fetcher)
        self._owns_reader = owns_reader  # a reader handed in outlives this patrol
        self.matcher = matcher
        self.clock = clock
        self.grouper = self._new_grouper()
        self._region = tuple(matcher.fold(w) for w in cfg.keywords.region)
        self._index_loaded = False
        # Story decisions must see each other: two reposts fetched at once from two sites would
        # otherwise both miss the index and open two stories.
        self._cluster_lock = PriorityLock()
        self._validators: dict[str, Validators] = {}
        self._preloaded: frozenset[str] = frozenset()
        self._health: dict[str, Health] = {}
        # the calendar and duty schedule that deadlines count on, built once per patrol
        self.policy = build_policy(cfg.settings)
        self._post_mark = 0  # story posts up to this id are in the index
        self._regrouped: datetime | None = None  # the lead office's last merge or split
        self.cut = Cut()  # the daemon cuts the reads in flight when it stops

    @property  # type: ignore[override]
    def duty_at(self) -> datetime | None:
        """The duty patrol this patrol is (its digest delivers the stories), in this task."""
        return _DUTY_AT.get()

    @duty_at.setter
    def duty_at(self, value: datetime | None) -> None:
        _DUTY_AT.set(value)

    @classmethod
    async def open(
        cls,
        cfg: Config,
        *,
        database_url: str | None = None,
        clock: Clock = utcnow,
        upgrade: bool = True,
        reader: Reader | None = None,
    ) -> Patrol:
        """The store opened (and upgraded), the fetcher and matcher built. A `reader` handed in
        (e.g. a ScoutPool kept warm across patrols) is used and left open; without one, scouts
        are started as `http.scouts` says and closed with the patrol."""
        url = database_url or _database_url(cfg)
        store = await Store.open(url)
        try:
            if upgrade:
                await store.upgrade()
            fetcher = Fetcher(cfg.settings.http)
            if cfg.settings.workers.enabled and store.engine.dialect.name == "postgresql":
                # worker mode: every process holds each host's rate and shares its robots.txt
                fetcher.share(SharedPace(store), SharedRobots(store))
            matcher = Matcher(cfg.keywords, engine=cfg.settings.match.engine)
        except BaseException:
            await store.close()
            raise
        owns = reader is None
        if reader is None and cfg.settings.http.scouts:
            reader = ScoutPool(cfg.settings.http, cfg.settings.http.scouts)
        return cls(
            cfg,
            store=store,
            fetcher=fetcher,
            matcher=matcher,
            reader=reader,
            owns_reader=owns,
            clock=clock,
        )

    async def close(self) -> None:
        try:
            try:
                if self._owns_reader:
                    await self.reader.aclose()
            finally:
                await self.fetcher.aclose()
        finally:
            await self.store.close()

    async def __aenter__(self) -> Patrol:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _new_grouper(self) -> Grouper:
        cluster = self.cfg.settings.cluster
        return Grouper(
            threshold=cluster.threshold,
            events=cluster.events.enabled,
            rules=rules_of(cluster.events),
        )

    async def refresh_grouping(self) -> None:
        """Rebuild the story index at its next use if stories were merged or split by hand
        since it was built (one query; called once per patrol, or per job by a worker)."""
        regrouped = await self.store.regrouped_at()
        if regrouped != self._regrouped:
            self._regrouped, self._index_loaded = regrouped, False

    async def _load_index(self) -> None:
        if self._index_loaded:
            return
        cluster = self.cfg.settings.cluster
        reach = max(cluster.window, cluster.events.open_window)
        since = self.clock() - reach
        self.grouper = self._new_grouper()
        # taken first: a story post written meanwhile is read again later, never missed
        async with self.store.engine.connect() as conn:
            self._post_mark = await Tx(conn).max_post_id()
        now = self.clock()
        async for story_id, sig, features, still_open, seen in self.store.story_signatures(since):
            # each step over its own window: reposts of the last `cluster.window`; events of
            # `events.window`, or of `open_window` while the story's alert is handled
            copies = sig if now - seen <= cluster.window else None
            events_window = cluster.events.open_window if still_open else cluster.events.window
            event = features if now - seen <= events_window else None
            self._learn(story_id, copies, event, open=still_open)
        self._index_loaded = True

    # ------------------------------------------------------------------ patrol

    async def run(
        self,
        sources: Sequence[Source] | None = None,
        *,
        progress: Callable[[SourceReport], None] | None = None,
        duty_at: datetime | None = None,
    ) -> PatrolReport:
        """Patrol every enabled source (or the given ones) with a bounded worker pool.

        `duty_at`: this run is the duty patrol scheduled then; its digest delivers the stories
        found, so their claim deadlines count from it (workflow/duty.py)."""
        started = time.perf_counter()
        self.duty_at = duty_at
        todo = [s for s in (sources if sources is not None else self.cfg.sources.sources)]
        todo = [s for s in todo if s.enabled or sources is not None]
        await self.refresh_grouping()
        await self._load_index()
        # Every first list page's ETag / Last-Modified in a few queries, not one per source.
        first_urls = [u for s in todo for u in s.list_urls]
        self._validators = await self.store.validators(first_urls)
        self._preloaded = frozenset(first_urls)
        self._health = await self.store.source_health()
        queue: asyncio.Queue[Source] = asyncio.Queue()
        for s in todo:
            queue.put_nowait(s)
        reports: list[SourceReport] = []

        async def worker() -> None:
            while True:
                try:
                    source = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                report = await self.patrol_source(source)
                reports.append(report)
                if progress is not None:
                    progress(report)

        workers = max(1, min(len(todo), self.cfg.settings.http.concurrency))
        await asyncio.gather(*(worker() for _ in range(workers)))
        order = {s.id: i for i, s in enumerate(todo)}
        reports.sort(key=lambda r: order.get(r.source_id, 0))
        self._validators, self._preloaded = {}, frozenset()
        self.duty_at = None
        await self.store.flush()
        return PatrolReport(sources=tuple(reports), elapsed=time.perf_counter() - started)

    async def preload(self, sources: Sequence[Source]) -> None:
        """Read these sources' state for `patrol_source` in two queries (their first list
        pages' validators, their health), not one per source: a worker's job does this for its
        batch, as `run` does for all. `unload` forgets it when they are done."""
        urls = [u for s in sources for u in s.list_urls]
        self._validators.update(await self.store.validators(urls))
        self._preloaded = self._preloaded.union(urls)
        self._health.update(await self.store.source_health([s.id for s in sources]))

    def unload(self, sources: Sequence[Source]) -> None:
        """Forget what `preload` read: another worker may patrol these sources next."""
        urls = [u for s in sources for u in s.list_urls]
        for u in urls:
            self._validators.pop(u, None)
        self._preloaded = self._preloaded.difference(urls)
        for s in sources:
            self._health.pop(s.id, None)

    async def patrol_source(self, source: Source) -> SourceReport:
        """Fetch, extract, match, cluster and store one source. Never raises."""
        started = time.perf_counter()
        tally = Tally()
        url = str(source.url)
        try:
            await self._load_index()
            src = resolve(source)
            policy = fetch_policy(self.cfg, src)
            for list_url in src.list_urls:
                url = list_url
                await self._patrol_list(src, policy, list_url, tally)
        except Interrupted as e:  # not the source's fault: no health, no fetch record
            log.info("source cut short: %s", e, extra={"source_id": source.id, "url": url})
            return self._report(source, tally, started, error=e, url=url)
        except SentinelError as e:
            log.warning(
                "source failed: %s",
                e,
                extra={"source_id": source.id, "url": getattr(e, "url", "") or url},
            )
            await self._observe(source, tally, e)
            return self._report(source, tally, started, error=e, url=getattr(e, "url", "") or url)
        except Exception as e:  # a bug in one source's handling must not stop the patrol
            log.exception("source crashed", extra={"source_id": source.id, "url": url})
            return self._report(source, tally, started, error=e, url=url)
        await self._observe(source, tally, None)
        return self._report(source, tally, started)


def _database_url(cfg: Config) -> str:
    return database_url(cfg.settings)
