"""A hostile page in a real patrol: the bad item is recorded on the source's health with its URL
and reason; every other item of the page is stored, with values the store can hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import Config, load_config
from sentinel.fetch import Fetcher
from sentinel.pipeline import Patrol
from sentinel.read import LocalReader
from sentinel.read.guard import Guard
from tests.fixtures.sites import PORTAL_ITEMS, portal_list, publish, write_config
from tests.servers import LocalSite

LONG_ID = "x" * 3000
# Written by hand: json.dumps cannot write 1e999, and these are what sites send.
HOSTILE_API = (
    '{"data": {"list": ['
    '{"id": 1, "title": "明光年份一", "createTime": "0001-01-01T00:00:00", "replyCount": 1e999},'
    '{"id": 2, "title": "明光\\ud800代理", "createTime": "2026-11-20 14:00",'
    ' "replyCount": 99999999999999999999},'
    f'{{"id": "{LONG_ID}", "title": "太长的链接", "createTime": "2026-11-20 14:00"}},'
    '{"id": 4, "title": "建议增加公交班次", "createTime": "2026-11-20 14:30", "replyCount": 3}'
    "]}}"
)


def with_scouts(cfg: Config, n: int) -> Config:
    http = cfg.settings.http.model_copy(update={"scouts": n})
    settings = cfg.settings.model_copy(update={"http": http})
    return Config(
        dir=cfg.dir, sources=cfg.sources, keywords=cfg.keywords, settings=settings, docs=cfg.docs
    )


@pytest.mark.parametrize("scouts", [0, 1])
async def test_a_hostile_json_page_costs_its_one_bad_item(
    site: LocalSite, tmp_path: Path, db_url: str, scouts: int
) -> None:
    publish(site)
    site.serve("/api/list?page=1", HOSTILE_API, content_type="application/json")
    cfg = with_scouts(load_config(write_config(tmp_path / "cfg", site)), scouts)
    api = [s for s in cfg.sources.sources if s.id == "api"]
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run(api)
        assert report.sources_failed == 0, [r.error for r in report.sources]
        posts = {p.title: p for p in await patrol.store.posts(source_id="api")}
        assert set(posts) == {"明光年份一", "明光\ufffd代理", "建议增加公交班次"}
        assert posts["明光年份一"].published_at is None
        assert posts["明光年份一"].replies is None
        assert posts["明光\ufffd代理"].replies is None
        assert posts["建议增加公交班次"].replies == 3
        (status,) = [s for s in await patrol.store.sources_status() if s.source_id == "api"]
    assert status.health == "ok"
    skipped_url = site.url(f"/board/detail?id={LONG_ID[:100]}")
    assert status.health_reason.startswith(f"1 item(s) skipped: {skipped_url}")
    assert "URL of 3" in status.health_reason


PAGE_CPU = 0.05  # seconds: the test's budget; the heavy feed takes ~0.8 s, the big list ~4 ms


def broken_feed(items: int = 1000) -> str:
    """A 1.3 MB feed that is not XML (a bare `&`): feedparser's tolerant parse, ~0.8 s."""
    entries = "".join(
        f"<item><title>明光{i} & 县</title><link>http://a.example.cn/n/{i}.html</link>"
        f"<description>{'正文' * 200}</description>"
        "<pubDate>Mon, 16 Nov 2026 01:00:00 +0000</pubDate></item>"
        for i in range(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"{entries}</channel></rss>"
    )


async def test_a_page_over_the_cpu_budget_is_its_sources_error_and_the_others_are_stored(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    site.serve("/feed.xml", broken_feed(), content_type="application/rss+xml")
    # big too: read in the same child, maybe queued behind the feed when it ends the child
    site.serve("/gov/list.html", portal_list() + f"<!--{'x' * 270_000}-->")
    cfg = load_config(write_config(tmp_path / "cfg", site))
    budget = Guard(cpu=PAGE_CPU)
    try:
        async with Fetcher(cfg.settings.http) as fetcher:
            reader = LocalReader(fetcher, guard=budget)
            async with await Patrol.open(cfg, database_url=db_url, reader=reader) as patrol:
                report = await patrol.run()
                by_id = {r.source_id: r for r in report.sources}
                feed = by_id.pop("feed")
                assert not feed.ok and feed.error_kind == "ExtractError"
                assert feed.url == site.url("/feed.xml")
                assert f"page reading stopped (over 300 MB or {PAGE_CPU:g} s of CPU)" in (
                    feed.error or ""
                )
                assert all(r.ok for r in by_id.values()), [r.error for r in by_id.values()]
                posts = await patrol.store.posts()
                stored = {p.source_id for p in posts}
                status = {s.source_id: s for s in await patrol.store.sources_status()}
    finally:
        budget.shutdown()
    assert stored == {"forum", "portal", "tw", "api"}
    assert "page reading stopped" in (status["feed"].last_error or "")
    assert status["portal"].items_last == len(PORTAL_ITEMS)
