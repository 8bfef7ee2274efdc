"""The demo's local site: a forum, a government portal, a message board (JSON) and a feed.

Posts appear as the demo runs (`DemoPost.after`), so successive patrols find new ones.
"""

from __future__ import annotations

import html
import json
import time
from datetime import datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from sentinel.demo.posts import POSTS, DemoPost

TZ = ZoneInfo("Asia/Shanghai")


class DemoSite:
    def __init__(self, posts: tuple[DemoPost, ...] = POSTS) -> None:
        self.posts = posts
        self.started = time.monotonic()
        self.opened = datetime.now(TZ)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def visible(self, where: str) -> list[tuple[int, DemoPost]]:
        elapsed = time.monotonic() - self.started
        return [(i, p) for i, p in enumerate(self.posts) if p.where == where and p.after <= elapsed]

    def when(self, post: DemoPost) -> datetime:
        return self.opened + timedelta(seconds=post.after)

    async def start(self) -> DemoSite:
        app = web.Application()
        app.router.add_get("/bbs/list.html", self._forum)
        app.router.add_get("/bbs/thread-{n}.html", self._page)
        app.router.add_get("/gov/list.html", self._portal)
        app.router.add_get("/gov/art/{n}.html", self._page)
        app.router.add_get("/board/list.json", self._board)
        app.router.add_get("/board/{n}.html", self._page)
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/news/{n}.html", self._page)
        app.router.add_get("/robots.txt", self._robots)
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _robots(self, _: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    async def _forum(self, _: web.Request) -> web.Response:
        rows = "\n".join(
            f'<tr class="thread"><th><a class="xst" href="thread-{i}.html">'
            f'{html.escape(p.title)}</a></th><td class="by"><em>'
            f'{self.when(p):%Y-%m-%d %H:%M}</em></td><td class="num">{p.replies}</td></tr>'
            for i, p in self.visible("forum")
        )
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>明光论坛</title>
</head><body><table id="threads">{rows}</table></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _portal(self, _: web.Request) -> web.Response:
        items = "\n".join(
            f'<li><a href="/gov/art/{i}.html">{html.escape(p.title)}</a>'
            f"<span>{self.when(p):%Y-%m-%d}</span></li>"
            for i, p in self.visible("portal")
        )
        page = f"""<html><head><meta charset="utf-8"><title>明光市人民政府</title></head>
<body><ul class="list">{items}</ul></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _page(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if not 0 <= n < len(self.posts):
            raise web.HTTPNotFound()
        p = self.posts[n]
        page = f"""<html><head><meta charset="utf-8"><title>{html.escape(p.title)}</title>
</head><body><h1>{html.escape(p.title)}</h1>
<div class="article-content"><p>{html.escape(p.body)}</p></div></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _board(self, _: web.Request) -> web.Response:
        data = {
            "code": 0,
            "data": {
                "list": [
                    {
                        "id": i,
                        "title": p.title,
                        "content": p.body,
                        "createTime": f"{self.when(p):%Y-%m-%d %H:%M}",
                        "replyCount": p.replies,
                    }
                    for i, p in self.visible("board")
                ]
            },
        }
        return web.Response(
            text=json.dumps(data, ensure_ascii=False), content_type="application/json"
        )

    async def _feed(self, _: web.Request) -> web.Response:
        items = "\n".join(
            f"<item><title>{html.escape(p.title)}</title>"
            f"<link>{self.base}/news/{i}.html</link>"
            f"<description>{html.escape(p.body)}</description>"
            f"<pubDate>{format_datetime(self.when(p))}</pubDate></item>"
            for i, p in self.visible("feed")
        )
        xml = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>滁州新闻</title><link>{self.base}/news/</link>
{items}</channel></rss>"""
        return web.Response(text=xml, content_type="application/rss+xml")


def sources_yaml(base: str) -> str:
    return f"""\
# The demo site (sentinel.demo.site). Every source is on 127.0.0.1, hence allow_private.
defaults:
  politeness: {{rate: 50, concurrency: 4, robots: true}}
sources:
  - id: forum
    name: 明光论坛
    kind: html
    url: {base}/bbs/list.html
    territorial: true
    department: town
    every: 20s  # more often than the duty cadence, to see new posts soon
    allow_private: true
    selectors: {{item: "tr.thread", title: "a.xst", date: "td.by em", replies: "td.num"}}
    detail: {{body: "div.article-content"}}
  - id: portal
    name: 明光市人民政府网
    kind: html
    url: {base}/gov/list.html
    territorial: true
    every: 20s  # more often than the duty cadence, to see new posts soon
    allow_private: true
    selectors: {{item: "ul.list li", title: "a", date: "span"}}
    detail: {{body: "div.article-content"}}
  - id: board
    name: 市长信箱留言板
    kind: json
    board: true
    url: {base}/board/list.json
    territorial: true
    every: 20s  # more often than the duty cadence, to see new posts soon
    allow_private: true
    fields:
      items: data.list
      title: title
      link_template: "/board/{{id}}.html"
      date: createTime
      body: content
      replies: replyCount
  - id: feed
    name: 滁州新闻
    kind: rss
    url: {base}/feed.xml
    media: true
    every: 20s  # more often than the duty cadence, to see new posts soon
    allow_private: true
"""
