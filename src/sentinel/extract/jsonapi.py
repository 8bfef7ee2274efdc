"""JSON list APIs: a dotted path to the list, dotted paths to each field inside an item."""

from __future__ import annotations

import json
from typing import Any

from sentinel.config.models import JsonFields, Source
from sentinel.errors import ExtractError
from sentinel.extract.dates import parse_date
from sentinel.extract.items import Skipped, each_item, item_at
from sentinel.extract.numbers import parse_count
from sentinel.extract.post import Post, first_per_url
from sentinel.extract.text import collapse, html_to_text
from sentinel.extract.urls import web_url
from sentinel.fetch.charset import decode_html, normalize_charset
from sentinel.fetch.page import Page

_MISSING = object()
_INT_DIGITS = 40


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path (`data.list`, `rows.0.title`), or _MISSING."""
    node = data
    for part in path.split(".") if path.strip(". ") else ():
        if isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and part.lstrip("-").isdigit():
            i = int(part)
            node = node[i] if -len(node) <= i < len(node) else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _decode(page: Page, override: str | None) -> str:
    label = override or page.charset
    try:
        codec = normalize_charset(label) if label else "utf-8-sig"
        return page.body.decode(codec)
    except (LookupError, UnicodeDecodeError):
        # A wrong or missing charset: let the page decoder's detection have a go.
        return decode_html(page.body, header_charset=None)[0]


def _int(digits: str) -> int | float:
    # Python refuses to convert more than 4,300 digits (a whole page lost for one count):
    # such a number is no count or id, and as a float it reads as out of range.
    return int(digits) if len(digits) <= _INT_DIGITS else float(digits)


def extract_json(src: Source, page: Page, skipped: list[Skipped] | None = None) -> list[Post]:
    fields = src.json_fields
    if fields is None:
        raise ExtractError(
            f"json source {src.id!r} has no `fields:`", url=page.url, source_id=src.id
        )
    try:
        data = json.loads(_decode(page, src.encoding), parse_int=_int)
    except (ValueError, RecursionError) as e:
        raise ExtractError(f"not JSON: {e}", url=page.url, source_id=src.id) from e
    items = lookup(data, fields.items)
    if items is _MISSING:
        raise ExtractError(
            f"JSON answer has no {fields.items!r} (fields.items)", url=page.url, source_id=src.id
        )
    if not isinstance(items, list):
        raise ExtractError(
            f"JSON {fields.items!r} is a {type(items).__name__}, not a list",
            url=page.url,
            source_id=src.id,
        )
    return first_per_url(
        each_item(
            (item for item in items if isinstance(item, dict)),
            lambda item: _post(src, page, fields, item),
            page_url=page.url,
            skipped=[] if skipped is None else skipped,
        )
    )


def _text(item: dict[str, Any], path: str | None) -> str:
    if not path:
        return ""
    value = lookup(item, path)
    if value is _MISSING or value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _link(item: dict[str, Any], fields: JsonFields) -> str:
    if fields.link_template:
        try:
            return fields.link_template.format_map(item)
        # A field that is null or of another type than the template's spec says
        # (`{info[id]}` of a null info, `{id:06d}` of a string) gives the item no link.
        except (KeyError, IndexError, ValueError, AttributeError, TypeError):
            return ""
    return _text(item, fields.link)


def _post(src: Source, page: Page, fields: JsonFields, item: dict[str, Any]) -> Post | None:
    title = collapse(html_to_text(_text(item, fields.title)))
    link = _link(item, fields)
    if not title or not link:
        return None
    url = web_url(link, page.url)
    if url is None:
        return None
    with item_at(url):
        return _fields(src, page, fields, item, url, title)


def _fields(
    src: Source, page: Page, fields: JsonFields, item: dict[str, Any], url: str, title: str
) -> Post:
    published = None
    if fields.date:
        value = lookup(item, fields.date)
        if value is not _MISSING:
            published = parse_date(value, page.fetched_at, fmt=src.date_format)
    replies = parse_count(lookup(item, fields.replies)) if fields.replies else None
    views = parse_count(lookup(item, fields.views)) if fields.views else None
    return Post(
        source_id=src.id,
        url=url,
        title=title,
        body=html_to_text(_text(item, fields.body)),
        published_at=published,
        replies=replies,
        views=views,
        author=collapse(_text(item, fields.author)) or None,
    )
