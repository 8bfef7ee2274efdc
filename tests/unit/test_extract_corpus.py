"""Extraction on the real third-party pages and feeds of SENTINEL_CORPUS (read in place).

The Discuz! X list yields its 42 threads with counts; every Chinese feed parses with correct
titles; every edge-case file either gives a list of posts or an ExtractError — nothing else.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.config.models import Selectors, Source
from sentinel.errors import ExtractError
from sentinel.extract import extract_list, next_page
from sentinel.extract.post import Post
from sentinel.fetch.page import Page
from sentinel.sources import resolve

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not os.environ.get("SENTINEL_CORPUS"), reason="SENTINEL_CORPUS not set"),
]

FETCHED = datetime(2020, 8, 2, 8, 0, tzinfo=UTC)
CJK = re.compile(r"[\u4e00-\u9fff]")
# UTF-8 read as Latin-1/cp1252 shows as Ã, Â, å, ä, æ, ç, è, é followed by other high Latin-1.
MOJIBAKE = re.compile(r"[\ufffd]|[ÃÂåäæçèéï][\u0080-\u00ff]")

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".gz": "application/gzip",
}


def corpus() -> Path:
    return Path(os.environ.get("SENTINEL_CORPUS", "/nonexistent"))


def files(folder: str) -> list[Path]:
    root = corpus() / folder
    return sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else []


def page_of(path: Path, url: str) -> Page:
    return Page(
        url=url,
        requested_url=url,
        status=200,
        content_type=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        body=path.read_bytes(),
        fetched_at=FETCHED,
    )


def ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_discuz_x_forumdisplay_yields_its_42_threads() -> None:
    path = corpus() / "discuz" / "gne_discuz_x_forumdisplay_nsh_official.html"
    url = "https://n.netease.com/forum-9-1.html"
    src = resolve(Source(id="nsh", kind="html", url=url, preset="discuz", pages=2))
    posts = extract_list(src, page_of(path, url))
    assert len(posts) == 42
    assert len({p.url for p in posts}) == 42
    # thread-TID-1-1.html links, each stored as the thread's one identity, its tid
    thread = r"https://n\.netease\.com/forum\.php\?mod=viewthread&tid=\d+"
    assert all(re.fullmatch(thread, p.url) for p in posts)
    assert all(p.title and p.replies is not None and p.views is not None for p in posts)
    assert (814, 109593) in {(p.replies, p.views) for p in posts}
    assert all(p.published_at is not None and p.published_at.year in (2019, 2020) for p in posts)
    # The sticky threads come first, as on the page.
    assert posts[0].title == "2020年7月30日游戏服务器维护内容"
    assert next_page(src, page_of(path, url)) == "https://n.netease.com/forum-9-2.html"


RSS_ZH = files("rss_zh")


@pytest.mark.parametrize("path", RSS_ZH, ids=ids(RSS_ZH))
def test_chinese_feeds_parse_with_correct_titles(path: Path) -> None:
    src = Source(id="feed", kind="rss", url="http://feeds.example.cn/rss.xml")
    posts = extract_list(src, page_of(path, str(src.url)))
    assert posts
    titles = [p.title for p in posts]
    assert any(CJK.search(t) for t in titles), titles[:5]
    bad = [t for t in titles if MOJIBAKE.search(t)]
    assert not bad, bad[:5]
    assert all(p.url.startswith(("http://", "https://")) for p in posts)
    assert all(p.published_at is None or p.published_at.tzinfo for p in posts)


def test_rss_zh_is_not_empty() -> None:
    assert len(RSS_ZH) >= 10


def survives(src: Source, path: Path) -> list[Post] | None:
    """The posts, or None for an ExtractError; any other exception fails the test."""
    try:
        return extract_list(src, page_of(path, f"http://edge.example.cn/{path.name}"))
    except ExtractError as e:
        assert e.url and e.source_id == src.id
        return None


FEEDS_EDGE = files("feeds_edge")


@pytest.mark.parametrize("path", FEEDS_EDGE, ids=ids(FEEDS_EDGE))
def test_edge_feeds_give_posts_or_extract_error(path: Path) -> None:
    src = Source(id="edge", kind="rss", url="http://edge.example.cn/feed.xml")
    posts = survives(src, path)
    assert posts is None or all(isinstance(p, Post) and p.title for p in posts)


HTML_FILES = files("html_edge") + files("gov_portal") + files("other")


@pytest.mark.parametrize("path", HTML_FILES, ids=[f"{p.parent.name}/{p.name}" for p in HTML_FILES])
def test_html_files_give_posts_or_extract_error(path: Path) -> None:
    src = Source(
        id="edge", kind="html", url="http://edge.example.cn/", selectors=Selectors(item="a")
    )
    posts = survives(src, path)
    assert posts is None or all(p.url.startswith(("http://", "https://")) for p in posts)


def test_html_corpus_yields_links() -> None:
    src = Source(id="edge", kind="html", url="http://e.cn/", selectors=Selectors(item="a"))
    total = sum(len(survives(src, p) or []) for p in HTML_FILES)
    assert total > 500


def test_gbk_gov_list_decodes_its_20_rows() -> None:
    path = corpus() / "gov_portal" / "xinxiang_gov_xxgk_info_list_gbk.html"
    src = Source(
        id="xx",
        kind="html",
        url="http://125.42.176.131/xxgk/xxgk/zxgk1.jsp",
        selectors=Selectors(item="a[href*=infoself]"),
    )
    posts = extract_list(src, page_of(path, str(src.url)))
    assert len(posts) == 20
    assert all(CJK.search(p.title) and not MOJIBAKE.search(p.title) for p in posts)
    assert posts[0].title == "[卫滨区]卫滨区畜牧局关于加强瘦肉精、生鲜乳、肉品、饲料、兽..."
    assert posts[0].url == "http://125.42.176.131/xxgk/xxgk/infoself.jsp?id=1513766191968"
