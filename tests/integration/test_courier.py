"""A critical push leaves while the patrol still waits on a hanging site (issue 14, item 3).

Two sites on loopback: one answers a critical post at once, the other hangs until the test lets
it go. The push must reach a real webhook endpoint while the hanging fetch is outstanding.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sentinel.daemon import Daemon, load_checked
from tests.daemon_kit import TZ
from tests.servers import LocalSite

NOON = datetime(2026, 11, 23, 12, 0, 30, tzinfo=TZ)

KEYWORDS = """\
region: [明光]
topics:
  - id: blast
    name: 爆炸事故
    department: yjj
    severity: critical
    any: [爆炸]
"""

SENTINEL = """\
http: {timeout: 60, concurrency: 8}
departments:
  - {id: lead, name: 牵头单位, lead: true}
  - {id: yjj, name: 应急管理局}
notify:
  office: 测试值班室
  departments:
    yjj: {webhooks: [{kind: json, url_env: YJJ_HOOK}]}
    lead: {webhooks: [{kind: json, url_env: LEAD_HOOK}]}
"""

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>明光新闻</title><link>{base}/</link>
<item><title>明光一化工厂发生爆炸</title><link>{base}/news/1.html</link>
<description>明光一化工厂发生爆炸，现场浓烟滚滚。</description></item>
</channel></rss>"""


class Hang:
    """A page that answers only when released; says when a request is waiting on it."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.arrived.set()
        await asyncio.to_thread(self.release.wait)  # every test releases it in the end
        self.answered.set()
        return web.Response(text="<rss version='2.0'><channel/></rss>", content_type="text/xml")


class Sink:
    """A webhook endpoint that keeps what it receives."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.pushed = threading.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(json.loads(await request.read()))
        self.pushed.set()
        return web.json_response({"ok": True})


@pytest.fixture
def hanging() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def county(directory: Path, news: LocalSite, slow: LocalSite) -> Path:
    directory.mkdir(parents=True)
    (directory / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (directory / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    polite = "politeness: {rate: 100, concurrency: 4, robots: false}"
    (directory / "sources.yaml").write_text(
        f"""\
sources:
  - id: slow
    kind: rss
    url: {slow.base}/feed.xml
    allow_private: true
    {polite}
  - id: news
    kind: rss
    url: {news.base}/feed.xml
    allow_private: true
    {polite}
""",
        encoding="utf-8",
    )
    return directory


async def test_a_critical_push_reaches_the_webhook_while_another_site_hangs(
    site: LocalSite, hanging: LocalSite, tmp_path: Path
) -> None:
    hang, sink = Hang(), Sink()
    hanging.handle("/feed.xml", hang)
    site.serve("/feed.xml", FEED.format(base=site.base), content_type="application/rss+xml")
    site.handle("/hook", sink)
    env = {"YJJ_HOOK": site.url("/hook"), "LEAD_HOOK": site.url("/hook")}
    d = Daemon(
        load_checked(county(tmp_path / "cfg", site, hanging)),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}",
        clock=lambda: NOON,
        env=env,
    )
    async with d:
        tick = asyncio.create_task(d.tick())
        try:
            assert await asyncio.to_thread(hang.arrived.wait, 30)
            # the fail-safe wait is long; the order of events is what is asserted
            assert await asyncio.to_thread(sink.pushed.wait, 30), "no push while a site hangs"
            assert not hang.answered.is_set() and not tick.done()
            [body] = sink.bodies[:1]
            assert body["kind"] == "push" and body["alert"]["title"] == "明光一化工厂发生爆炸"
        finally:
            hang.release.set()
            report = await tick
        assert report.dispatch.failed == 0
        pending = await d.patrol.store.outbox(pending=True)
        assert pending == []
    # the department and the lead office: one push each, never twice
    assert len([b for b in sink.bodies if b["kind"] == "push"]) == 2


async def test_stopping_cuts_the_hanging_fetch_and_leaves_its_source_for_the_next_start(
    site: LocalSite, hanging: LocalSite, tmp_path: Path
) -> None:
    hang = Hang()
    hanging.handle("/feed.xml", hang)
    site.serve("/feed.xml", FEED.format(base=site.base), content_type="application/rss+xml")
    site.handle("/hook", Sink())
    env = {"YJJ_HOOK": site.url("/hook"), "LEAD_HOOK": site.url("/hook")}
    config = county(tmp_path / "cfg", site, hanging)
    db = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    d = Daemon(load_checked(config), database_url=db, clock=lambda: NOON, env=env)
    stop = asyncio.Event()
    async with d:
        serving = asyncio.create_task(d.serve(stop, grace=600))
        try:
            assert await asyncio.to_thread(hang.arrived.wait, 30)
            # the other source's read may still be under way: it is not what is cut here
            for _ in range(300):
                if await d.patrol.store.alerts():
                    break
                await asyncio.sleep(0.1)
            stop.set()
            # a grace of ten minutes, a fetch deadline of three: only the cut ends it now
            clean = await asyncio.wait_for(asyncio.shield(serving), 60)
            assert clean and not hang.answered.is_set()
        finally:
            hang.release.set()
            await serving
        state = await d.patrol.store.alerts(), await _schedule(d)
    alerts, schedule = state
    assert len(alerts) == 1  # what was read before the cut is kept
    assert "source:news" in schedule and "source:slow" not in schedule
    assert "duty" not in schedule  # the duty patrol (digests) is run again at the next start
    again = Daemon(load_checked(config), database_url=db, clock=lambda: NOON, env=env)
    async with again:
        report = await again.tick()
    assert report.patrolled == ("slow",) and report.duty


async def _schedule(d: Daemon) -> dict[str, datetime]:
    from sentinel.store import Deliveries

    return await Deliveries(d.patrol.store).schedule_state()
