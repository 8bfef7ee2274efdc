"""Claim deadlines count from the duty patrol that delivers the story (issue 14, item 1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sentinel.daemon import Daemon, load_checked
from sentinel.workflow.service import Workflow
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


@asynccontextmanager
async def first_tick(
    site: LocalSite, mail: MailServer, tmp_path: Path, clock: Clock, user: tuple[str, str, str]
) -> AsyncIterator[tuple[Daemon, Workflow]]:
    """The county's daemon after its first tick at `clock`, with one user (login, role,
    department) to act."""
    from sentinel.workflow.service import Workflow

    publish(site)
    config = write_county(tmp_path / "cfg", site, mail.port)
    async with daemon(config, tmp_path, clock) as d:
        await d.tick()
        flow = Workflow(d.patrol.store, d.cfg.settings)
        login, role, department = user
        await flow.add_user(
            login, role=role, department=department, name=login, password="secret-pw", at=TEN
        )
        yield d, flow


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


async def test_late_claims_are_charged_to_the_department_that_held_the_alert(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    from sentinel.workflow.reports import assessment

    clock = Clock(TEN + timedelta(seconds=40))
    async with first_tick(site, mail, tmp_path, clock, ("boss", "lead", "lead")) as (d, flow):
        store = d.patrol.store
        alerts = {a.topic_id: a for a in await store.alerts()}
        # the lead office names the owner of the fees alert before its deadline: not late
        early = await flow.act(
            alerts["fees"].id, "designate", "boss", at=TEN + timedelta(minutes=30),
            target_department="town",
        )  # fmt: skip
        assert (early.department, early.late_claim) == ("town", False)

        clock.now = TEN + timedelta(hours=1, minutes=5)  # the 11:00 duty patrol: deadline passed
        report = await d.tick()
        assert report.duty
        after = {a.topic_id: a for a in await store.alerts()}
        for topic in ("land", "wages", "living"):
            assert (after[topic].department, after[topic].late_claim) == ("lead", True)

        rows = {
            r["department"]: r
            for r in await assessment(
                store, start=TEN - timedelta(hours=1), end=TEN + timedelta(days=1), now=clock.now
            )
        }
        # the failing departments carry their late claims; the lead office only handles them
        for dept in ("zrzy", "rlsb", "zjj"):
            assert (rows[dept]["received"], rows[dept]["late_claims"]) == (1, 1)
        assert rows["lead"]["late_claims"] == 0 and rows["lead"]["received"] == 0
        assert (rows["town"]["received"], rows["town"]["claimed_on_time"]) == (1, 1)
        assert "jyj" not in rows  # designated away in time: nothing to answer for

    # each department that lost an alert is told, with whether it counts against it
    notices = {
        str(m["To"]): str(m.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        for m in mail.inbox.mails
        if "已指定" in str(m["Subject"])
    }
    assert set(notices) == {
        "zrzy@example.gov.cn",
        "rlsb@example.gov.cn",
        "zjj@example.gov.cn",
        "jyj@example.gov.cn",
    }
    assert "认领期限（2026-11-23 11:00）前人社局未认领" in notices["rlsb@example.gov.cn"]
    assert "记为人社局逾期认领" in notices["rlsb@example.gov.cn"]
    assert "指定镇政府承办" in notices["jyj@example.gov.cn"]
    assert "逾期" not in notices["jyj@example.gov.cn"]


async def test_refusals_show_the_extension_window_in_local_time(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    from sentinel.workflow.states import TransitionError

    clock = Clock(TEN)
    async with first_tick(site, mail, tmp_path, clock, ("wang", "officer", "zrzy")) as (d, flow):
        store = d.patrol.store
        [land] = [a for a in await store.alerts() if a.topic_id == "land"]
        await flow.act(land.id, "claim", "wang", at=TEN + timedelta(minutes=20))
        # claimed Monday 10:20: the window to ask closes three working days later, 10:20 local
        with pytest.raises(TransitionError) as refused:
            await flow.act(
                land.id, "request_extension", "wang", at=TEN + timedelta(days=4),
                note="需要补充材料", days=2,
            )  # fmt: skip
        assert "closed at 2026-11-26 10:20 Asia/Shanghai" in str(refused.value)
        assert "+00:00" not in str(refused.value)


async def test_a_reminder_names_the_overdue_step_instead_of_asking_for_a_claim(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    clock = Clock(TEN + timedelta(seconds=40))
    async with first_tick(site, mail, tmp_path, clock, ("boss", "lead", "lead")) as (d, flow):
        store = d.patrol.store
        fees = next(a for a in await store.alerts() if a.topic_id == "fees")
        claimed = await flow.act(
            fees.id, "designate", "boss", at=TEN + timedelta(minutes=30), target_department="town"
        )
        assert claimed.first_report_due == TEN + timedelta(hours=2, minutes=30)
        clock.now = TEN + timedelta(hours=3, minutes=2)  # the 13:00 duty patrol: report overdue
        await d.tick()
    [reminder] = [
        m
        for m in mail.inbox.mails
        if "提醒" in str(m["Subject"]) and str(m["To"]) == "town@example.gov.cn"
    ]
    assert "首报（研判及处置意见）已超期" in str(reminder["Subject"])
    body = str(reminder.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "提醒：首报（研判及处置意见）已超期（期限 2026-11-23 12:30），请尽快办理" in body
    assert "请立即认领" not in body
