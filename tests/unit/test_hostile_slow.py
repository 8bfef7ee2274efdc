"""Inputs that ran for seconds to minutes, each at the size the fuzzing run found it.

Before the fixes each of these took from 2 s (10k digits) to minutes (50k digits, 100k
attributes with a 8 MB body); each test here would hang a CI run for that long. What they
assert is what the bounds leave: how many attributes, items and posts are kept.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser

from sentinel.config.models import HttpSettings, Selectors, Source
from sentinel.extract import Skipped, extract_list, items, parse_date
from sentinel.extract.limits import MAX_ATTRS, MAX_ITEMS
from sentinel.extract.tame import tame_html
from sentinel.extract.text import block_text
from sentinel.fetch import Fetcher
from sentinel.fetch.page import FetchPolicy, Page
from sentinel.read import pages
from sentinel.sources.health import looks_blocked
from tests.servers import LocalSite

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BASE = "http://bbs.example.cn"
HTML = Source(
    id="s", kind="html", url=f"{BASE}/list.html", selectors=Selectors(item="li", title="a")
)
FEED = Source(id="f", kind="rss", url=f"{BASE}/feed.xml")


def page(body: bytes, url: str = f"{BASE}/list.html", ctype: str = "text/html") -> Page:
    return Page(
        url=url, requested_url=url, status=200, content_type=ctype, body=body, fetched_at=NOW
    )


@pytest.mark.parametrize("tail", ["", "x", "天前", "小时前", "-11-20"])
def test_50k_digits_are_no_date(tail: str) -> None:
    assert parse_date("1" * 50_000 + tail, NOW) is None


def test_an_object_before_10k_unclosed_spans_is_read_in_one_pass() -> None:
    html = "<div><p>前</p><object>" + "<span>藏" * 10_000 + "</object><p>后</p></div>"
    assert block_text(LexborHTMLParser(html).root) == "前\n后"  # type: ignore[arg-type]


@pytest.mark.parametrize("valued", [True, False])
def test_an_element_keeps_only_max_attrs_attributes(valued: bool) -> None:
    attrs = " ".join(f"a{i}=1" if valued else f"a{i}" for i in range(100_000))
    html = f'<ul><li><a href="/1" {attrs}>一</a></li><li><a href="/2">二</a></li></ul>'
    tamed = tame_html(html)
    link = LexborHTMLParser(tamed).css_first("a")
    assert link is not None and len(link.attributes) == MAX_ATTRS
    posts = extract_list(HTML, page(html.encode()))
    assert [p.title for p in posts] == ["一", "二"]


def test_ordinary_html_passes_the_attribute_bound_unchanged() -> None:
    html = '<a href="/x" title="a>b" data-x=\'1\' hidden>t</a><img src=x.png alt="">'
    assert tame_html(html) == html


@pytest.mark.parametrize("charset", ["gbk", "utf-8"])
def test_a_100k_item_feed_reads_its_first_max_items(charset: str) -> None:
    entries = "".join(
        f"<item><title>标题{i}</title><link>{BASE}/t/{i}</link></item>" for i in range(100_000)
    )
    body = (
        f'<?xml version="1.0" encoding="{charset}"?><rss version="2.0"><channel>'
        f"<title>t</title>{entries}</channel></rss>"
    ).encode(charset)
    skipped: list[Skipped] = []
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"), skipped)
    assert len(posts) == MAX_ITEMS
    assert posts[-1].url == f"{BASE}/t/{MAX_ITEMS - 1}"
    assert [s.reason for s in skipped] == [f"more than {MAX_ITEMS} items: the rest not read"]


@pytest.mark.parametrize("tag", ["<title>", "<script>", "<style", "<", "<a "])
def test_20k_unclosed_tags_are_no_wall(tag: str) -> None:
    assert looks_blocked(tag * 20_000) is False


def test_a_page_over_its_cpu_budget_keeps_what_was_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(items, "PAGE_BUDGET", 0.0)
    body = "<ul>" + "".join(f'<li><a href="/{i}">帖{i}</a></li>' for i in range(100)) + "</ul>"
    skipped: list[Skipped] = []
    posts = extract_list(HTML, page(body.encode()), skipped)
    assert len(posts) == 15  # the budget is looked at every 16 items
    assert skipped == [
        Skipped(f"{BASE}/list.html", "stopped after 15 items: over the page's 0 s of CPU")
    ]


async def test_a_big_page_is_extracted_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, site: LocalSite
) -> None:
    threads: list[int] = []
    real = pages.extract_list

    def spy(*args: object) -> object:
        threads.append(threading.get_ident())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "extract_list", spy)
    rows = "".join(f'<li><a href="/t/{i}">帖子{i}</a></li>' for i in range(8000))
    site.serve("/big.html", f"<ul>{rows}</ul>")
    site.serve("/small.html", "<ul><li><a href='/t/1'>一</a></li></ul>")
    policy = FetchPolicy(allow_private=True, robots=False, rate=100)
    async with Fetcher(HttpSettings()) as fetcher:
        for path in ("/big.html", "/small.html"):
            src = HTML.model_copy(update={"url": site.url(path)})
            read = await pages.read_list(
                fetcher, src, policy, site.url(path), None, first=True, more=False
            )
            assert read.posts
    big, small = threads
    assert big != threading.get_ident() and small == threading.get_ident()
