"""The new posts of one list page: their own pages read, matched, and stored, critical titles
first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sentinel.config import Severity, Source
from sentinel.extract.post import Post
from sentinel.fetch.page import FetchPolicy, Page
from sentinel.locks import PriorityLock
from sentinel.pipeline.cut import Cut
from sentinel.pipeline.records import Tally
from sentinel.pipeline.rules import story_severity
from sentinel.pipeline.stories import StoryWriter
from sentinel.read import Reader
from sentinel.sources.reach import on_site, own_hosts

log = logging.getLogger("sentinel.pipeline")


class FreshPosts(StoryWriter):
    """The part of a patrol that stores a list page's new posts (Patrol inherits it)."""

    reader: Reader
    cut: Cut
    _cluster_lock: PriorityLock

    async def _details(
        self, src: Source, policy: FetchPolicy, posts: Sequence[Post], tally: Tally
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
        async with self.cut.reading():
            read = await self.reader.read_details(src, policy, wanted)
        done = {d.post.url: d for d in read}
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
                tally.details_read += 1
                tally.details_empty += not d.post.body.strip()
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
        # is queued at once (docs/workflow.md: critical alerts are pushed at once).
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
            fresh, pages = await self._details(src, policy, fresh, tally)
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
