"""Claim deadlines count from the duty patrol that delivers the story (issue 14, item 1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sentinel.daemon import Daemon, load_checked
from tests.daemon_kit import TZ, Clock, MailServer, write_county
from tests.fixtures.sites import publish
from tests.servers import LocalSite

TEN = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday: hourly duty patrols


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def daemon(config: Path, tmp_path: Path, clock: Clock) -> Daemon:
    return Daemon(
        load_checked(config),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}",
        clock=clock,
        env={},
    )


def plain(mail: MailServer, subject: str, to: str) -> str:
    [m] = [m for m in mail.inbox.mails if subject in str(m["Subject"]) and str(m["To"]) == to]
    return str(m.get_body(("plain",)).get_content())  # type: ignore[union-attr]


async def test_a_story_found_seconds_into_the_10_00_duty_patrol_is_due_at_11_00(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    config = write_county(tmp_path / "cfg", site, mail.port, critical_land=True)
    clock = Clock(TEN + timedelta(seconds=40))
    async with daemon(config, tmp_path, clock) as d:
        report = await d.tick()
        assert report.duty and report.digests
        alerts = await d.patrol.store.alerts()
        assert alerts
        assert {a.claim_due for a in alerts} == {TEN + timedelta(hours=1)}
        # what the officers read says the same: the 10:00 digest and the critical push
        digest = plain(mail, "舆情摘要", "zrzy@example.gov.cn")
        assert "认领期限：2026-11-23 11:00" in digest
        push = plain(mail, "紧急舆情", "zrzy@example.gov.cn")
        assert "请立即认领" in push and "认领期限：2026-11-23 11:00" in push

        # a story found between duty patrols waits for the next one's digest: due at 12:00
        later = TEN + timedelta(minutes=20)
        clock.now = later
        d.patrol.clock = clock
        site.serve(
            "/feed.xml",
            FEED.format(base=site.base),
            content_type="application/rss+xml",
        )
        await d.patrol.run([s for s in d.cfg.sources.sources if s.id == "feed"])
        fresh = [a for a in await d.patrol.store.alerts() if a.detected_at == later]
        assert fresh and {a.claim_due for a in fresh} == {TEN + timedelta(hours=2)}


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>明光新闻</title><link>{base}/</link>
<item><title>明光某学校乱收费 家长质疑</title><link>{base}/news/fee-2.html</link>
<description>明光市某学校向家长乱收费，家长质疑收费依据。</description>
<pubDate>Mon, 23 Nov 2026 02:10:00 +0000</pubDate></item>
</channel></rss>"""
