"""Noticing deleted posts: the pages of posts in stories are read again after a patrol.

A post that answers 404/410, or a page that now says the thread was deleted (Discuz!, Tieba and
CMS wordings), is marked deleted with the time it was noticed. Nothing is removed: the stored
evidence of the post stays. A fetch that fails for any other reason (timeout, 5xx, robots)
proves nothing and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime

from sentinel.errors import HTTPStatusError, SentinelError
from sentinel.fetch.charset import decode_html
from sentinel.pipeline import Patrol, fetch_policy

log = logging.getLogger("sentinel.recheck")

# Phrases sites show in place of a removed post; each specific enough not to appear in a post.
GONE_MARKERS = (
    "指定的主题不存在或已被删除",  # Discuz!
    "抱歉，指定的主题不存在",  # Discuz!
    "该帖已被删除",  # Tieba
    "很抱歉，该贴已被删除",  # Tieba
    "贴子已被删除",
    "此帖已被删除",
    "该信息已被删除",
    "该内容已被删除",
    "抱歉，您访问的页面不存在",
)
GONE_STATUS = (404, 410)


def looks_gone(text: str) -> bool:
    return any(marker in text for marker in GONE_MARKERS)


async def recheck_gone(patrol: Patrol, *, at: datetime | None = None) -> int:
    """Re-read recent story posts; mark the ones that are gone. Returns how many were marked."""
    settings = patrol.cfg.settings.recheck
    if not settings.enabled or settings.limit == 0:
        return 0
    now = at or patrol.clock()
    sources = {s.id: s for s in patrol.cfg.sources.sources if s.enabled}
    todo = [
        (sid, url)
        for sid, url in await patrol.store.posts_to_recheck(now - settings.window, settings.limit)
        if sid in sources
    ]
    gone: dict[str, list[str]] = defaultdict(list)

    async def check(source_id: str, url: str) -> None:
        src = sources[source_id]
        try:
            page = await patrol.fetcher.get(url, policy=fetch_policy(patrol.cfg, src))
        except HTTPStatusError as e:
            if e.status in GONE_STATUS:
                gone[source_id].append(url)
            return
        except SentinelError as e:
            log.info("recheck failed: %s", e, extra={"source_id": source_id, "url": url})
            return
        text, _ = decode_html(page.body, header_charset=page.charset, override=src.encoding)
        if looks_gone(text):
            gone[source_id].append(url)

    # Politeness is the fetcher's: per-host limits hold however many checks are started here.
    await asyncio.gather(*(check(sid, url) for sid, url in todo))
    marked = 0
    for source_id, urls in gone.items():
        marked += await patrol.store.mark_gone(source_id, urls, now)
    if marked:
        log.info("%d posts found deleted", marked)
    return marked
