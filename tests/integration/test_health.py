"""Source health through real patrols: broken layout, blocked, unreachable; raised once."""

from __future__ import annotations

from pathlib import Path

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.fixtures.sites import forum_page, publish, write_config
from tests.servers import LocalSite

FORUM = "/bbs/forum-2-1.html"
CAPTCHA = """<html><head><title>安全验证</title></head><body>
<div class="geetest_holder">请拖动滑块完成安全验证后继续访问</div></body></html>"""


async def test_health_is_raised_once_and_cleared(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    forum = [s for s in cfg.sources.sources if s.id == "forum"]
    async with await Patrol.open(cfg, database_url=db_url) as patrol:

        async def health() -> tuple[str, str]:
            (st,) = [s for s in await patrol.store.sources_status() if s.source_id == "forum"]
            return st.health, st.health_reason

        await patrol.run(forum)
        assert (await health())[0] == "ok"

        # The site renames its thread rows: the selector finds nothing where it found six.
        renamed = forum_page().replace(b"normalthread_", b"thread_row_")
        site.serve(FORUM, renamed, content_type="text/html")
        await patrol.run(forum)
        await patrol.run(forum)
        assert await health() == ("broken_layout", "no items where there were")

        site.serve(FORUM, forum_page(), content_type="text/html")
        await patrol.run(forum)
        assert (await health())[0] == "ok"

        site.serve(FORUM, CAPTCHA.encode("gbk"), content_type="text/html; charset=gbk")
        await patrol.run(forum)
        assert await health() == ("blocked", "captcha / anti-bot page")

        site.serve(FORUM, "forbidden", status=403)
        await patrol.run(forum)
        assert (await health())[0] == "blocked"

        site.serve(FORUM, "boom", status=500)
        for _ in range(3):
            await patrol.run(forum)
        state, reason = await health()
        assert state == "unreachable" and reason.startswith("3 failed fetches in a row")

        events = [(e.kind, e.state) for e in await patrol.store.source_events()]
    # Each change once: a problem that persists over patrols is not repeated.
    assert events == [
        ("raised", "broken_layout"),
        ("cleared", "broken_layout"),
        ("raised", "blocked"),
        ("raised", "unreachable"),
    ]


async def test_an_unchanged_page_keeps_its_health(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    feed = [s for s in cfg.sources.sources if s.id == "feed"]
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        first = await patrol.run(feed)
        second = await patrol.run(feed)
        assert second.not_modified == 1 and first.sources_ok == 1
        (st,) = [s for s in await patrol.store.sources_status() if s.source_id == "feed"]
        assert st.health == "ok"
        assert await patrol.store.source_events() == []
