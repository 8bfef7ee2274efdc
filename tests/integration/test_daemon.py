"""The daemon with real components: local sites, SQLite, a real SMTP server, a fake clock."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sentinel.daemon import Daemon, load_checked
from sentinel.pipeline import Patrol
from sentinel.store import Deliveries
from tests.daemon_kit import TZ, Clock, MailServer, write_county
from tests.fixtures.sites import FORUM_ROWS, forum_page, good_sources, publish
from tests.servers import LocalSite

MONDAY_10 = datetime(2026, 11, 23, 10, 5, tzinfo=TZ)  # a working day
HOSTILE = '<script>alert(1)</script>女山湖镇强拆房屋<img src=x onerror="alert(2)">'


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


async def test_cadence_runs_through_the_daemon_and_survives_a_restart(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    sources = good_sources(site.base).replace(
        "  - id: feed\n    kind: rss\n", "  - id: feed\n    kind: rss\n    every: 10m\n"
    )
    config = write_county(tmp_path / "cfg", site, mail.port, sources=sources)
    clock = Clock(MONDAY_10)
    async with daemon(config, tmp_path, clock) as d:
        first = await d.tick()
        assert set(first.patrolled) == {"forum", "portal", "tw", "feed", "api"}
        assert first.duty and first.posts_new > 0
        clock.advance(minutes=5)  # 10:10: nothing is due
        quiet = await d.tick()
        assert quiet.patrolled == () and not quiet.duty
        clock.advance(minutes=6)  # 10:16: only the feed, on its own 10-minute cadence
        assert (await d.tick()).patrolled == ("feed",)
    assert site.hits("/bbs/forum-2-1.html") == 1
    # a restart does not patrol everything at once: the state is in the store
    async with daemon(config, tmp_path, clock) as d:
        clock.advance(minutes=1)
        assert (await d.tick()).patrolled == ()
        clock.advance(minutes=45)  # 11:02: the 11:00 duty patrol
        after = await d.tick()
        assert after.duty and set(after.patrolled) == {"forum", "portal", "tw", "feed", "api"}
    assert site.hits("/bbs/forum-2-1.html") == 2


async def test_digests_reach_a_real_smtp_server_with_hostile_text_inert(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    rows = [(101, html.escape(HOSTILE), 35, 1200, "2026-11-23 09:12"), *FORUM_ROWS[1:]]
    site.serve("/bbs/forum-2-1.html", forum_page(rows), content_type="text/html")
    config = write_county(tmp_path / "cfg", site, mail.port)
    clock = Clock(MONDAY_10)
    async with daemon(config, tmp_path, clock) as d:
        report = await d.tick()
        assert report.digests >= 3 and report.dispatch.failed == 0
        digests = [m for m in mail.inbox.mails if "舆情摘要" in str(m["Subject"])]
        assert len(digests) == report.digests
        by_to = {str(m["To"]): m for m in digests}
        zrzy = by_to["zrzy@example.gov.cn"]
        text = zrzy.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        page = zrzy.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert HOSTILE in text  # plain text shows it as it was written
        assert "<script>" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
        assert "&lt;script&gt;" in page
        alerts = await d.patrol.store.alerts(department="zrzy")
        assert alerts and all(f"https://yq.example.gov.cn/alerts/{a.id}" in page for a in alerts)
        assert "强拆" in text and "forum" in text
        # the same duty patrol again (a minute later, or after a restart): no second digest
        clock.advance(minutes=1)
        await d.tick(force_duty=True)
    async with daemon(config, tmp_path, clock) as d:
        await d.tick(force_duty=True)
    again = [m for m in mail.inbox.mails if "舆情摘要" in str(m["Subject"])]
    assert len(again) == len(digests)


async def test_smtp_down_then_up_delivers_each_notification_once(
    site: LocalSite, tmp_path: Path
) -> None:
    publish(site)
    down = MailServer()  # its port, nothing listening yet
    config = write_county(tmp_path / "cfg", site, down.port, critical_land=True)
    clock = Clock(MONDAY_10)
    async with daemon(config, tmp_path, clock) as d:
        failed = await d.tick()
        assert failed.dispatch.sent == 0 and failed.dispatch.failed > 0
        deliveries = Deliveries(d.patrol.store)
        pending = await d.patrol.store.outbox(pending=True)
        assert pending and all(r.last_error and r.attempts == 1 for r in pending)
        pushes = [r for r in pending if r.kind == "push"]
        assert {"zrzy", "lead"} <= {r.recipient for r in pushes}  # the department + lead office
        assert all(d.last_error for d in await deliveries.digests(pending=True))
        server = down.start()
        try:
            clock.advance(seconds=10)  # before the backoff: nothing is retried yet
            assert (await d.tick()).dispatch.sent == 0 and not server.inbox.mails
            clock.advance(minutes=2)
            delivered = await d.tick()
            assert delivered.dispatch.sent == failed.dispatch.failed
            for _ in range(2):  # later ticks within the same duty hour send nothing again
                clock.advance(minutes=20)
                assert not (await d.tick()).duty
            subjects = server.inbox.subjects()
            assert len(subjects) == failed.dispatch.failed
            assert len({(str(m["Subject"]), str(m["To"])) for m in server.inbox.mails}) == len(
                subjects
            )
            assert sum("紧急舆情" in s for s in subjects) == len(pushes)
            assert await d.patrol.store.outbox(pending=True) == []
        finally:
            server.stop()


async def test_a_push_written_but_not_sent_before_a_crash_is_sent_once_after_restart(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    config = write_county(tmp_path / "cfg", site, mail.port, critical_land=True)
    db = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    clock = Clock(MONDAY_10)
    # the pipeline queues the push in the story's transaction; the process dies before sending
    async with await Patrol.open(load_checked(config), database_url=db, clock=clock) as p:
        await p.run()
    async with await Patrol.open(load_checked(config), database_url=db, clock=clock) as p:
        queued = await p.store.outbox(pending=True)
    assert queued and {r.kind for r in queued} == {"push"} and not mail.inbox.mails
    for _ in range(2):  # restart, and restart again
        async with daemon(config, tmp_path, clock) as d:
            clock.advance(minutes=1)
            await d.tick()
    pushes = [
        (str(m["Subject"]), str(m["To"])) for m in mail.inbox.mails if "紧急舆情" in m["Subject"]
    ]
    assert len(pushes) == len(set(pushes)) == 2 * len(queued)  # its department + the lead office
    land = sorted(to for subject, to in pushes if "强拆" in subject)
    assert land == ["lead@example.gov.cn", "zrzy@example.gov.cn"]
    # a story critical by its topic says so: no rule raised it
    push = next(m for m in mail.inbox.mails if "强拆" in str(m["Subject"]))
    text = push.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "紧急原因：话题「征地拆迁」默认为紧急" in text


async def test_live_reload_takes_valid_edits_and_rejects_invalid_ones(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    full = good_sources(site.base)
    without_tw = full.replace(full[full.index("  - id: tw") : full.index("  - id: feed")], "")
    config = write_county(tmp_path / "cfg", site, mail.port, sources=without_tw)
    clock = Clock(MONDAY_10)
    async with daemon(config, tmp_path, clock) as d:
        assert "tw" not in (await d.tick()).patrolled
        (config / "sources.yaml").write_text(full, encoding="utf-8")
        clock.advance(minutes=1)
        assert (await d.tick()).patrolled == ("tw",)  # picked up at the next tick
        running = d.health()["config_digest"]
        assert running == d.cfg.digest == load_checked(config).digest
        good = (config / "sentinel.yaml").read_text(encoding="utf-8")
        (config / "sentinel.yaml").write_text(good + "colour: blue\n", encoding="utf-8")
        clock.advance(minutes=1)
        await d.tick()
        error = d.health()["last_config_error"]
        line = good.count("\n") + 1
        assert error and f"sentinel.yaml:{line}" in error and "colour" in error
        assert d.health()["config_digest"] == running  # what runs, not what the files say
        clock.advance(hours=1)  # the next duty patrol runs on the last good configuration
        kept = await d.tick()
        assert kept.duty and set(kept.patrolled) == {"forum", "portal", "tw", "feed", "api"}
        (config / "sentinel.yaml").write_text(good, encoding="utf-8")
        clock.advance(minutes=1)
        await d.tick()
        assert d.health()["last_config_error"] is None


EMPTY_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def lead_digests(mail: MailServer) -> list[str]:
    return [
        m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in mail.inbox.mails
        if "舆情摘要" in str(m["Subject"]) and str(m["To"]) == "lead@example.gov.cn"
    ]


async def test_source_health_reaches_the_lead_office_and_failing_sources_back_off(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    # nothing to alert on: the feed is blocked, every other list page is missing (404)
    site.serve("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.serve("/feed.xml", "denied", status=403)
    config = write_county(tmp_path / "cfg", site, mail.port)
    clock = Clock(MONDAY_10)
    async with daemon(config, tmp_path, clock) as d:
        first = await d.tick()
        assert first.duty and first.posts_new == 0
        [text] = lead_digests(mail)  # the lead office alone, with no alert to report
        health = text[text.index("数据源状况") :]
        assert "feed 出现异常：被拦截（HTTP 403）" in health
        assert "目前异常的数据源：\n- feed：被拦截" in health
        assert len(mail.inbox.mails) == 1

        site.serve("/feed.xml", EMPTY_FEED, content_type="application/rss+xml")
        clock.advance(minutes=57)  # 11:02: after one failure, sources are due at the hour
        second = await d.tick()
        assert set(second.patrolled) == {"forum", "portal", "tw", "feed", "api"}
        texts = lead_digests(mail)
        assert len(texts) == 2
        health = texts[1][texts[1].index("数据源状况") :]
        assert "feed 已恢复" in health and "出现异常" not in health
        assert "目前所有数据源正常" in health

        clock.advance(hours=1)  # 12:02: two failures wait two hours; no news, no digest
        third = await d.tick()
        assert third.duty and third.patrolled == ("feed",)
        assert len(lead_digests(mail)) == 2
    assert site.hits("/bbs/forum-2-1.html") == 2 and site.hits("/feed.xml") == 3


async def test_an_edit_is_noticed_through_watchfiles_even_with_mtime_and_size_unchanged(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    import asyncio
    import os

    config = write_county(tmp_path / "cfg", site, mail.port)
    settings = config / "sentinel.yaml"
    good = settings.read_text(encoding="utf-8")
    async with daemon(config, tmp_path, Clock(MONDAY_10)) as d:
        assert d.watcher.watching
        await asyncio.sleep(0.3)  # let the watch settle
        before = settings.stat()
        # same size, same mtime: the stat fallback alone cannot see this edit
        settings.write_text(good.replace("测试值班室", "测试值守室"), encoding="utf-8")
        os.utime(settings, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert d.watcher.stamp() == d.watcher._stamp
        for _ in range(100):  # a bounded wait for the event, not a timing assertion
            if d.watcher.dirty:
                break
            await asyncio.sleep(0.05)
        assert d.watcher.dirty
        await d.tick()
        assert d.cfg.settings.notify.office == "测试值守室"
    assert not d.watcher.watching  # closed with the daemon
