"""Hostile pages cost one item at most: each case a fuzzing run found, kept as a reproducer.

Before the fixes each of these raised out of extraction (losing the page's good items and
failing the source) or produced a value the store refused (losing the whole page).
"""

from __future__ import annotations

import sys
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest

from sentinel.config.models import JsonFields, Selectors, Source
from sentinel.extract import Skipped, canonical_url, extract_list
from sentinel.extract.limits import MAX_COUNT
from sentinel.extract.numbers import parse_count
from sentinel.extract.urls import web_url
from sentinel.fetch.page import Page

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BASE = "http://bbs.example.cn"


def page(body: str | bytes, url: str = f"{BASE}/list.html", ctype: str = "text/html") -> Page:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Page(
        url=url, requested_url=url, status=200, content_type=ctype, body=data, fetched_at=NOW
    )


HTML = Source(
    id="s",
    kind="html",
    url=f"{BASE}/list.html",
    selectors=Selectors(item="li", title="a", replies="span.r", views="span.v"),
)


def json_source(**fields: Any) -> Source:
    fields.setdefault("items", "list")
    return Source(id="j", kind="json", url=f"{BASE}/api", fields=JsonFields(**fields))


def api(text: str) -> Page:
    return page(text, f"{BASE}/api", "application/json")


def test_a_count_cell_of_309_nines_is_unknown_and_the_neighbours_stay() -> None:
    body = (
        f'<ul><li><a href="/1">一</a><span class=r>{"9" * 309}</span><span class=v>12</span></li>'
        '<li><a href="/2">二</a><span class=r>3</span></li></ul>'
    )
    posts = extract_list(HTML, page(body))
    assert [(p.title, p.replies, p.views) for p in posts] == [("一", None, 12), ("二", 3, None)]


@pytest.mark.parametrize("raw", ["1e999", "Infinity", "-Infinity", "NaN", "9" * 5000])
def test_json_counts_that_are_no_counts_read_as_unknown(raw: str) -> None:
    text = (
        f'{{"list": [{{"title": "a", "url": "/1", "n": {raw}}},'
        ' {"title": "b", "url": "/2", "n": 7}]}'
    )
    posts = extract_list(json_source(replies="n"), api(text))
    assert [(p.title, p.replies) for p in posts] == [("a", None), ("b", 7)]


@pytest.mark.parametrize("n", [2**63, 2**64 + 5, MAX_COUNT + 1, 1.5e300])
def test_counts_the_store_cannot_hold_are_refused(n: float) -> None:
    assert parse_count(n) is None
    if isinstance(n, int):
        assert parse_count(str(n)) is None
    assert parse_count(MAX_COUNT) == MAX_COUNT


@pytest.mark.parametrize("template", ["/d?id={info[id]}", "/d/{id:06d}.html"])
def test_json_link_template_with_a_null_field_costs_that_item(template: str) -> None:
    text = (
        '{"list": [{"title": "a", "id": null, "info": null},'
        ' {"title": "b", "id": 7, "info": {"id": 7}}]}'
    )
    posts = extract_list(json_source(link_template=template), api(text))
    assert [p.title for p in posts] == ["b"]


def test_a_link_no_url_parser_accepts_costs_that_item() -> None:
    with pytest.raises(ValueError):
        canonical_url("https:////]")
    body = '<ul><li><a href="https:////]">坏</a></li><li><a href="/2">好</a></li></ul>'
    assert [p.title for p in extract_list(HTML, page(body))] == ["好"]


def test_year_one_in_shanghai_time_is_no_date_and_the_post_is_kept() -> None:
    text = (
        '{"list": [{"title": "a", "url": "/1", "t": "0001-01-01T00:00:00"},'
        ' {"title": "b", "url": "/2", "t": "9999-12-31T23:59:59"},'
        ' {"title": "c", "url": "/3", "t": "2026-11-20 09:00"}]}'
    )
    posts = extract_list(json_source(date="t"), api(text))
    assert [p.published_at is None for p in posts] == [True, True, False]
    for p in posts:  # what the store does with it: no OverflowError
        if p.published_at is not None:
            p.published_at.astimezone(UTC)


def test_lone_surrogates_and_nul_are_replaced_in_every_text() -> None:
    text = (
        r'{"list": [{"title": "a\ud800b\u0000", "url": "/1", "body": "x\ud83dy",'
        r' "who": "\ud800"}]}'
    )
    (post,) = extract_list(json_source(body="body", author="who"), api(text))
    for value in (post.title, post.body, post.author or "", post.url):
        value.encode("utf-8")  # the matcher and the store encode it
        assert "\x00" not in value
    assert post.title == "a\ufffdb\ufffd"


def test_an_item_whose_url_is_too_long_is_skipped_with_its_reason() -> None:
    long_link = "/d?id=" + "x" * 3000
    body = f'<ul><li><a href="{long_link}">长</a></li><li><a href="/2">好</a></li></ul>'
    skipped: list[Skipped] = []
    posts = extract_list(HTML, page(body), skipped)
    assert [p.title for p in posts] == ["好"]
    (item,) = skipped
    assert item.url.startswith(f"{BASE}/d?id=xxx") and "URL of" in item.reason


def test_long_links_are_read_but_not_remembered() -> None:
    """`python -m fuzz` grew to 2 GB over 10 minutes: web_url's cache (65,536 entries) kept
    every megabyte-long link it was given, as a daemon's would keep a broken site's."""
    base = f"{BASE}/list.html"
    links = ["/d?id=" + f"{n}" * 20_000 for n in range(3)] + ["/中文/1.html", "/t/" + "12345"]
    held = [sys.getrefcount(link) for link in links]
    urls = [web_url(link, base) for link in links]
    urllib.parse.clear_cache()  # the standard library's own: its last 128 URLs
    assert None not in urls and urls[-1] == f"{BASE}/t/12345"
    after = [sys.getrefcount(link) for link in links]
    # the short link (built at run time, held only here) is remembered, no other
    assert [a - b for a, b in zip(after, held, strict=True)] == [0, 0, 0, 0, 1]
