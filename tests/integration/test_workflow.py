"""The response workflow on a real store: alerts from patrols, actions, sweep, escalation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from sentinel.store import Store
from sentinel.workflow.service import Workflow
from sentinel.workflow.states import TransitionError
from tests.fixtures.sites import FORUM_ROWS, forum_page, publish, write_config
from tests.servers import LocalSite

CN = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=CN)  # a Monday, in workday hours: claim due 11:00
ROUTED = {"land": "zrzy", "wages": "rlsb", "living": "zjj", "fees": "jyj"}


def clock_at(t: datetime) -> Any:
    return lambda: t


async def alerts_by_topic(store: Store) -> dict[str, Any]:
    return {a.topic_id: a for a in await store.alerts()}


async def test_each_story_opens_one_routed_alert_and_repeats_add_none(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    async with await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0)) as patrol:
        await patrol.run()
        alerts = await alerts_by_topic(patrol.store)
        assert {t: a.department for t, a in alerts.items()} == ROUTED
        assert {a.state for a in alerts.values()} == {"new"}
        assert all(a.claim_due == datetime(2026, 11, 23, 11, tzinfo=CN) for a in alerts.values())
        # major: first public response 48 h after detection; general: none
        assert alerts["land"].public_response_due == T0 + timedelta(hours=48)
        assert alerts["living"].public_response_due is None
        # wages: a news outlet carries it → raised to critical, with the reason on record
        assert alerts["wages"].severity == "critical"
        assert alerts["wages"].public_response_due == T0 + timedelta(hours=24)
        events = await patrol.store.alert_events([alerts["wages"].id])
        assert [e.action for e in events] == ["open", "raise_severity"]
        assert events[1].data == {"signal": "media", "from": "major", "to": "critical"}
        assert "feed" in events[1].note
        await patrol.run()
        assert len(await patrol.store.alerts()) == 4
    async with await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0)) as again:
        await again.run()
        assert (await again.store.counts())["alert"] == 4


async def test_two_patrols_racing_on_one_database_open_four_alerts(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    setup = await Store.open(db_url)
    await setup.upgrade()
    await setup.close()
    a = await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0))
    b = await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0))
    try:
        await asyncio.gather(a.run(), b.run())
        alerts = await a.store.alerts()
        assert len(alerts) == 4
        assert len({x.story_id for x in alerts}) == 4
        assert {x.topic_id: x.department for x in alerts} == ROUTED
    finally:
        await a.close()
        await b.close()


async def test_spread_to_three_sources_and_reply_growth_raise_severity(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    directory = write_config(tmp_path / "cfg", site)
    sources = (directory / "sources.yaml").read_text(encoding="utf-8")
    # a second mirror of the Big5 repost page: the land story reaches a third source
    sources += f"""\
  - id: tw2
    kind: html
    url: {site.base}/tw2/list.html
    allow_private: true
    selectors: {{item: "ul.news li", title: "a", date: "em"}}
