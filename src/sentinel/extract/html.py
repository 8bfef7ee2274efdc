"""HTML list pages and post pages, with selectolax's lexbor parser: one parse per page."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from sentinel.config.models import DetailSelectors, Source
from sentinel.errors import ExtractError
from sentinel.extract.dates import parse_date
from sentinel.extract.items import Skipped, each_item, item_at
from sentinel.extract.numbers import parse_count
from sentinel.extract.post import Post
from sentinel.extract.select import first, href, read, spec
from sentinel.extract.status import read_status
from sentinel.extract.tame import tame_html
from sentinel.extract.text import block_text, collapse, inline_text, short_text
from sentinel.extract.urls import web_url
from sentinel.fetch.charset import decode_html
from sentinel.fetch.page import Page
from sentinel.sources import Rules, rules_for

TRUNCATED = ("...", "…", "..", "．．．")
# Attributes that hold a full date when the text shows "3 天前" (Discuz! puts it in title).
DATE_ATTRS = ("title", "datetime")
# Labels sites put before a display name ("主题作者: 某某", "作者：某某"); the name is what is kept.
_AUTHOR_LABEL = re.compile(r"^(?:主题作者|作者|楼主|发帖人|发布人|留言人|提问人)\s*[:：]\s*")
# What may surround a date in a cell that holds only a date: digits, separators, brackets,
# a "发布时间：" label, relative words. Anything else means the cell is a title or a sentence.
_DATE_CELL = re.compile(
    r"[\s\d\-/.:：年月日时分秒()（）\[\]【】]|发布|时间|日期|更新|留言|今天|昨天|前天|刚刚|天前|小时前|分钟前"
)
_DATE_CELL_LEN = 40


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: LexborHTMLParser
    root: LexborNode
    base: str  # what relative links are joined to


# A list page is read by extract_list and then, for pagination, by next_page: keep the last few
# trees so the second call does not parse again. The Page is held so its id() stays unique.
_CACHE: OrderedDict[tuple[int, str | None], tuple[Page, Parsed]] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()  # extraction may run in worker threads


def forget_parsed() -> None:
    """Let the trees kept for the last pages go (a guarded child does, after each page)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def parse(page: Page, encoding: str | None) -> Parsed:
    key = (id(page), encoding)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is page:
            _CACHE.move_to_end(key)
            return hit[1]
    text, _ = decode_html(page.body, header_charset=page.charset, override=encoding)
    tree = LexborHTMLParser(tame_html(text))
    root = tree.root
    if root is None:
        tree = LexborHTMLParser("<html></html>")
        root = tree.root
        assert root is not None
    base = page.url
    base_el = tree.css_first("base[href]")
    if base_el is not None:
        declared = web_url(base_el.attributes.get("href") or "", page.url)
        if declared is not None:
            base = declared
    parsed = Parsed(tree=tree, root=root, base=base)
    with _CACHE_LOCK:
        _CACHE[key] = (page, parsed)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return parsed


@contextmanager
def selector_errors(src: Source, page: Page) -> Iterator[None]:
    """A selector lexbor cannot compile fails the source, not the patrol (nor leaks upward)."""
    try:
        yield
    except SelectolaxError as e:
        raise ExtractError(f"bad CSS selector: {e}", url=page.url, source_id=src.id) from e


def read_date(
    node: LexborNode, selector: str | None, now: datetime, fmt: str | None
) -> datetime | None:
    if not selector:
        return None
    s = spec(selector)
    el = first(node, s.css)
    if el is None:
        return None
    if s.attr is not None:
        return parse_date(el.attributes.get(s.attr), now, fmt=fmt)
    for attr in DATE_ATTRS:
        holder = el if el.attributes.get(attr) else el.css_first(f"[{attr}]")
        if holder is not None:
            found = parse_date(holder.attributes.get(attr), now, fmt=fmt)
            if found is not None:
                return found
    return parse_date(inline_text(el), now, fmt=fmt)


def scan_date(
    node: LexborNode, selector: str | None, now: datetime, fmt: str | None
) -> datetime | None:
    """The first match whose text is a date and nothing else (the `scan_date` rule)."""
    if not selector:
        return None
    s = spec(selector)
    for el in node.css(s.css) if s.css else [node]:
        text = (
            collapse(el.attributes.get(s.attr) or "") if s.attr else short_text(el, _DATE_CELL_LEN)
        )
        if not text or len(text) > _DATE_CELL_LEN or _DATE_CELL.sub("", text):
            continue
        found = parse_date(text, now, fmt=fmt)
        if found is not None:
            return found
    return None


def _longest_title(item: LexborNode, selector: str) -> tuple[str, LexborNode | None]:
    """The match with the longest title (the `longest_title` rule): column links are short."""
    s = spec(selector)
    best: tuple[str, LexborNode | None] = ("", None)
    for el in item.css(s.css) if s.css else [item]:
        text = collapse(el.attributes.get(s.attr) or "") if s.attr else _full_title(el)
        if len(text) > len(best[0]):
            best = (text, el)
    return best


