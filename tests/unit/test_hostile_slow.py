"""Inputs that ran for seconds to minutes, each at the size the fuzzing run found it.

Before the fixes each of these took from 2 s (10k digits) to minutes (50k digits, 100k
attributes with a 8 MB body); each test here would hang a CI run for that long. What they
assert is what the bounds leave: how many attributes, items and posts are kept.
"""

from __future__ import annotations

import gzip
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import feedparser.mixin
import pytest
from selectolax.lexbor import LexborHTMLParser

from sentinel.config.models import HttpSettings, Selectors, Source
from sentinel.extract import Skipped, extract_list, items, parse_date
from sentinel.extract.limits import MAX_ATTRS, MAX_DEPTH, MAX_FEED_TAGS, MAX_FOSTERED, MAX_ITEMS
from sentinel.extract.tame import tame_html
from sentinel.extract.text import SHORT_NODES, block_text
from sentinel.fetch import Fetcher
from sentinel.fetch.page import FetchPolicy, Page
from sentinel.read import guard, pages
from sentinel.sources import resolve
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


async def test_a_big_page_is_extracted_in_the_guarded_child_and_a_small_one_here(
    site: LocalSite,
) -> None:
    guard.shutdown()
    rows = "".join(f'<li><a href="/t/{i}">帖子{i}</a></li>' for i in range(8000))
    site.serve("/big.html", f"<ul>{rows}</ul>")
    site.serve("/small.html", "<ul><li><a href='/t/1'>一</a></li></ul>")
    policy = FetchPolicy(allow_private=True, robots=False, rate=100)
    children: list[int] = []
    async with Fetcher(HttpSettings()) as fetcher:
        for path in ("/small.html", "/big.html"):
            src = HTML.model_copy(update={"url": site.url(path)})
            read = await pages.read_list(
                fetcher, src, policy, site.url(path), None, first=True, more=False
            )
            assert read.posts and read.error is None
            children.append(len(multiprocessing.active_children()))
    guard.shutdown()
    assert children == [0, 1]


# Found by `python -m fuzz` over the corpus (the seeds behind each are named).


def test_87k_nested_elements_are_cut_at_max_depth() -> None:
    # a corpus feed with 87k <div> spliced in: lexbor took 8 s building that deep a tree
    html = (
        "<ul><li><a href='/1'>一</a></li></ul>" + "<div>" * 87_000 + "<ul><li><a href='/2'>二</a>"
    )
    tamed = tame_html(html)
    assert tamed.count("<div>") == MAX_DEPTH
    # what sits deeper than MAX_DEPTH keeps its text but not its tags: "二" is no item
    assert [p.title for p in extract_list(HTML, page(html.encode()))] == ["一"]


def test_depth_follows_end_tags_as_html_does() -> None:
    # closing what is open keeps the depth low; an end tag of nothing open closes nothing
    balanced = "<div><p>x</p></div>" * 6_000
    assert tame_html(balanced) == balanced
    stray = ("<div>" + "</span>" * 3) * 4_000
    assert tame_html(stray).count("<div>") == MAX_DEPTH


@pytest.mark.parametrize("opener", ["<!--", "<script>", "x><!--", "x>' <!--"])
def test_a_tag_in_an_attribute_value_hides_no_nesting(opener: str) -> None:
    # a mutated tieba page: a link titled "<!--" made the depth count read the rest of the
    # page as one comment, and lexbor spent 31 s on the 80k nested <div> behind it
    html = f'<ul><li><a href="/1" title="{opener}">一</a></li></ul>' + "<div>" * 80_000
    assert tame_html(html).count("<div>") == MAX_DEPTH


def test_a_quoted_value_holding_a_tag_end_is_read_as_the_tokenizer_reads_it() -> None:
    # `>` inside quotes ends no tag; an unclosed quote runs to the end, where HTML drops it
    html = '<a title="1>2" id=x>' + "<div>" * 12_000 + '<b title="open'
    assert tame_html(html).count("<div>") == MAX_DEPTH - 1  # the link is one level
    link = LexborHTMLParser(tame_html(html)).css_first("a")
    assert link is not None and link.attributes == {"title": "1>2", "id": "x"}


