"""Extract: from a fetched Page to frozen Post records, by the source's kind.

extract_list     rss → feedparser (feed.py); html → selectolax (html.py); json (jsonapi.py)
extract_detail   the post's own page, for its body
next_page        the list's next page, for pagination
canonical_url    urls.py: fragment and tracking parameters dropped, query sorted
parse_date       dates.py: Chinese forms, relative to the fetch time, Asia/Shanghai
parse_count      numbers.py: "1.2万" → 12000

Pages are untrusted: an item that cannot be read is skipped and recorded (items.py), every
value is made storable (values.py), and what reaches a parser is bounded (limits.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sentinel.config.models import Source, SourceKind
from sentinel.extract.dates import parse_date
from sentinel.extract.feed import extract_feed
from sentinel.extract.html import extract_html, extract_post_page, next_link
from sentinel.extract.items import ItemError, Skipped
from sentinel.extract.jsonapi import extract_json
from sentinel.extract.numbers import parse_count
from sentinel.extract.post import Post
from sentinel.extract.urls import canonical_url
from sentinel.extract.values import storable
from sentinel.fetch.page import Page


def extract_list(src: Source, page: Page, skipped: list[Skipped] | None = None) -> list[Post]:
    """The posts on a list page, feed or API answer. Raises ExtractError when it is none.

    Items that could not be read are left out and appended to `skipped` with their reason.
    """
    skipped = [] if skipped is None else skipped
    if src.kind is SourceKind.rss:
        posts = extract_feed(src, page, skipped)
    elif src.kind is SourceKind.json:
        posts = extract_json(src, page, skipped)
    else:
        posts = extract_html(src, page, skipped)
    return _storable(posts, page, skipped)


def extract_detail(src: Source, page: Page, post: Post) -> Post:
    """The post with its body (and title/date, when `detail` selects them) from its own page."""
    if src.detail is None:
        return post
    return storable(extract_post_page(src, page, post, src.detail), page.fetched_at)


def next_page(src: Source, page: Page) -> str | None:
    """The absolute URL of the next list page, or None."""
    if src.kind is not SourceKind.html:
        return None
    return next_link(src, page)


def _storable(posts: Iterable[Post], page: Page, skipped: list[Skipped]) -> list[Post]:
    out = []
    for post in posts:
        try:
            out.append(storable(post, page.fetched_at))
        except ItemError as e:
            skipped.append(Skipped(e.url, e.message))
    return out


__all__ = [
    "Post",
    "Skipped",
    "canonical_url",
    "extract_detail",
    "extract_list",
    "next_page",
    "parse_count",
    "parse_date",
]