def _author(item: LexborNode, selector: str | None) -> str | None:
    if not selector:
        return None
    name = _AUTHOR_LABEL.sub("", read(item, selector) or "")
    return name or None


def _title(item: LexborNode, selector: str | None) -> tuple[str, LexborNode | None]:
    """The title, and the element it came from (whose link is the post's by default)."""
    if selector is None:
        return _full_title(item), item
    s = spec(selector)
    el = first(item, s.css)
    if el is None:
        return "", None
    if s.attr is not None:
        return collapse(el.attributes.get(s.attr) or ""), el
    return _full_title(el), el


def _full_title(el: LexborNode) -> str:
    text = inline_text(el)
    if text and not text.endswith(TRUNCATED):
        return text
    # List pages cut long titles ("县政府召开…") and keep the whole one in the link's title.
    holder = el if el.attributes.get("title") else el.css_first("a[title]")
    full = collapse(holder.attributes.get("title") or "") if holder is not None else ""
    return full if len(full) > len(text.rstrip(".…． ")) else text


def extract_html(src: Source, page: Page, skipped: list[Skipped] | None = None) -> list[Post]:
    sel = src.selectors
    if not sel.item:
        raise ExtractError(
            f"html source {src.id!r} has no item selector (set selectors.item or a preset)",
            url=page.url,
            source_id=src.id,
        )
    with selector_errors(src, page):
        return _extract_html(
            src, page, parse(page, src.encoding), [] if skipped is None else skipped
        )


def _extract_html(src: Source, page: Page, parsed: Parsed, skipped: list[Skipped]) -> list[Post]:
    sel = src.selectors
    assert sel.item is not None
    rules = rules_for(src)
    now = page.fetched_at
    seen: set[str] = set()

    def one(item: LexborNode) -> Post | None:
        if rules.longest_title and sel.title:
            title, title_el = _longest_title(item, sel.title)
        else:
            title, title_el = _title(item, sel.title)
        if not title:
            return None
        if sel.link is not None:
            link = href(item, sel.link)
        else:
            link = href(title_el, None) if title_el is not None else None
        if not link:
            return None
        url = web_url(link, parsed.base)
        if url is not None and rules.identity is not None:
            url = rules.identity(url)
        if url is None or url in seen:
            return None
        with item_at(url):
            published = _date(item, sel.date, now, src.date_format, rules)
            if published is None and rules.require_date:
                return None
            seen.add(url)
            return Post(
                source_id=src.id,
                url=url,
                title=title,
                body=_body(item, sel.body),
                published_at=published,
                replies=parse_count(read(item, sel.replies)) if sel.replies else None,
                views=parse_count(read(item, sel.views)) if sel.views else None,
                author=_author(item, sel.author),
                status=read_status(item, rules.status) if rules.status else None,
            )

    return list(
        each_item(
            parsed.root.css(sel.item),
            one,
            page_url=page.url,
            skipped=skipped,
            passthrough=(SelectolaxError,),
        )
    )


def _date(
    item: LexborNode, selector: str | None, now: datetime, fmt: str | None, rules: Rules
) -> datetime | None:
    if rules.scan_date:
        return scan_date(item, selector, now, fmt)
    return read_date(item, selector, now, fmt)


def _body(node: LexborNode, selector: str | None) -> str:
    if not selector:
        return ""
    s = spec(selector)
    el = first(node, s.css)
    if el is None:
        return ""
    if s.attr is not None:
        return collapse(el.attributes.get(s.attr) or "")
    return block_text(el)


def extract_post_page(src: Source, page: Page, post: Post, detail: DetailSelectors) -> Post:
    with selector_errors(src, page):
        return _post_page(src, page, post, detail)


def _post_page(src: Source, page: Page, post: Post, detail: DetailSelectors) -> Post:
    parsed = parse(page, src.encoding)
    changes: dict[str, object] = {}
    body = _body(parsed.root, detail.body)
    if body:
        changes["body"] = body
    if detail.title:
        title = read(parsed.root, detail.title)
        if title:
            changes["title"] = title
    published = read_date(parsed.root, detail.date, page.fetched_at, src.date_format)
    if published is not None:
        changes["published_at"] = published
    return replace(post, **changes) if changes else post  # type: ignore[arg-type]


def next_link(src: Source, page: Page) -> str | None:
    if not src.selectors.next:
        return None
    parsed = parse(page, src.encoding)
    with selector_errors(src, page):
        link = href(parsed.root, src.selectors.next)
    if not link:
        return None
    url = web_url(link, parsed.base)
    return None if url is None or url == web_url(page.url, page.url) else url
