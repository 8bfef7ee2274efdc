"""RSS 0.9x/1.0/2.0 and Atom: the lxml fast path when it is sure, else feedparser.

feedparser's exceptions never leave this module."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from sentinel.config.models import Source
from sentinel.errors import ExtractError
from sentinel.extract.dates import has_zone, parse_date
from sentinel.extract.feedfast import ITEM_TAGS, extract_feed_fast
from sentinel.extract.feeditem import entry_post, settle_fragments
from sentinel.extract.items import Skipped, each_item
from sentinel.extract.limits import AMPERSANDS_PER_TAG, MAX_FEED_TAGS, MAX_ITEMS
from sentinel.extract.post import Post, first_per_url
from sentinel.fetch.charset import trusted_header
from sentinel.fetch.page import Page


def extract_feed(src: Source, page: Page, skipped: list[Skipped] | None = None) -> list[Post]:
    skipped = [] if skipped is None else skipped
    fast = extract_feed_fast(src, page, skipped)
    if fast is not None:
        return fast
    return extract_feed_reference(src, page, skipped)


_PIECE = re.compile(rb"<[A-Za-z/!?]|&")
_DECLARATION = 512  # bytes an XML declaration may take


def _short_declaration(body: bytes) -> bytes:
    """The feed with its XML declaration alone on the first line.

    feedparser reads the declared encoding with a backtracking pattern over the first line;
    a declaration repeating `encoding="…"` on a 20 KB line took it 5 s. A declaration that
    ends within _DECLARATION bytes gets a line of its own (XML allows the whitespace); one that
    does not end there is no declaration, and loses its `<?`.
    """
    start = len(body) - len(body.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if body[start : start + 2] != b"<?" or b"\n" in body[start : start + _DECLARATION]:
        return body
    end = body.find(b"?>", start, start + _DECLARATION)
    if end >= 0:
        return body[: end + 2] + b"\n" + body[end + 2 :]
    return body[:start] + body[start + 2 :]


# Elements whose text feedparser searches for an e-mail address, with a pattern that
# backtracks over each run of address characters: a 172 KB author took it 2.5 s. No address
# part is longer than 64 characters (RFC 5321), so longer runs are cut to that.
_AUTHOR = re.compile(rb"<(?:[A-Za-z0-9_.-]+:)?(?:author|creator|managingEditor|webMaster)\b[^<>]*>")
_ADDRESS_RUN = re.compile(rb"([A-Za-z0-9_.+-]{64})[A-Za-z0-9_.+-]+")


def _short_authors(body: bytes) -> bytes:
    """The feed with runs of address characters in its authors' text cut to 64 (whole
    characters are dropped: the bytes of a run are ASCII, and only its first can be the
    second byte of a GBK or Big5 character)."""
    out: list[bytes] = []
    done = 0
    for m in _AUTHOR.finditer(body):
        start = max(m.end(), done)
        end = body.find(b"</", start)
        end = len(body) if end < 0 else end
        out += [body[done:start], _ADDRESS_RUN.sub(rb"\1", body[start:end])]
        done = end
    return b"".join(out) + body[done:] if out else body


def _first_items(body: bytes) -> tuple[bytes, str | None]:
    """The feed cut before its (MAX_ITEMS + 1)th entry or where its tags (an `&` counting as
    a twelfth of one) pass MAX_FEED_TAGS, and why; feedparser reads a cut feed as far as it
    goes. It took 14 s on a 100k-item feed, and its tolerant parser spends up to ~50 µs on each
    tag of a feed it must repair (limits.py)."""
    cut, why = len(body), None
    for n, m in enumerate(ITEM_TAGS.finditer(body), 1):
        if n > MAX_ITEMS:
            cut, why = m.start(), f"more than {MAX_ITEMS} items: the rest not read"
            break
    budget = MAX_FEED_TAGS * AMPERSANDS_PER_TAG
    for m in _PIECE.finditer(body, 0, cut):
        budget -= 1 if body[m.start()] == 0x26 else AMPERSANDS_PER_TAG  # 0x26: `&`
        if budget < 0:
            cut = m.start()
            why = (
                f"more than {MAX_FEED_TAGS} tags ({AMPERSANDS_PER_TAG} `&` counting as one): "
                "the rest not read"
            )
            break
    return body[:cut], why


def extract_feed_reference(
    src: Source, page: Page, skipped: list[Skipped] | None = None
) -> list[Post]:
    """feedparser: slow, and right about every broken feed there is."""
    if not page.body.strip():  # feedparser calls an empty document a fine, empty feed
        raise ExtractError("not an RSS or Atom feed (empty body)", url=page.url, source_id=src.id)
    headers = {"content-location": page.url}
    charset = trusted_header(page.body, page.charset)  # not a Latin default over Chinese bytes
    if page.content_type or charset:
        ctype = page.content_type or "application/xml"
        headers["content-type"] = f"{ctype}; charset={charset}" if charset else ctype
    if src.encoding:  # the operator knows better than the feed's declaration
        headers["content-type"] = (
            f"{page.content_type or 'application/xml'}; charset={src.encoding}"
        )
    try:
        # A stream, never bytes or str: feedparser would treat a string as a URL or file name.
        body, cut = _first_items(_short_authors(_short_declaration(page.body)))
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
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
    skipped = [] if skipped is None else skipped
    if cut is not None:
        skipped.append(Skipped(page.url, cut))
    return first_per_url(
        settle_fragments(
            each_item(
                entries,
                lambda entry: _post(src, page, entry),
                page_url=page.url,
                skipped=skipped,
            )
        )
    )


def _post(src: Source, page: Page, entry: Any) -> Post | None:
    return entry_post(
        src,
        page,
        link=str(entry.get("link") or ""),
        guid=str(entry.get("id") or ""),
        title=str(entry.get("title") or ""),
        contents=[str(c.get("value") or "") for c in entry.get("content") or []],
        summary=str(entry.get("summary") or ""),
        author=str(entry.get("author") or ""),
        published=lambda: _published(entry, page.fetched_at, src.date_format),
    )


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