"""
    (directory / "sources.yaml").write_text(sources, encoding="utf-8")
    cfg = load_config(directory)
    tw2 = [s for s in cfg.sources.sources if s.id == "tw2"]
    rest = [s for s in cfg.sources.sources if s.id != "tw2"]
    from tests.fixtures.sites import BIG5_PAGE

    site.serve(
        "/tw2/list.html",
        BIG5_PAGE.replace("/tw/news/", "/tw2/news/").encode("big5"),
        content_type="text/html; charset=big5",
    )
    async with await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0)) as patrol:
        await patrol.run(rest)
        land = (await alerts_by_topic(patrol.store))["land"]
        assert land.severity == "major"
        later = T0 + timedelta(hours=1)
        patrol.clock = clock_at(later)
        await patrol.run(tw2)
        land = (await alerts_by_topic(patrol.store))["land"]
        assert land.severity == "critical"
        assert land.raised_at == later
        assert land.public_response_due == later + timedelta(hours=24)
        (raise_,) = [
            e for e in await patrol.store.alert_events([land.id]) if e.action == "raise_severity"
        ]
        assert raise_.data["signal"] == "spread" and raise_.note == "由 3 个来源转载"
        story = {s.id: s for s in await patrol.store.stories()}[land.story_id]
        assert story.severity == "critical"
        assert land.story_id in {o.story_id for o in await patrol.store.outbox()}


async def test_reply_growth_between_patrols_raises_once(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    rows = [(tid, t, 2 if tid == 102 else r, v, d) for tid, t, r, v, d in FORUM_ROWS]
    site.serve("/bbs/forum-2-1.html", forum_page(rows), content_type="text/html")
    cfg = load_config(write_config(tmp_path / "cfg", site))
    living_only = [s for s in cfg.sources.sources if s.id == "forum"]
    async with await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0)) as patrol:
        await patrol.run(living_only)
        assert (await alerts_by_topic(patrol.store))["land"].severity == "major"
        # +3 replies on land (35 → 38): noise; wages 2 → 5 is ×2 but only +3: noise too
        small = [(tid, t, r + 3, v, d) for tid, t, r, v, d in rows]
        site.serve("/bbs/forum-2-1.html", forum_page(small), content_type="text/html")
        await patrol.run(living_only)
        before = await alerts_by_topic(patrol.store)
        assert (before["land"].severity, before["wages"].severity) == ("major", "major")
        # land +60 in one patrol: raised
        big = [(tid, t, r + 63 if tid == 101 else r + 3, v, d) for tid, t, r, v, d in rows]
        site.serve("/bbs/forum-2-1.html", forum_page(big), content_type="text/html")
        await patrol.run(living_only)
        after = await alerts_by_topic(patrol.store)
        assert (after["land"].severity, after["wages"].severity) == ("critical", "major")
        (ev,) = [
            e
            for e in await patrol.store.alert_events([after["land"].id])
            if e.action == "raise_severity"
        ]
        assert ev.data["signal"] == "replies" and "跟帖由 38 增至 98" in ev.note


async def seed_patrol(site: LocalSite, tmp_path: Path, db_url: str) -> tuple[Any, Store]:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    async with await Patrol.open(cfg, database_url=db_url, clock=clock_at(T0)) as patrol:
        await patrol.run()
    store = await Store.open(db_url)
    flow = Workflow(store, cfg.settings)
    for login, role, dept in [
        ("wang", "officer", "zrzy"),
        ("li", "officer", "jyj"),
        ("boss", "lead", "lead"),
    ]:
        await flow.add_user(
            login, role=role, department=dept, name=login, password="secret-pw", at=T0
        )
    return flow, store


async def test_sweep_designates_overdue_unclaimed_alerts_once_in_constant_queries(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    flow, store = await seed_patrol(site, tmp_path, db_url)
    try:
        alerts = await alerts_by_topic(store)
        await flow.act(alerts["land"].id, "claim", "wang", at=T0 + timedelta(minutes=20))
        statements: list[str] = []

        def count(*_a: Any) -> None:
            statements.append("x")

        event.listen(store.engine.sync_engine, "before_cursor_execute", count)
        try:
            report = await flow.sweep(T0 + timedelta(hours=3))
        finally:
            event.remove(store.engine.sync_engine, "before_cursor_execute", count)
        # three unclaimed alerts past 11:00 are designated to the lead office, as late claims;
        # land was claimed at 10:20, its first report (due 12:20) is now overdue
        assert sorted(report.designated) == sorted(
            alerts[t].id for t in ("wages", "living", "fees")
        )
        assert len(statements) <= 6  # select, designate, fields, events, reminders (+BEGIN)
        after = await alerts_by_topic(store)
        for t in ("wages", "living", "fees"):
            assert (after[t].state, after[t].department, after[t].late_claim) == (
                "claimed",
                "lead",
                True,
            )
            assert after[t].first_report_due == T0 + timedelta(hours=5)
        assert after["land"].overdue == ("first_report",)
        trail = await store.alert_events([after["fees"].id])
        assert (
            [e.action for e in trail] == ["open", "overdue", "designate"]
            or [e.action for e in trail] == ["open", "designate", "overdue"]
            or "designate" in [e.action for e in trail]
        )
        designate = next(e for e in trail if e.action == "designate")
        assert designate.data["late"] is True and designate.actor == "sentinel"
        reminders = [o for o in await store.outbox() if o.kind == "reminder"]
        assert {(o.recipient, o.step) for o in reminders} >= {("zrzy", "first_report")}
        counts = (await store.counts())["alert_event"], len(await store.outbox())
        again = await flow.sweep(T0 + timedelta(hours=3))
        assert again.designated == () and again.newly_overdue == () and again.reminders == 0
        assert ((await store.counts())["alert_event"], len(await store.outbox())) == counts
    finally:
        await store.close()


async def test_actions_are_authorised_and_conflicts_fail_cleanly(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    flow, store = await seed_patrol(site, tmp_path, db_url)
    try:
        alerts = await alerts_by_topic(store)
        with pytest.raises(TransitionError, match="officer of jyj, the alert belongs to zrzy"):
            await flow.act(alerts["land"].id, "claim", "li", at=T0)
        with pytest.raises(TransitionError, match="cannot verify an alert in state new"):
            await flow.act(alerts["land"].id, "verify", "wang", at=T0, note="x")
        # two claims racing: the second sees the first's change and is refused
        from sentinel.workflow.service import ConflictError

        stale = await store.alert(alerts["fees"].id)
        await flow.act(stale.id, "claim", "li", at=T0 + timedelta(minutes=5))
        async with store.transaction() as tx:
            assert not await tx.change_alert(stale.id, stale.version, {"state": "claimed"})
        assert ConflictError.__doc__
        # rerouted by the lead office: back to new, in the other department, fresh claim clock
        row = await flow.act(
            alerts["living"].id,
            "reroute",
            "boss",
            at=T0 + timedelta(minutes=30),
            target_department="town",
        )
        assert (row.state, row.department) == ("new", "town")
        assert row.claim_due == datetime(2026, 11, 23, 12, tzinfo=CN)
        assert await flow.verify_password("wang", "secret-pw")
        assert not await flow.verify_password("wang", "wrong")
    finally:
        await store.close()


async def test_assessment_figures_on_a_seeded_history(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    from sentinel.workflow.reports import assessment, daily

    flow, store = await seed_patrol(site, tmp_path, db_url)
    try:
        a = await alerts_by_topic(store)
        m = lambda n: T0 + timedelta(minutes=n)  # noqa: E731
        # land (zrzy): claimed in 30 min, first report in time, verified and replied in time
        land = a["land"].id
        await flow.act(land, "claim", "wang", at=m(30))
        await flow.act(land, "first_report", "wang", at=m(60), note="研判: 属实")
        await flow.act(land, "request_extension", "wang", at=m(90), note="需要补充材料", days=2)
        await flow.act(land, "grant_extension", "boss", at=m(100))
        await flow.act(land, "verify", "wang", at=m(24 * 60), note="核实报告")
        await flow.act(land, "reply", "wang", at=m(25 * 60), link="https://gov.example/reply/1")
        await flow.act(land, "close", "wang", at=m(26 * 60))
        # fees (jyj): claimed late at 11:30 (due 11:00); first report 4 h later (late)
        fees = a["fees"].id
        await flow.act(fees, "claim", "li", at=m(90))
        await flow.act(fees, "first_report", "li", at=m(90 + 240), note="研判")
        # wages and living: never claimed; the sweep designates them at 13:00
        await flow.sweep(m(180))
        rows = {
            r["department"]: r
            for r in await assessment(
                store, start=T0 - timedelta(hours=1), end=m(60 * 48), now=m(60 * 30)
            )
        }
        assert rows["zrzy"] == {
            "department": "zrzy",
            "received": 1,
            "claimed_on_time": 1,
            "late_claims": 0,
            "first_reports_on_time": 1,
            "verifications_on_time": 1,
            "replies_on_time": 1,
            "overdue_now": 0,
            "extensions_asked": 1,
            "extensions_granted": 1,
            "median_claim_minutes": 30.0,
            # each later step done, all three on time: rates of 100%
            "first_reports_decided": 1,
            "verifications_decided": 1,
            "replies_decided": 1,
        }
        assert rows["jyj"]["late_claims"] == 1 and rows["jyj"]["claimed_on_time"] == 0
        assert rows["jyj"]["first_reports_on_time"] == 0
        assert rows["jyj"]["median_claim_minutes"] == 90.0
        # 30 h on: fees' verification (5 working days) is not yet due, nor anything else
        assert rows["jyj"]["overdue_now"] == 0
        # designated to the lead office at 13:00: the late claims are the departments' that
        # held them at the 11:00 deadline; the lead office handles them from then on
        for dept in ("rlsb", "zjj"):
            assert rows[dept]["received"] == 1 and rows[dept]["late_claims"] == 1
            assert rows[dept]["claimed_on_time"] == 0
            assert rows[dept]["median_claim_minutes"] == 180.0
        assert rows["lead"]["received"] == 0 and rows["lead"]["late_claims"] == 0
        assert rows["lead"]["overdue_now"] == 2  # their first reports, due 15:00
        # overdue and not done: decided, against the lead office's first-report rate
        assert (rows["lead"]["first_reports_on_time"], rows["lead"]["first_reports_decided"]) == (
            0,
            2,
        )
        log = await daily(store, day=T0.date(), tz=CN, now=m(60 * 30))
        assert log["new_stories"] == 4
        assert log["stories_by_severity"] == {"critical": 1, "general": 2, "major": 1}
        assert log["open_alerts_by_state"] == {"assessed": 1, "claimed": 2}
        # wages is critical: its first public response (24 h) has passed unanswered
        assert [o["steps"] for o in log["overdue"] if o["alert_id"] == a["wages"].id] == [
            ["first_report", "public_response"]
        ]
    finally:
        await store.close()


async def test_a_sweep_costs_the_same_statements_for_two_alerts_or_thirty(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    """No N+1: the sweep's statement count does not grow with the number of alerts it handles."""
    from sentinel.workflow.alerts import build_policy, open_alert

    cfg = load_config(write_config(tmp_path / "cfg", site))
    policy = build_policy(cfg.settings)
    store = await Store.open(db_url)
    try:
        await store.upgrade()
        flow = Workflow(store, cfg.settings)

        async def open_alerts(n: int, at: datetime) -> None:
            async with store.transaction() as tx:
                for i in range(n):
                    story = await tx.create_story(
                        topic_id="land", title=f"story {i}", severity="general",
                        department="zrzy", first_seen_at=at,
                    )  # fmt: skip
                    await open_alert(
                        tx, policy, story_id=story, department="zrzy", severity="general",
                        board=False, detected_at=at,
                    )  # fmt: skip

        async def counted_sweep(at: datetime) -> tuple[int, int]:
            statements: list[str] = []

            def count(*_a: Any) -> None:
                statements.append("x")

            event.listen(store.engine.sync_engine, "before_cursor_execute", count)
            try:
                report = await flow.sweep(at)
            finally:
                event.remove(store.engine.sync_engine, "before_cursor_execute", count)
            return len(report.designated), len(statements)

        # Both counted sweeps do the same kinds of work (designate the unclaimed, mark a step
        # overdue, queue reminders), the second on fifteen times as many alerts.
        await open_alerts(1, T0 - timedelta(days=1))
        await flow.sweep(T0 - timedelta(days=1) + timedelta(hours=3))
        await open_alerts(2, T0)
        few = await counted_sweep(T0 + timedelta(hours=3))
        await open_alerts(30, T0 + timedelta(days=1))
        many = await counted_sweep(T0 + timedelta(days=1, hours=3))
        assert few[0] == 2 and many[0] == 30  # every unclaimed alert designated
        assert few[1] == many[1]
    finally:
        await store.close()
