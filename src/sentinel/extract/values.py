"""Values made storable: what a page says is clamped or refused before it reaches the store.

A page may hold anything a parser lets through: a lone surrogate from a JSON `\\ud800` escape
(no UTF-8 encoder takes it), a NUL (PostgreSQL text refuses it), a count past the store's
integer columns, a date before the epoch or years ahead. Each is made harmless here, once, for
every extractor: text loses what cannot be encoded, a count or date out of range becomes
unknown (None) — a missing count or date never costs a post — and a URL too long to be an
address costs its item (ItemError).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from sentinel.extract.items import ItemError
from sentinel.extract.limits import (
    EARLIEST,
    FUTURE_SLACK,
    MAX_AUTHOR,
    MAX_BODY,
    MAX_COUNT,
    MAX_TITLE,
    MAX_URL,
)
from sentinel.extract.post import Post

# Lone surrogates cannot be encoded; NUL is refused by PostgreSQL's text type.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str, limit: int) -> str:
    if len(text) > limit:
        text = text[:limit]
    if not text.isascii() or "\x00" in text:
        text = _UNSTORABLE.sub("\ufffd", text)
    return text


def count_in_range(n: int | None) -> int | None:
    return n if n is None or 0 <= n <= MAX_COUNT else None


def date_in_range(when: datetime | None, now: datetime) -> datetime | None:
    if when is None:
        return None
    try:
        return when if EARLIEST <= when <= now + FUTURE_SLACK else None
    except (OverflowError, ValueError):  # an offset that takes it outside datetime's years
        return None


def storable(post: Post, now: datetime) -> Post:
    """The post with every value the store can take; ItemError for an unusable URL."""
    if len(post.url) > MAX_URL:
        raise ItemError(f"URL of {len(post.url)} characters", url=post.url[:200] + "…")
    title = storable_text(post.title, MAX_TITLE)
    body = storable_text(post.body, MAX_BODY)
    author = storable_text(post.author, MAX_AUTHOR) if post.author else post.author
    url = storable_text(post.url, MAX_URL)
    published = date_in_range(post.published_at, now)
    replies = count_in_range(post.replies)
    views = count_in_range(post.views)
    if (title, body, author, url, published, replies, views) == (
        post.title,
        post.body,
        post.author,
        post.url,
        post.published_at,
        post.replies,
        post.views,
    ):
        return post
    return replace(
        post,
        title=title,
        body=body,
        author=author,
        url=url,
        published_at=published,
        replies=replies,
        views=views,
    )