def test_a_feed_of_900kb_of_tags_is_cut_for_feedparser() -> None:
    # feedparser's tolerant parser spent 2.5 s on 180k start tags of a broken feed
    body = (
        b'<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>first</title><link>http://x.cn/1</link></item>" + b"<div>" * 180_000
    )
    skipped: list[Skipped] = []
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"), skipped)
    assert [p.title for p in posts] == ["first"]
    assert [s.reason for s in skipped] == [FEED_CUT]


FEED_CUT = f"more than {MAX_FEED_TAGS} tags (12 `&` counting as one): the rest not read"
HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile"


def test_a_mutated_big5_feed_of_22k_tags_is_cut_for_feedparser() -> None:
    # python -m fuzz: a corpus Big5 feed with runs of it repeated (1 MB, 22k tags, 2,263
    # items). Not UTF-8, so feedparser reads it: strictly until it breaks, then again
    # tolerantly; at 20,000 tags that took 1.7 s of CPU
    body = gzip.decompress((HOSTILE / "rss-16b8fb1bf273.xml.gz").read_bytes())
    skipped: list[Skipped] = []
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"), skipped)
    assert len(posts) == 6 and posts[0].title == "新年快樂"
    assert [s.reason for s in skipped] == [FEED_CUT]
    assert MAX_FEED_TAGS == 10_000


def test_a_megabyte_of_bare_ampersands_is_cut_for_feedparser() -> None:
    # each `&` starts a piece of text feedparser handles in Python: 1 MB of "& " took 2 s
    body = (
        b'<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>first</title><link>http://x.cn/1</link><description>"
        + b"& "
        * 500_000
        + b"</description></item><item><title>second</title><link>http://x.cn/2</link>"
        b"</item></channel></rss>"
    )
    skipped: list[Skipped] = []
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"), skipped)
    assert [p.title for p in posts] == ["first"]
    assert [s.reason for s in skipped] == [FEED_CUT]


def test_feedparser_leaves_the_html_of_entries_to_us(monkeypatch: pytest.MonkeyPatch) -> None:
    # python -m fuzz: a feed of 20 items whose descriptions held 36k escaped tags took 2.2 s,
    # four fifths of it in feedparser's HTML sanitizer and relative-URL resolver, which run
    # over every entry's HTML. Sentinel reads the text of it (script and style left out) and
    # no URL in it, so neither runs: the same posts from every corpus feed, in half the CPU.
    def never(*args: object) -> str:
        raise AssertionError("feedparser ran its HTML pass")

    monkeypatch.setattr(feedparser.mixin, "_sanitize_html", never)
    monkeypatch.setattr(feedparser.mixin, "resolve_relative_uris", never)
    html = (
        '&lt;p&gt;正文&lt;a href="/x"&gt;链接&lt;/a&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;'
    )
    body = (
        '<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>一</title><link>http://x.cn/1</link><description>{html}</description>"
        "</item></channel></rss>"
    ).encode("gbk")
    (post,) = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"))
    assert post.body == "正文链接"


def test_year_one_is_no_date_however_it_is_written() -> None:
    # parse_date gave 0001-01-01 00:00+08:05:43, which no caller could turn into UTC
    for text in ("0001-01-01", "0001年1月1日 00:00", "0001-01-01T00:00:00"):
        assert parse_date(text, NOW) is None


def test_text_written_in_a_table_outside_its_cells_is_bounded() -> None:
    # a mutated gov_list page: lexbor kept every copy of the one text node it grew by
    # appending each piece (20k pieces: 131 MB; the fuzzer's 1 MB page: 1 GB)
    html = "<table>" + "正文<td>a</td></tr>" * 20_000
    tamed = tame_html(html)
    assert tamed.count("正文") == MAX_FOSTERED
    assert tamed.count("<td>a</td>") == 20_000
    ordinary = "<table>" + "<tr><td>正文</td></tr>" * 20_000 + "</table>"
    assert tame_html(ordinary) == ordinary


