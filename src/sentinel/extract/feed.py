"""RSS 0.9x/1.0/2.0 and Atom: the lxml fast path when it is sure, else feedparser.

feedparser's exceptions never leave this module."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from sentinel.config.models import Source
from sentinel.errors import ExtractError
from sentinel.extract.dates import has_zone, parse_date
from sentinel.extract.feedfast import extract_feed_fast
from sentinel.extract.post import Post
from sentinel.extract.text import collapse, html_to_text
from sentinel.extract.urls import is_web_url, web_url
from sentinel.fetch.page import Page

# A feed without titles is rare but legal (RSS 2.0 needs only a description): use its start.
TITLE_FROM_BODY = 80


def extract_feed(src: Source, page: Page) -> list[Post]:
    fast = extract_feed_fast(src, page)
    if fast is not None:
        return fast
    return extract_feed_reference(src, page)


def extract_feed_reference(src: Source, page: Page) -> list[Post]:
    """feedparser: slow, and right about every broken feed there is."""
    if not page.body.strip():  # feedparser calls an empty document a fine, empty feed
        raise ExtractError("not an RSS or Atom feed (empty body)", url=page.url, source_id=src.id)
    headers = {"content-location": page.url}
    if page.content_type or page.charset:
        ctype = page.content_type or "application/xml"
        headers["content-type"] = f"{ctype}; charset={page.charset}" if page.charset else ctype
    if src.encoding:  # the operator knows better than the feed's declaration
        headers["content-type"] = (
            f"{page.content_type or 'application/xml'}; charset={src.encoding}"
        )
    try:
        # A stream, never bytes or str: feedparser would treat a string as a URL or file name.
        parsed = feedparser.parse(io.BytesIO(page.body), response_headers=headers)
    except Exception as e:  # feedparser has no exception hierarchy of its own to catch
        raise ExtractError(f"feed parser failed: {e}", url=page.url, source_id=src.id) from e
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries and not parsed.get("version"):
        feed = parsed.get("feed") or {}
        if not feed.get("title"):
            reason = parsed.get("bozo_exception")
            raise ExtractError(
                f"not an RSS or Atom feed ({type(reason).__name__}: {reason})"
                if reason is not None
                else "not an RSS or Atom feed",
                url=page.url,
                source_id=src.id,
            )
    posts: list[Post] = []
    seen: set[str] = set()
    for entry in entries:
        post = _post(src, page, entry)
        if post is not None and post.url not in seen:
            seen.add(post.url)
            posts.append(post)
    return posts


def _post(src: Source, page: Page, entry: Any) -> Post | None:
    link = entry.get("link") or ""
    if not link:
        guid = str(entry.get("id") or "")
        link = guid if is_web_url(guid) else ""
    if not link:
        return None
    url = web_url(str(link), page.url)
    if url is None:
        return None
    body = _body(entry)
    title = collapse(html_to_text(str(entry.get("title") or "")))
    if not title:
        title = collapse(body)[:TITLE_FROM_BODY]
    if not title:
        return None
    author = collapse(str(entry.get("author") or "")) or None
    return Post(
        source_id=src.id,
        url=url,
        title=title,
        body=body,
        published_at=_published(entry, page.fetched_at, src.date_format),
        author=author,
    )


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    values = [str(c.get("value") or "") for c in contents]
    raw = max(values, key=len) if values else ""
    summary = str(entry.get("summary") or "")
    return html_to_text(raw if len(raw) >= len(summary) else summary)


def _published(entry: Any, now: datetime, fmt: str | None) -> datetime | None:
    for key in ("published", "updated", "created"):
        raw = str(entry.get(key) or "")
        struct = entry.get(f"{key}_parsed")
        if not raw and struct is None:
            continue
        # feedparser reads a time without a zone as UTC; Chinese feeds mean Beijing time.
        if struct is not None and (has_zone(raw) or not raw):
            return _from_struct(struct)
        ours = parse_date(raw, now, fmt=fmt)
        if ours is not None:
            return ours
        if struct is not None:
            return _from_struct(struct)
    return None


def _from_struct(struct: time.struct_time) -> datetime | None:
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
