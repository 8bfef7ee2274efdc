"""A source's list pages in one patrol: walked page by page, each fetch recorded, and the
source's health folded from what they showed."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sentinel.config import Config, Source
from sentinel.errors import FetchError, HTTPStatusError, SentinelError
from sentinel.fetch.page import FetchPolicy, Page, Validators
from sentinel.pipeline.cut import Cut
from sentinel.pipeline.fresh import FreshPosts
from sentinel.pipeline.records import SourceReport, Tally
from sentinel.pipeline.rules import error_kind
from sentinel.read import ListRead
from sentinel.sources.health import Health, Observation
from sentinel.sources.health import step as health_step
from sentinel.store import FetchRecord

log = logging.getLogger("sentinel.pipeline")


class ListWalker(FreshPosts):
    """The part of a patrol that reads a source's list pages and records what each fetch and
    the source's health came to (Patrol inherits it)."""

    cfg: Config
    cut: Cut
    _validators: dict[str, Validators]
    _preloaded: frozenset[str]
    _health: dict[str, Health]

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
            details_read=tally.details_read,
            details_empty=tally.details_empty,
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
            async with self.cut.reading():
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
