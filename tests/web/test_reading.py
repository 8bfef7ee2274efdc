"""What officers and leaders read: names rather than ids, how long ago in words, a reply chart
that can be read with one reading, and no on-time rate before any claim deadline passed."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sentinel.web import present
from sentinel.workflow.service import MetricPoint
from tests.web.desk import T0, Desk, client, later, open_desk, sign_in

Template = tuple[Path, Path, bytes]


async def test_the_daily_log_names_topics(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        page = (await c.get("/reports/daily?date=2026-11-23")).text
        cells = re.findall(r"<tr><td>([^<]+)</td><td>\d+</td></tr>", page)
        assert {"征地拆迁", "欠薪", "人居环境", "教育收费"} <= set(cells)
        assert not {"land", "wages", "living", "fees"} & set(cells)
        assert "欠薪：" in page  # each story of the day with its topic's name
        # the week's new alerts by topic and sources' health, once each, in the page's body
        assert page.count('id="topic-chart"') == page.count('id="source-chart"') == 1
        assert re.search(r"<title>舆情日志 2026-11-23 ·[^<]*</title>", page)
        r = await c.get("/reports/daily.csv?date=2026-11-23")
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert {(x["topic"], x["topic_name"]) for x in rows} >= {("land", "征地拆迁")}


def _named(template: Template, tmp: Path) -> Template:
    """The desk's configuration with a display name for the forum, as sources.yaml allows."""
    db, cfg_dir, page = template
    named = tmp / "cfg"
    shutil.copytree(cfg_dir, named)
    sources = named / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("  - id: forum\n", "  - id: forum\n    name: 明光论坛\n"))
    return db, named, page


async def test_the_alert_page_names_each_posts_source(template: Template, tmp_path: Path) -> None:
    named = await asyncio.to_thread(_named, template, tmp_path)
    async for desk in open_desk(named, tmp_path):
        async with client(desk.app) as c:
            await sign_in(c, "boss")
            page = (await c.get(f"/alerts/{desk.ids['wages']}")).text
            assert re.search(r'<span class="src" title="forum">明光论坛</span>', page)
            assert "<title>明光论坛：12</title>" in page  # in the reply chart too
            # a source without a name keeps its id
            page = (await c.get(f"/alerts/{desk.ids['land']}")).text
            assert '<span class="src" title="tw">tw</span>' in page


async def test_one_reply_reading_is_a_dot_beside_its_scale(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "boss")
        page = (await c.get(f"/alerts/{desk.ids['wages']}")).text
    chart = page[page.index('<figure class="chart" id="reply-chart">') : page.index("</figure>")]
    assert "<polyline" not in chart  # no flat line made up from one reading
    (dot,) = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', chart)
    (frame,) = re.findall(r'<rect x="(\d+)" y="0"', chart)
    labels = re.findall(
        r'<text class="axis" x="(\d+)" y="([\d.]+)"[^>]*text-anchor="end">(\d+)<', chart
    )
    assert [v for _, _, v in labels] == ["12", "0"]
    # the scale stands left of the plot, never on the readings
    assert all(int(x) < int(frame) < float(dot[0]) for x, _, _ in labels)
    assert "回复数 2026-11-23 10:00 · forum 12" in chart  # one moment: no "from — to"


def test_replies_over_time_are_a_line_ending_in_a_dot() -> None:
    posts = [type("P", (), {"id": 1, "source_id": "forum", "replies": 40})()]
    metrics = [
        MetricPoint(post_id=1, at=T0, replies=10, views=None),
        MetricPoint(post_id=1, at=T0 + timedelta(hours=2), replies=40, views=None),
    ]
    chart = present.reply_chart(posts, metrics, ZoneInfo("Asia/Shanghai"), T0, names={})
    assert chart is not None and not chart.single
    (s,) = chart.series
    first, last = s.points.split()
    assert first == f"{chart.left:.1f},{chart.bottom - 10 / 40 * (chart.bottom - chart.top):.1f}"
    assert s.dot == tuple(float(v) for v in last.split(",")) and s.last == 40


async def test_how_long_ago_reads_naturally(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        page = (await c.get("/queue")).text
        assert "发现于 刚刚" in page and "0 分钟" not in page
        later(desk.clock, minutes=5)
        assert "发现于 5 分钟前" in (await c.get("/queue")).text
        later(desk.clock, hours=3)
        assert "发现于 3 小时 5 分前" in (await c.get("/queue")).text


async def test_no_on_time_rate_before_any_claim_deadline_passed(desk: Desk) -> None:
    period = "from=2026-11-23&to=2026-11-23"
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        data = (await c.get(f"/api/reports/assessment?{period}")).json()
        assert {r["department"]: r["on_time_rate"] for r in data}["jyj"] is None
        page = (await c.get(f"/reports/assessment?{period}")).text
        # nothing decided anywhere yet: the chart says so rather than draw bars of 0%
        assert "本期尚无到期的办理环节" in page and not re.findall(r">\d+%", page)
        printed = (await c.get(f"/reports/assessment/print?{period}")).text
        assert not re.findall(r">\d+%<", printed) and '<td class="n">—</td></tr>' in printed
        # past the claim deadline (11:00) and swept, the unclaimed alerts are late: 0%
        later(desk.clock, hours=2)
        await desk.app.state.desk.workflow.sweep(desk.clock())
        data = (await c.get(f"/api/reports/assessment?{period}")).json()
        late = [r for r in data if r["late_claims"] and not r["claimed_on_time"]]
        assert late and all(r["on_time_rate"] == 0.0 for r in late)
        page = (await c.get(f"/reports/assessment?{period}")).text
        assert ">0%<" in page and "本期尚无到期的办理环节" not in page
