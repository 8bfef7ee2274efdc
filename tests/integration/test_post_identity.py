"""One post per thread or entry, however the site links it, through real patrols of a local site.

A Discuz! thread's link carries `extra=page%3DN`, which changes when the thread moves to the
list's second page, and the same thread is linked as `thread-TID-1-1.html` too: the preset's
URL identity makes them all the thread's tid. A feed whose entries share one page and differ
only in their fragments keeps the fragments (a blog's 16 entries had become 3 posts).
"""

from __future__ import annotations

from pathlib import Path

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.fixtures.sites import KEYWORDS, SENTINEL
from tests.servers import LocalSite


def row(tid: int, href: str) -> str:
    return f"""<tbody id="normalthread_{tid}"><tr>
<th><a href="{href}" class="s xst">明光论坛帖子{tid}</a></th>
<td class="by"><cite><a href="space-uid-1.html">网友</a></cite>
<em><span>2026-11-20 09:{tid % 60:02d}</span></em></td>
<td class="num"><a class="xi2">{tid % 7}</a><em>{tid}</em></td></tr></tbody>"""


def linked(tid: int, list_page: int) -> str:
    return row(tid, f"forum.php?mod=viewthread&amp;tid={tid}&amp;extra=page%3D{list_page}")


def forum(rows: list[str], *, next_page: str | None) -> str:
    nxt = f'<div class="pg"><a href="{next_page}" class="nxt">下一页</a></div>' if next_page else ""
    return f"""<html><head><meta charset="utf-8"><title>明光论坛</title></head><body>
<table id="threadlisttableid">{"".join(rows)}</table>{nxt}</body></html>"""


def thread(tid: int) -> str:
    return f"""<html><head><meta charset="utf-8"></head><body>
<span id="thread_subject">明光论坛帖子{tid}</span>
<em id="authorposton1">发表于 2026-11-20 09:00</em>
<table><tr><td class="t_f" id="postmessage_{tid}">帖子{tid}的正文</td></tr></table></body></html>"""


def configure(directory: Path, sources: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(sources, encoding="utf-8")
    (directory / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (directory / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    return directory


async def test_a_discuz_thread_is_one_post_whatever_its_link_says(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    site.serve("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    for tid in range(100, 106):
        site.serve(f"/forum.php?mod=viewthread&tid={tid}", thread(tid))
    site.serve(
        "/forum-2-1.html",
        forum([linked(103, 1), linked(102, 1), linked(101, 1)], next_page="forum-2-2.html"),
    )
    site.serve("/forum-2-2.html", forum([linked(100, 2)], next_page=None))
    sources = f"""\
sources:
  - id: bbs
    kind: html
    preset: discuz
    url: {site.url("/forum-2-1.html")}
    pages: 2
    territorial: true
    allow_private: true
    politeness: {{rate: 100, concurrency: 4}}
"""
    cfg = load_config(configure(tmp_path / "cfg", sources))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        first = await patrol.run()
        assert first.sources_failed == 0, [r.error for r in first.sources]
        assert first.posts_new == 4

        # Two new threads push 101 and 103 to the second list page, whose links say
        # extra=page%3D2, and 102 is linked in the rewritten spelling.
        site.serve(
            "/forum-2-1.html",
            forum(
                [linked(105, 1), linked(104, 1), row(102, "thread-102-1-1.html")],
                next_page="forum-2-2.html",
            ),
        )
        site.serve(
            "/forum-2-2.html",
            forum([linked(103, 2), linked(101, 2), linked(100, 2)], next_page=None),
        )
        second = await patrol.run()
        assert second.sources_failed == 0, [r.error for r in second.sources]
        assert second.posts_new == 2
        urls = sorted(p.url for p in await patrol.store.posts(source_id="bbs"))
    assert urls == [site.url(f"/forum.php?mod=viewthread&tid={tid}") for tid in range(100, 106)]


def entry(link: str, title: str) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>{title}。</description></item>"
    )


async def test_feed_entries_told_apart_by_their_fragments_stay_apart(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    notes = [entry(site.url(f"/blog/notes.html#n{i}"), f"明光随笔第{i}则") for i in range(1, 17)]
    # one entry per page with a fragment: the fragment is only a place on the page
    news = entry(site.url("/news/1.html?utm_medium=rss#comments"), "明光新闻一则")
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>随笔</title>'
        + "".join(notes)
        + news
        + "</channel></rss>"
    )
    site.serve("/feed.xml", body, content_type="application/rss+xml")
    sources = f"""\
sources:
  - id: blog
    kind: rss
    url: {site.url("/feed.xml")}
    allow_private: true
"""
    cfg = load_config(configure(tmp_path / "cfg", sources))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run()
        assert report.sources_failed == 0, [r.error for r in report.sources]
        urls = {p.url for p in await patrol.store.posts(source_id="blog")}
    assert len(urls) == 17
    assert site.url("/news/1.html") in urls
    assert {site.url(f"/blog/notes.html#n{i}") for i in range(1, 17)} <= urls
