"""One feed entry into a Post: the rules both feed readers share.

feedparser (feed.py) and the lxml fast path (feedfast.py) read the fields in their own ways;
what a post is made of them — which link, which title, which body — is decided here once, so
the two give identical Posts by construction, not by keeping two copies alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sentinel.config.models import Source
from sentinel.extract.items import item_at
from sentinel.extract.post import Post
from sentinel.extract.text import collapse, html_to_text
from sentinel.extract.urls import is_web_url, web_url
from sentinel.fetch.page import Page

# A feed without titles is rare but legal (RSS 2.0 needs only a description): use its start.
TITLE_FROM_BODY = 80


def entry_post(
    src: Source,
    page: Page,
    *,
    link: str,
    guid: str,
    title: str,
    contents: Sequence[str],
    summary: str,
    author: str,
    published: Callable[[], datetime | None],
) -> Post | None:
    """The entry's Post, or None without a web link or any title. `title`, `contents` and
    `summary` may hold HTML; the longest content wins over a shorter summary. `published` is
    asked only for an entry that makes a post."""
    if not link:
        link = guid if is_web_url(guid) else ""
    if not link:
        return None
    url = web_url(link, page.url)
    if url is None:
        return None
    with item_at(url):
        return _entry(src, url, title, contents, summary, author, published)


def _entry(
    src: Source,
    url: str,
    title: str,
    contents: Sequence[str],
    summary: str,
    author: str,
    published: Callable[[], datetime | None],
) -> Post | None:
    raw = max(contents, key=len) if contents else ""
    body = html_to_text(raw if len(raw) >= len(summary) else summary)
    text = collapse(html_to_text(title)) or collapse(body)[:TITLE_FROM_BODY]
    if not text:
        return None
    return Post(
        source_id=src.id,
        url=url,
        title=text,
        body=body,
        published_at=published(),
        author=collapse(author) or None,
    )
