"""A post whose title alone is critical is read and pushed before its list's other posts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.servers import LocalSite

KEYWORDS = """\
region: [明光]
topics:
  - id: blast
    name: 爆炸事故
    department: yjj
    severity: critical
    any: [爆炸]
  - id: wages
    name: 欠薪
    department: rlsb
    severity: major
    any: [讨薪]
"""

SENTINEL = """\
http: {timeout: 10, concurrency: 8}
departments:
  - {id: lead, name: 牵头单位, lead: true}
  - {id: yjj, name: 应急管理局}
  - {id: rlsb, name: 人社局}
"""

TITLES = ["明光某工地工人讨薪", "明光一化工厂发生爆炸", "明光小区停水", "明光路灯修好了"]
SLOW = 2.0  # seconds the other posts' pages take


def _config(directory: Path, base: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (directory / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    (directory / "sources.yaml").write_text(
        f"""\
sources:
  - id: portal
    kind: html
    url: {base}/list.html
    allow_private: true
    politeness: {{rate: 100, concurrency: 8, robots: false}}
    selectors: {{item: "ul.list li", title: "a"}}
    detail: {{body: "div.article"}}
""",
        encoding="utf-8",
    )
    return directory


async def test_a_critical_title_is_pushed_before_the_other_pages_answer(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    items = "".join(f'<li><a href="/a/{n}.html">{t}</a></li>' for n, t in enumerate(TITLES))
    site.serve("/list.html", f'<html><body><ul class="list">{items}</ul></body></html>')
    answered: list[datetime] = []

    async def article(request: web.Request) -> web.StreamResponse:
        n = int(request.path.rsplit("/", 1)[1].split(".")[0])
        if n != 1:
            await asyncio.sleep(SLOW)
            answered.append(datetime.now(UTC))
        text = f'<html><body><div class="article">{TITLES[n]}。详情如下。</div></body></html>'
        return web.Response(text=text, content_type="text/html")

    for n in range(len(TITLES)):
        site.handle(f"/a/{n}.html", article)
    cfg = load_config(_config(tmp_path / "cfg", site.base))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run()
        assert report.posts_new == 4
        assert report.stories_new == 2
        [push] = await patrol.store.outbox()
        stories = {s.id: s for s in await patrol.store.stories()}
        assert stories[push.story_id].title == "明光一化工厂发生爆炸"
        assert stories[push.story_id].severity == "critical"
        # every post has its body from its own page, the critical one included
        bodies = {p.title: p.body for p in await patrol.store.posts()}
        assert all("详情如下" in bodies[t] for t in TITLES)
    assert len(answered) == 3
    assert push.created_at < min(answered)