@pytest.mark.parametrize("end", [b"?>", b""])
def test_a_declaration_repeating_its_encoding_is_read_in_one_pass(end: bytes) -> None:
    # feedparser's encoding pattern backtracked over a 20 KB first line: 5 s
    body = (
        b'<?xml version="1.0" encoding="gbk"'
        + b' encoding="bogus"' * 20_000
        + end
        + b"<rss><channel><item><title>t</title><link>http://x.cn/1</link></item></channel></rss>"
    )
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"))
    assert [p.url for p in posts] == ["http://x.cn/1"]


def test_tags_before_a_long_run_without_whitespace_are_read_once() -> None:
    # a corpus page with 49k `<![CDATA[` spliced after its tags: the attribute bound rescanned
    # the run from every `<x` before it (25 s)
    html = "<ul><li><a href='/1'>一</a></li></ul>" + "<ata" * 12_000 + "<![CDATA[" * 49_000
    assert tame_html(html) == html
    assert [p.title for p in extract_list(HTML, page(html.encode()))] == ["一"]


def test_a_big_page_of_unclosed_items_keeps_them_all() -> None:
    # <li>, <p>, <tr> and <td> end where the next one starts: left unclosed on a page of over
    # MAX_DEPTH_CHECK tags they must not count as nesting (each row would be lost past 512)
    rows = "".join(f"<li><a href='/t/{i}'>帖{i}</a><p>摘要" for i in range(900))
    table = "<table>" + "".join(f"<tr><td>{i}<td>格" for i in range(3000)) + "</table>"
    html = f"<ul>{rows}</ul>{table}"
    assert html.count("<") > 10_000
    assert tame_html(html) == html
    assert len(extract_list(HTML, page(html.encode()))) == 900


def test_a_board_row_of_nested_elements_reads_its_status_label_once() -> None:
    # a corpus board page with 38k nested <div>: every one matched the status css, and reading
    # each one's whole text took 4.5 s; only label-sized text is read now
    board = resolve(Source(id="b", kind="html", url=f"{BASE}/list.html", preset="board"))
    nest = ("<div>" + "长文" * 8) * 500 + "</div>" * 500
    row = f"<tr><td><a href='/1'>留言一</a></td><td>2026-11-19</td><td>{nest * 76}<span>已回复"
    posts = extract_list(board, page(f"<table>{row}</table>".encode()))
    assert [(p.title, p.status) for p in posts] == [("留言一", "已回复")]


def test_a_feed_author_of_170kb_is_searched_for_an_address_in_one_pass() -> None:
    # feedparser's address pattern backtracked over the run: 2.5 s for one 172 KB author
    body = (
        b'<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>first</title><link>http://x.cn/1</link><author>bruce.porter"
        + b"x"
        * 172_000
        + b" (Bruce)</author></item><item><title>second</title><link>http://x.cn/2</link>"
        b"<author>tim@japancorp.net (Tim)</author></item><broken>"
    )
    posts = extract_list(FEED, page(body, f"{BASE}/feed.xml", "application/rss+xml"))
    assert [(p.title, p.author) for p in posts] == [
        ("first", "bruce.porter" + "x" * 52 + " (Bruce)"),
        ("second", "tim@japancorp.net (Tim)"),
    ]


def test_nested_date_cells_are_read_no_further_than_a_cell() -> None:
    # python -m fuzz: a mutated gov_list page left one list item holding 511 nested elements
    # the preset's date cells match (`span, em, i, font, b, td, div, p`), each around 517 KB
    # of text; reading each one's whole text to find it too long for a date took 3 s. A cell
    # is read until it is longer than a date cell or has more nodes than SHORT_NODES.
    src = resolve(Source(id="g", kind="html", url=f"{BASE}/list.html", preset="gov_list"))
    nest = "<div>" * 500 + "正文" * 250_000
    stuffed = "<b></b>" * SHORT_NODES + "2026-11-18"
    body = (
        f"<ul><li><a href='/1'>县政府召开常务会议</a>{nest}<span>2026-11-19</span></li></ul>"
        f"<ul><li><a href='/2'>乡镇动态</a><span>{stuffed}</span></li></ul>"
    )
    posts = extract_list(src, page(body.encode()))
    assert [(p.title, p.published_at and p.published_at.date().isoformat()) for p in posts] == [
        ("县政府召开常务会议", "2026-11-19")
    ]
