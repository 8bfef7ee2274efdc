"""Leaders' topic trends (pure series, page, CSV, JSON), printable reports, and the operators'
page with the daemon's health and the sources' health events."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from typing import Any

from sentinel.sources.health import Event, Health, State
from sentinel.store import StoryView
from sentinel.web import WebSettings, create_app
from sentinel.workflow.reports import topic_trends, trends_table
from sentinel.workflow.service import Workflow
from tests.web.desk import CN, HOSTILE, T0, Desk, client, sign_in


def story(i: int, topic: str, first: datetime) -> StoryView:
    return StoryView(
        id=i, topic_id=topic, title=f"s{i}", severity="general", department=None,
        first_seen_at=first, last_seen_at=first + timedelta(days=3), words=(), posts=(),
    )  # fmt: skip


def test_topic_trends_count_new_stories_per_local_day_with_zeros() -> None:
    day = datetime(2026, 11, 20, 0, 30, tzinfo=CN)  # 16:30 UTC the day before
    stories = [
        story(1, "land", day),
        story(2, "land", day + timedelta(hours=20)),
        story(3, "wages", day + timedelta(days=2)),
        story(4, "land", day - timedelta(hours=1)),  # 19 Nov local: before the period
        story(5, "wages", day + timedelta(days=3)),  # 23 Nov: after it
    ]
    data = topic_trends(stories, start=date(2026, 11, 20), end=date(2026, 11, 22), tz=CN)
    assert data["days"] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert data["series"] == {"land": [2, 0, 0], "wages": [0, 0, 1]}
    assert data["totals"] == {"land": 2, "wages": 1}
    assert trends_table(data) == [
        ["date", "land", "wages"],
        ["2026-11-20", 2, 0],
        ["2026-11-21", 0, 0],
        ["2026-11-22", 0, 1],
    ]
    empty = topic_trends([], start=date(2026, 11, 20), end=date(2026, 11, 20), tz=CN)
    assert empty["series"] == {} and empty["days"] == ["2026-11-20"]


async def test_leaders_see_topic_trends_as_stacked_columns_csv_and_json(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        page = (await c.get("/reports/trends?from=2026-11-21&to=2026-11-23")).text
        assert "各主题新增舆情（按日）" in page
        # one segment per topic and day with stories, its count on it; none for empty days
        segments = re.findall(r'class="segment"><title>(\S+) (\S+) (\d+)</title>', page)
        assert ("2026-11-23", "征地拆迁", "2") in segments
        assert {day for day, _, _ in segments} == {"2026-11-23"}
        assert {topic for _, topic, _ in segments} == {"征地拆迁", "欠薪", "教育收费", "人居环境"}
        legend = re.findall(r'class="legend">([^<]+)<', page)
        assert legend[0] == "征地拆迁 2"  # the largest first, at the bottom of the stack
        total = sum(int(n) for _, _, n in segments)
        assert re.search(rf'class="value">{total}<', page)  # the column's total on top
        assert "<script" not in page.split("</head>")[1].replace('<script src="/static', "")
        r = await c.get("/reports/trends.csv?from=2026-11-21&to=2026-11-23")
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert rows[0][0] == "date" and [x[0] for x in rows[1:]] == [
            "2026-11-21", "2026-11-22", "2026-11-23",
        ]  # fmt: skip
        land_col = rows[0].index("land")
        assert [x[land_col] for x in rows[1:]] == ["0", "0", "2"]
        data = (await c.get("/api/reports/trends?from=2026-11-21&to=2026-11-23")).json()
        assert data["series"]["land"] == [0, 0, 2] and data["names"]["land"] == "征地拆迁"
        assert (await c.get("/api/reports/trends?from=2026-11-24&to=2026-11-01")).status_code == 422
    async with client(desk.app) as c:
        await sign_in(c, "wang")  # an officer reads no leaders' reports
        assert (await c.get("/api/reports/trends")).status_code == 403
        assert (await c.get("/reports/trends")).status_code == 403


async def test_printable_reports_are_standalone_and_escape_crawled_text(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        r = await c.get("/reports/daily/print?date=2026-11-23")
        assert r.status_code == 200 and "script-src" not in r.headers["content-security-policy"]
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "<script" not in r.text and "&lt;script&gt;" in r.text and HOSTILE[:6] in r.text
        assert "新增舆情 <strong>5</strong> 条" in r.text
        r = await c.get("/reports/assessment/print?from=2026-11-23&to=2026-11-23")
        assert r.status_code == 200 and "<script" not in r.text and "自然资源局" in r.text


async def test_operators_see_daemon_health_config_errors_and_source_events(desk: Desk) -> None:
    health: dict[str, Any] = {
        "config_dir": "/etc/sentinel",
        "config_digest": "0f" * 16,
        "last_config_error": "keywords.yaml:3: topics.0.any <b>must</b> not be empty",
        "last_tick_at": T0.isoformat(),
        "ticks": 42,
        "tick_failures": 1,
    }
    broken = Health(state=State.broken_layout, reason="no items <i>matched</i>", had_items=True)
    ev = Event(kind="raised", state=State.broken_layout, reason=broken.reason)
    await desk.store.record_health("forum", broken, ev, T0 - timedelta(hours=2))
    cleared = Event(kind="cleared", state=State.unreachable, reason="back")
    await desk.store.record_health("feed", Health(), cleared, T0 - timedelta(hours=1))
    await desk.store.flush()
    app = create_app(
        desk.cfg, desk.store, Workflow(desk.store, desk.cfg.settings), clock=desk.clock,
        settings=WebSettings(secret="test-secret-" + "x" * 20), health=lambda: health,
    )  # fmt: skip
    async with client(app) as c:
        await sign_in(c, "boss")
        page = (await c.get("/operator")).text
        assert "配置重载失败" in page and "&lt;b&gt;must&lt;/b&gt;" in page
        assert '<span id="ticks">42</span>' in page and 'class="late">1</span>' in page
        assert f'<code id="config-digest">{"0f" * 16}</code>' in page  # to compare with workers
        assert re.search(r'data-source="forum" data-health="broken_layout"', page)
        assert "页面结构变化" in page and "no items &lt;i&gt;matched&lt;/i&gt;" in page
        events = re.findall(r'data-source="(\w+)" data-kind="(\w+)"', page)
        assert events == [("feed", "cleared"), ("forum", "raised")]  # newest first
        data = (await c.get("/api/sources")).json()
        assert data["daemon"]["ticks"] == 42
        assert [(e["source_id"], e["kind"]) for e in data["events"]] == events
        forum = next(s for s in data["sources"] if s["source_id"] == "forum")
        assert forum["health"] == "broken_layout" and forum["selectors_stale"]
        health["last_config_error"] = None  # the next reload succeeded
        assert "最近一次配置加载无错误" in (await c.get("/operator")).text
    async with client(desk.app) as c:  # `sentinel web` alone: no daemon section
        await sign_in(c, "boss")
        assert 'id="daemon"' not in (await c.get("/operator")).text
        assert (await c.get("/api/sources")).json()["daemon"] is None


async def test_a_verification_report_comes_as_a_long_paste_or_a_text_file(desk: Desk) -> None:
    aid = desk.ids["hostile"]
    long_report = "核实情况：" + "补偿款已于十一月二十日发放到位。" * 3000  # ~48,000 characters
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")

        async def act(files: Any = None, **form: str) -> str:
            r = await c.post(f"/alerts/{aid}/act", data={"csrf": csrf, **form}, files=files)
            assert r.status_code == 303, r.text
            return str(r.headers["location"])

        await act(action="claim")
        await act(action="first_report", note="研判：属实")
        page = (await c.get(f"/alerts/{aid}")).text
        assert 'enctype="multipart/form-data"' in page and 'name="attachment"' in page
        # a binary file is refused with the reason, and nothing is written
        where = await act(
            action="verify", note="", files={"attachment": ("scan.png", b"\x89PNG\x00\x01")}
        )
        assert "error=" in where and "文本文件" in (await c.get(where)).text
        assert (await desk.store.alert(aid)).state == "assessed"
        # a GB18030 text file (as Chinese office software saves it) and a long pasted text
        attachment = ("核查笔录.txt", "现场核查笔录：群众反映属实".encode("gb18030"))
        where = await act(action="verify", note=long_report, files={"attachment": attachment})
        assert "error=" not in where
    row = await desk.store.alert(aid)
    assert row.state == "verified"
    (event,) = [e for e in await desk.store.alert_events([aid]) if e.action == "verify"]
    assert event.note.startswith(long_report)  # kept whole, not cut short
    assert event.note.endswith("【附件：核查笔录.txt】\n现场核查笔录：群众反映属实")
