"""The one place where the stages meet: fetch → extract → match → cluster → store.

`Patrol.patrol_source()` is the whole life of one source in one patrol, as miniflux's
`RefreshFeed` is for a feed. Every stage takes and returns plain records; none calls a later one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType

from sentinel.cluster import StoryIndex, from_bytes
from sentinel.config import Config, Severity, Source
from sentinel.errors import FetchError, HTTPStatusError, SentinelError
from sentinel.extract.post import Post
from sentinel.fetch import Fetcher
from sentinel.fetch.page import FetchPolicy, Page, Validators
from sentinel.locks import PriorityLock
from sentinel.match import Matcher
from sentinel.pipeline.records import (
    Clock,
    PatrolReport,
    SourceReport,
    Tally,
    utcnow,
)
from sentinel.pipeline.rules import error_kind, fetch_policy, story_severity
from sentinel.pipeline.stories import StoryWriter
from sentinel.read import ListRead, LocalReader, Reader, ScoutPool
from sentinel.sources import resolve
from sentinel.sources.health import Health, Observation
from sentinel.sources.health import step as health_step
from sentinel.sources.reach import on_site, own_hosts
from sentinel.store import FetchRecord, Store, Tx, database_url
from sentinel.workflow.alerts import build_policy

log = logging.getLogger("sentinel.pipeline")


class Patrol(StoryWriter):
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
        self.index = StoryIndex(threshold=cfg.settings.cluster.threshold)
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

    async def _load_index(self) -> None:
        if self._index_loaded:
            return
        since = self.clock() - self.cfg.settings.cluster.window
        index = StoryIndex(threshold=self.cfg.settings.cluster.threshold)
        # taken first: a story post written meanwhile is read again later, never missed
        async with self.store.engine.connect() as conn:
            self._post_mark = await Tx(conn).max_post_id()
        for story_id, sig in await self.store.story_signatures(since):
            index.add(story_id, from_bytes(sig))
        self.index = index
        self._index_loaded = True

    # ------------------------------------------------------------------ patrol

    async def run(
        self,
        sources: Sequence[Source] | None = None,
        *,
        progress: Callable[[SourceReport], None] | None = None,
    ) -> PatrolReport:
        """Patrol every enabled source (or the given ones) with a bounded worker pool."""
        started = time.perf_counter()
        todo = [s for s in (sources if sources is not None else self.cfg.sources.sources)]
        todo = [s for s in todo if s.enabled or sources is not None]
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
        await self.store.flush()
        return PatrolReport(sources=tuple(reports), elapsed=time.perf_counter() - started)

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

    async def _observe(self, source: Source, tally: Tally, error: SentinelError | None) -> None:
        """Fold this patrol into the source's health; a change is recorded as an event."""
        if error is None and tally.not_modified and tally.pages == tally.not_modified:
            return  # a 304 says nothing about the layout
        status: int | None
        kind: str | None
        if error is None:
            status, kind = tally.status, None
        elif isinstance(error, HTTPStatusError):
            status, kind = error.status, None  # 403/429 mean blocked, other codes failure
        else:
            status = None
            kind = error_kind(error)
        obs = Observation(
            status=status,
            error_kind=kind,
            items=tally.items,
            titles_found=tally.items,  # extraction keeps only items with a title
            dates_found=tally.dated,
            blocked_page=tally.blocked,
            skipped=tuple(tally.skipped),
        )
        before = self._health.get(source.id, Health())
        after, event = health_step(before, obs)
        self._health[source.id] = after
        if event is not None:
            log.warning(
                "source health %s: %s (%s)",
                event.kind,
                event.state.value,
                event.reason,
                extra={"source_id": source.id},
            )
        if after != before or event is not None:
            await self.store.record_health(source.id, after, event, self.clock())

    def _report(
        self,
        source: Source,
        tally: Tally,
        started: float,
        *,
        error: BaseException | None = None,
        url: str | None = None,
    ) -> SourceReport:
        kind = error_kind(error) if error is not None else None
        return SourceReport(
            source_id=source.id,
            ok=error is None,
            pages=tally.pages,
            details=tally.details,
            not_modified=tally.not_modified,
            items=tally.items,
            posts_new=tally.posts_new,
            hits_new=tally.hits_new,
            stories_new=tally.stories_new,
            error=str(error) if error is not None else None,
            error_kind=kind,
            url=url,
            elapsed=time.perf_counter() - started,
        )

    async def _patrol_list(
        self, src: Source, policy: FetchPolicy, first_url: str, tally: Tally
    ) -> None:
        page_url: str | None = first_url
        for page_no in range(src.pages):
            if page_url is None:
                return
            # Conditional GET only for the first page: later pages are reached through it.
            known = None
            if page_no == 0:
                known = self._validators.get(page_url)
                if known is None and page_url not in self._preloaded:
                    known = (await self.store.validators([page_url])).get(page_url)
            read = await self._read(src, policy, page_url, known, page_no)
            page = read.page
            tally.pages += 1
            tally.status = page.status
            if page.not_modified:
                tally.not_modified += 1
                await self.store_fetch(src, page, items=0, new_items=0)
                return
            if read.error is not None:
                e = read.error
                await self._record_error(src, page_url, page.fetched_at, e, status=page.status)
                raise e
            posts = read.posts
            for item in read.skipped:  # one bad item costs that item only (extract.items)
                log.warning(
                    "item skipped: %s", item.reason, extra={"source_id": src.id, "url": item.url}
                )
                tally.skipped.append(f"{item.url}: {item.reason}")
            tally.items += len(posts)
            tally.dated += sum(p.published_at is not None for p in posts)
            if page_no == 0:
                tally.blocked = read.blocked
            new = await self._store_posts(src, policy, page, posts, tally)
            await self.store_fetch(src, page, items=len(posts), new_items=new)
            page_url = read.next_url

    async def _read(
        self,
        src: Source,
        policy: FetchPolicy,
        url: str,
        validators: Validators | None,
        page_no: int,
    ) -> ListRead:
        started = self.clock()
        try:
            return await self.reader.read_list(
                src, policy, url, validators, first=page_no == 0, more=page_no + 1 < src.pages
            )
        except FetchError as e:
            e.source_id = e.source_id or src.id
            e.url = e.url or url
            status = e.status if isinstance(e, HTTPStatusError) else None
            await self._record_error(src, url, started, e, status=status)
            raise

    async def _record_error(
        self,
        src: Source,
        url: str,
        started: datetime,
        error: SentinelError,
        *,
        status: int | None,
    ) -> None:
        kind = error_kind(error)
        await self.store.record_fetch(
            FetchRecord(
                source_id=src.id,
                kind=src.kind.value,
                url=url,
                started_at=started,
                status=status,
                error_kind=kind,
                error=str(error),
                bytes=0,
                items=0,
                new_items=0,
                elapsed_ms=int((self.clock() - started).total_seconds() * 1000),
                validators=None,
            )
        )

    async def store_fetch(self, src: Source, page: Page, *, items: int, new_items: int) -> None:
        await self.store.record_fetch(
            FetchRecord(
                source_id=src.id,
                kind=src.kind.value,
                url=page.requested_url,
                started_at=page.fetched_at,
                status=page.status,
                error_kind=None,
                error=None,
                bytes=len(page.body),
                items=items,
                new_items=new_items,
                elapsed_ms=int(page.elapsed * 1000),
                validators=page.validators,
            )
        )

    async def _details(
        self, src: Source, policy: FetchPolicy, posts: Sequence[Post]
    ) -> tuple[list[Post], dict[str, Page]]:
        """The posts completed from their own pages (a failure keeps the list's version), and
        those pages by post URL.

        Only on the source's own site (its list pages' hosts, or `hosts:`): a list may link
        anywhere, and the source's cookies, rate and allow_private were granted for its site.
        """
        wanted = []
        hosts = own_hosts(src)
        for post in posts:
            if on_site(src, post.url, hosts):
                wanted.append(post)
            else:
                log.info(
                    "detail page skipped: not on the source's site (add its host to `hosts:`)",
                    extra={"source_id": src.id, "url": post.url},
                )
        done = {d.post.url: d for d in await self.reader.read_details(src, policy, wanted)}
        pages: dict[str, Page] = {}
        out: list[Post] = []
        for post in posts:
            d = done.get(post.url)
            if d is None:
                out.append(post)
                continue
            out.append(d.post)
            if d.page is not None:
                pages[d.post.url] = d.page
            elif d.failure is not None:
                log.info(
                    "detail page failed: %s",
                    d.failure,
                    extra={"source_id": src.id, "url": post.url},
                )
        return out, pages

    async def _store_posts(
        self,
        src: Source,
        policy: FetchPolicy,
        page: Page,
        posts: Sequence[Post],
        tally: Tally,
    ) -> int:
        if not posts:
            return 0
        known = await self.store.known_posts(src.id, [p.url for p in posts])
        fresh = [p for p in posts if p.url not in known]
        moved = [
            (k.id, p.replies, p.views)
            for p in posts
            if (k := known.get(p.url)) is not None
            and (p.replies, p.views) != (k.replies, k.views)
            and (p.replies is not None or p.views is not None)
        ]
        if moved:
            # Public reaction between patrols (Art. 7) is a severity signal: keep its history.
            surged = self._reply_surges(posts, known)
            async with self.store.transaction() as tx:
                at = self.clock()
                await tx.update_counts(moved, at=at)
                if surged:
                    await self._escalate(tx, surged, at=at, fetched_at=page.fetched_at)
        if not fresh:
            return 0
        first = [p for p in fresh if self._critical_title(src, p)] if src.detail else []
        if not first or len(first) == len(fresh):
            return await self._store_fresh(src, policy, page, fresh, tally)
        # A post whose title alone is critical does not wait for the other posts' pages: its
        # own page is read and stored (in the urgent lane) as a batch of its own, so its push
        # is queued at once (DESIGN: critical events are pushed at once).
        rest = [p for p in fresh if p not in first]
        done = await asyncio.gather(
            self._store_fresh(src, policy, page, first, tally),
            self._store_fresh(src, policy, page, rest, tally),
        )
        return sum(done)

    def _critical_title(self, src: Source, post: Post) -> bool:
        hits = tuple(self.matcher.match(post.title, territorial=src.territorial))
        return bool(hits) and story_severity(self.cfg, hits) is Severity.critical

    async def _store_fresh(
        self,
        src: Source,
        policy: FetchPolicy,
        page: Page,
        fresh: Sequence[Post],
        tally: Tally,
    ) -> int:
        """New posts of one list page: their own pages read, matched, stored, and stories."""
        pages: dict[str, Page] = {}
        if src.detail is not None:
            tally.details += len(fresh)
            fresh, pages = await self._details(src, policy, fresh)
        hits = {
            p.url: tuple(self.matcher.match(p.text, territorial=src.territorial)) for p in fresh
        }
        now = self.clock()
        if not any(hits.values()):
            async with self.store.transaction() as tx:
                inserted = await tx.insert_posts(fresh, seen_at=now)
            tally.posts_new += len(inserted)
            return len(inserted)
        urgent = any(
            story_severity(self.cfg, post_hits) is Severity.critical for post_hits in hits.values()
        )
        async with self._cluster_lock.hold(urgent=urgent):
            return await self._store_with_hits(src, page, fresh, hits, pages, now, tally, urgent)


def _database_url(cfg: Config) -> str:
    return database_url(cfg.settings)
