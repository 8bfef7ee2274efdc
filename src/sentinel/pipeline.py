"""The one place where the stages meet: fetch → extract → match → cluster → store.

`Patrol.patrol_source()` is the whole life of one source in one patrol, as miniflux's
`RefreshFeed` is for a feed. Every stage takes and returns plain records; none calls a later one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from sentinel.cluster import StoryIndex, from_bytes, signature, to_bytes
from sentinel.config import Config, Severity, Source
from sentinel.errors import ExtractError, FetchError, HTTPStatusError, SentinelError
from sentinel.extract import extract_detail, extract_list, next_page
from sentinel.extract.post import Post
from sentinel.fetch import Fetcher
from sentinel.fetch.charset import decode_html
from sentinel.fetch.page import FetchPolicy, Page, Validators
from sentinel.locks import PriorityLock
from sentinel.match import Hit, Matcher
from sentinel.sources import resolve
from sentinel.sources.health import Health, Observation, looks_blocked
from sentinel.sources.health import step as health_step
from sentinel.sources.reach import on_site
from sentinel.store import FetchRecord, KnownPost, PostLink, Store, Tx, database_url
from sentinel.workflow.alerts import build_policy, escalate, open_alert

log = logging.getLogger("sentinel.pipeline")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceReport:
    source_id: str
    ok: bool = True
    pages: int = 0  # list pages, feeds and API answers fetched
    details: int = 0  # posts' own pages fetched for their bodies
    not_modified: int = 0
    items: int = 0
    posts_new: int = 0
    hits_new: int = 0
    stories_new: int = 0
    error: str | None = None
    error_kind: str | None = None
    url: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PatrolReport:
    sources: tuple[SourceReport, ...] = ()
    elapsed: float = 0.0

    @property
    def sources_ok(self) -> int:
        return sum(r.ok for r in self.sources)

    @property
    def sources_failed(self) -> int:
        return sum(not r.ok for r in self.sources)

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.sources)

    @property
    def details(self) -> int:
        return sum(r.details for r in self.sources)

    @property
    def not_modified(self) -> int:
        return sum(r.not_modified for r in self.sources)

    @property
    def posts_new(self) -> int:
        return sum(r.posts_new for r in self.sources)

    @property
    def hits_new(self) -> int:
        return sum(r.hits_new for r in self.sources)

    @property
    def stories_new(self) -> int:
        return sum(r.stories_new for r in self.sources)


@dataclass(frozen=True, kw_only=True, slots=True)
class TriedPost:
    post: Post
    hits: tuple[Hit, ...]
    new: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class TryResult:
    source_id: str
    url: str
    status: int
    encoding_hint: str | None
    posts: tuple[TriedPost, ...] = ()


@dataclass(kw_only=True, slots=True)
class _Tally:
    pages: int = 0
    details: int = 0
    not_modified: int = 0
    items: int = 0
    dated: int = 0  # items with a published time (a layout change loses them)
    status: int | None = None  # of the last list page fetched
    blocked: bool = False  # a list page came back as a captcha / anti-bot wall
    posts_new: int = 0
    hits_new: int = 0
    stories_new: int = 0


def fetch_policy(cfg: Config, source: Source) -> FetchPolicy:
    """How the source is fetched; ConfigError when an `{env: NAME}` it needs is not set."""
    from sentinel.sources.reach import reach

    polite = source.politeness or cfg.sources.defaults.politeness
    own = reach(source)
    return FetchPolicy(
        source_id=source.id,
        rate=polite.rate,
        concurrency=polite.concurrency,
        robots=polite.robots,
        allow_private=source.allow_private,
        encoding=source.encoding,
        headers=own.headers,
        cookies=own.cookies,
        proxy=own.proxy,
    )


def route(cfg: Config, source: Source, hits: Sequence[Hit]) -> str | None:
    """谁主管、谁负责: the topic's department; else the site's territory; several → lead office."""
    topics = {t.id: t for t in cfg.keywords.topics}
    departments = sorted({topics[h.topic_id].department for h in hits if h.topic_id in topics})
    if len(departments) == 1:
        return departments[0]
    if not departments:
        return source.department
    lead = cfg.settings.lead_department
    return lead.id if lead else departments[0]


def story_severity(cfg: Config, hits: Sequence[Hit]) -> Severity:
    topics = {t.id: t for t in cfg.keywords.topics}
    levels = [topics[h.topic_id].severity for h in hits if h.topic_id in topics]
    return max(levels, key=lambda s: s.rank, default=Severity.general)


class Patrol:
    """The services one patrol needs, opened once and shared by every source."""

    def __init__(
        self,
        cfg: Config,
        *,
        store: Store,
        fetcher: Fetcher,
        matcher: Matcher,
        clock: Clock = utcnow,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.fetcher = fetcher
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
    ) -> Patrol:
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
        return cls(cfg, store=store, fetcher=fetcher, matcher=matcher, clock=clock)

    async def close(self) -> None:
        try:
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
        tally = _Tally()
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

    async def _observe(self, source: Source, tally: _Tally, error: SentinelError | None) -> None:
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
            kind = error.kind if isinstance(error, FetchError) else type(error).__name__
        obs = Observation(
            status=status,
            error_kind=kind,
            items=tally.items,
            titles_found=tally.items,  # extraction keeps only items with a title
            dates_found=tally.dated,
            blocked_page=tally.blocked,
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
        tally: _Tally,
        started: float,
        *,
        error: BaseException | None = None,
        url: str | None = None,
    ) -> SourceReport:
        kind = None
        if error is not None:
            kind = error.kind if isinstance(error, FetchError) else type(error).__name__
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
        self, src: Source, policy: FetchPolicy, first_url: str, tally: _Tally
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
            page = await self._fetch(src, policy, page_url, known)
            tally.pages += 1
            tally.status = page.status
            if page.not_modified:
                tally.not_modified += 1
                await self.store_fetch(src, page, items=0, new_items=0)
                return
            try:
                posts = extract_list(src, page)
            except ExtractError as e:
                await self._record_error(src, page_url, page.fetched_at, e, status=page.status)
                raise
            tally.items += len(posts)
            tally.dated += sum(p.published_at is not None for p in posts)
            if not posts and page_no == 0:
                # An empty list may be a wall put up in front of the page: worth a look only then.
                text, _ = decode_html(page.body, header_charset=page.charset, override=src.encoding)
                tally.blocked = looks_blocked(text)
            new = await self._store_posts(src, policy, page, posts, tally)
            await self.store_fetch(src, page, items=len(posts), new_items=new)
            page_url = next_page(src, page) if page_no + 1 < src.pages else None

    async def _fetch(
        self, src: Source, policy: FetchPolicy, url: str, validators: Validators | None
    ) -> Page:
        started = self.clock()
        try:
            return await self.fetcher.get(url, policy=policy, validators=validators)
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
        kind = error.kind if isinstance(error, FetchError) else type(error).__name__
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

    async def _detail(
        self, src: Source, policy: FetchPolicy, post: Post
    ) -> tuple[Post, Page | None]:
        """The post's own page, for its body; a failure keeps the list's version of the post.

        Only on the source's own site (its list pages' hosts, or `hosts:`): a list may link
        anywhere, and the source's cookies, rate and allow_private were granted for its site.
        """
        if not on_site(src, post.url):
            log.info(
                "detail page skipped: not on the source's site (add its host to `hosts:`)",
                extra={"source_id": src.id, "url": post.url},
            )
            return post, None
        try:
            page = await self.fetcher.get(post.url, policy=policy)
            return extract_detail(src, page, post), page
        except SentinelError as e:
            log.info("detail page failed: %s", e, extra={"source_id": src.id, "url": post.url})
            return post, None

    async def _store_posts(
        self,
        src: Source,
        policy: FetchPolicy,
        page: Page,
        posts: Sequence[Post],
        tally: _Tally,
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
        pages: dict[str, Page] = {}
        if src.detail is not None:
            tally.details += len(fresh)
            done = await asyncio.gather(*(self._detail(src, policy, p) for p in fresh))
            fresh = [p for p, _ in done]
            pages = {p.url: d for p, d in done if d is not None}
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

    async def _store_with_hits(
        self,
        src: Source,
        page: Page,
        fresh: Sequence[Post],
        hits: dict[str, tuple[Hit, ...]],
        pages: dict[str, Page],
        now: datetime,
        tally: _Tally,
        urgent: bool,
    ) -> int:
        added = 0
        try:
            async with self.store.transaction(urgent=urgent) as tx:
                # Other processes may have opened stories since the index was loaded: decide
                # under the cross-process lock, after reading theirs.
                await tx.lock_stories()
                mark = self._post_mark
                for known_id, known_story, known_sig in await tx.signatures_after(mark):
                    self.index.add(known_story, from_bytes(known_sig))
                    mark = max(mark, known_id)
                inserted = await tx.insert_posts(fresh, seen_at=now)
                links: list[PostLink] = []
                evidence: dict[str, str] = {}
                for post in fresh:
                    post_id = inserted.get(post.url)
                    post_hits = hits[post.url]
                    if post_id is None or not post_hits:
                        continue
                    proof = pages.get(post.url, page)
                    if proof.url not in evidence:
                        evidence[proof.url] = await tx.put_evidence(
                            body=proof.body,
                            url=proof.url,
                            content_type=proof.content_type,
                            fetched_at=proof.fetched_at,
                        )
                    sig = signature(self.matcher.tokens(post.text), self.matcher.tokens(post.title))
                    found = self.index.find(sig)
                    if found is not None:
                        story_id = found[0]
                    else:
                        severity = story_severity(self.cfg, post_hits)
                        department = route(self.cfg, src, post_hits)
                        story_id = await tx.create_story(
                            topic_id=post_hits[0].topic_id,
                            title=post.title,
                            severity=severity.value,
                            department=department,
                            first_seen_at=now,
                        )
                        # every new story opens its one alert in the same transaction
                        await open_alert(
                            tx,
                            self.policy,
                            story_id=story_id,
                            department=department or self._fallback_department(),
                            severity=severity.value,
                            board=src.board,
                            detected_at=now,
                        )
                        tally.stories_new += 1
                        if severity is Severity.critical:
                            # Critical events are pushed at once: the push is queued in the
                            # same transaction as the story, so neither exists without the other.
                            await tx.enqueue_push(
                                story_id=story_id,
                                fetched_at=proof.fetched_at,
                                created_at=self.clock(),
                            )
                    self.index.add(story_id, sig)
                    added += 1
                    links.append(
                        PostLink(
                            post_id=post_id,
                            story_id=story_id,
                            signature=to_bytes(sig),
                            evidence_hash=evidence[proof.url],
                            hits=post_hits,
                        )
                    )
                    tally.hits_new += len(post_hits)
                await tx.attach(links)
                mark = max([mark, *(link.post_id for link in links)])
                await self._escalate(
                    tx,
                    await self._spread_signals(tx, src, [link.story_id for link in links]),
                    at=now,
                    fetched_at=page.fetched_at,
                )
        except BaseException:
            # The index may now name stories that were rolled back: rebuild it from the store.
            if added:
                self._index_loaded = False
            raise
        self._post_mark = max(self._post_mark, mark)
        tally.posts_new += len(inserted)
        return len(inserted)

    def _fallback_department(self) -> str:
        # a story no topic or territory places goes to the lead office, which designates
        lead = self.cfg.settings.lead_department
        return lead.id if lead else ""

    async def _spread_signals(
        self, tx: Tx, src: Source, story_ids: Sequence[int]
    ) -> dict[int, list[tuple[str, str]]]:
        """Art. 7 evidence in this page: a news outlet carries the story, or it spread wide."""
        if not story_ids:
            return {}
        rules = self.cfg.settings.escalation
        signals: dict[int, list[tuple[str, str]]] = {}
        for story_id, n in (await tx.story_source_counts(story_ids)).items():
            if n >= rules.spread_sources:
                signals.setdefault(story_id, []).append(("spread", f"carried by {n} sources"))
        if src.media:
            for story_id in dict.fromkeys(story_ids):
                signals.setdefault(story_id, []).append(
                    ("media", f"reported by the news outlet {src.id}")
                )
        return signals

    def _reply_surges(
        self, posts: Sequence[Post], known: dict[str, KnownPost]
    ) -> dict[int, list[tuple[str, str]]]:
        rules = self.cfg.settings.escalation
        signals: dict[int, list[tuple[str, str]]] = {}
        for p in posts:
            k = known.get(p.url)
            if k is None or k.story_id is None or p.replies is None or k.replies is None:
                continue
            grown = p.replies - k.replies
            doubled = p.replies >= k.replies * rules.reply_factor
            if grown >= rules.reply_growth or (doubled and grown >= rules.reply_factor_min):
                signals.setdefault(k.story_id, []).append(
                    ("replies", f"replies grew from {k.replies} to {p.replies} since last patrol")
                )
        return signals

    async def _escalate(
        self,
        tx: Tx,
        signals: dict[int, list[tuple[str, str]]],
        *,
        at: datetime,
        fetched_at: datetime,
    ) -> None:
        if not signals:
            return
        for story_id in await escalate(tx, self.policy, signals, at=at):
            # raised to critical: pushed at once, like a story born critical
            await tx.enqueue_push(story_id=story_id, fetched_at=fetched_at, created_at=at)


def _database_url(cfg: Config) -> str:
    return database_url(cfg.settings)


async def try_source(
    cfg: Config, source: Source, *, store: Store | None = None, fetcher: Fetcher | None = None
) -> TryResult:
    """Fetch one source now and show what extraction and matching make of it; writes nothing."""
    src = resolve(source)
    policy = fetch_policy(cfg, src)
    own = fetcher is None
    client = fetcher or Fetcher(cfg.settings.http)
    try:
        page = await client.get(str(src.url), policy=policy)
        posts = extract_list(src, page)
        if src.detail is not None:
            posts = [
                extract_detail(src, d, p)
                if on_site(src, p.url) and (d := await _maybe(client, policy, p.url))
                else p
                for p in posts
            ]
    finally:
        if own:
            await client.aclose()
    matcher = Matcher(cfg.keywords, engine=cfg.settings.match.engine)
    known = await store.known_urls(src.id, [p.url for p in posts]) if store else set()
    tried = tuple(
        TriedPost(
            post=p,
            hits=tuple(matcher.match(p.text, territorial=src.territorial)),
            new=p.url not in known,
        )
        for p in posts
    )
    return TryResult(
        source_id=src.id,
        url=page.url,
        status=page.status,
        encoding_hint=page.charset,
        posts=tried,
    )


async def _maybe(fetcher: Fetcher, policy: FetchPolicy, url: str) -> Page | None:
    try:
        return await fetcher.get(url, policy=policy)
    except FetchError:
        return None


__all__ = [
    "Patrol",
    "PatrolReport",
    "SourceReport",
    "TriedPost",
    "TryResult",
    "fetch_policy",
    "route",
    "try_source",
    "utcnow",
]
