"""Leaders' charts as drawings: what each shows (numbers on the bars, a message instead of
zeros), how the topics' columns are grouped, sources' health, type sizes, and the SVG and PNG
they become (escaped labels, a viewBox, only presentation attributes)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sentinel.reports.charts import Drawing, NoChartFont, on_time_chart, source_chart, topic_chart
from sentinel.reports.charts.drawing import Rect, Text, fit, ink_on, measure
from sentinel.reports.charts.frame import OTHER_COLOR, SMALL, TITLE, TOPIC_COLORS, WIDTH, ticks
from sentinel.reports.charts.sources import standings
from sentinel.reports.labels import rate_text
from sentinel.reports.office import Office
from sentinel.store import SourceStatus

CN = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CN)
OFFICE = Office(
    name="明光市网信办",
    tz=CN,
    departments={"zrzy": "自然资源局", "rlsb": "人社局", "jyj": "教体局", "bad": "<b>局</b>"},
    topics={f"t{i}": f"主题{i}" for i in range(9)} | {"land": "征地拆迁"},
    sources={"forum": "明光论坛", "gov": "市政府网站留言板", "feed": "滁州日报", "new": "新站"},
    watched=("forum", "gov", "feed", "new"),
)


def row(dept: str, **counts: int) -> dict[str, Any]:
    base = dict.fromkeys(
        (
            "claimed_on_time", "late_claims", "first_reports_on_time", "first_reports_decided",
            "verifications_on_time", "verifications_decided", "replies_on_time",
            "replies_decided",
        ),
        0,
    )  # fmt: skip
    return {"department": dept, **base, **counts}


def bars(d: Drawing) -> dict[str, Rect]:
    return {s.tip: s for s in d.shapes if isinstance(s, Rect) and s.role == "bar"}


def texts(d: Drawing, role: str) -> list[str]:
    return [t.text for t in d.texts(role)]


def test_rates_print_each_rate_on_its_bar_with_its_counts() -> None:
    d = on_time_chart(
        [
            row("zrzy", claimed_on_time=5, late_claims=1, first_reports_on_time=1,
                first_reports_decided=3),
            row("jyj"),  # nothing fell due: no row in the chart
        ],
        OFFICE,
    )  # fmt: skip
    found = bars(d)
    assert set(found) == {"自然资源局 认领 83%（5/6）", "自然资源局 首报 33%（1/3）"}
    assert "83%" in texts(d, "value") and "5/6" in texts(d, "count")
    assert "教体局" not in texts(d, "label")
    # under 60% the bar is vermilion, else blue; a step nobody had to do shows —
    assert found["自然资源局 首报 33%（1/3）"].fill == "#D55E00"
    assert found["自然资源局 认领 83%（5/6）"].fill == "#0072B2"
    assert texts(d, "value").count("—") == 2 and texts(d, "count").count("未到期") == 2
    full = found["自然资源局 认领 83%（5/6）"].w / 0.8333
    assert found["自然资源局 首报 33%（1/3）"].w == pytest.approx(full / 3, rel=0.01)


def test_no_chart_of_zeros_but_a_message() -> None:
    for d, message in (
        (on_time_chart([row("jyj"), row("zrzy")], OFFICE), "本期尚无到期的办理环节"),
        (on_time_chart([], OFFICE), "本期尚无到期的办理环节"),
        (topic_chart(_trend(3, {"land": [0, 0, 0]}), OFFICE), "本期无新增舆情"),
        (topic_chart(_trend(3, {}), OFFICE), "本期无新增舆情"),
        (source_chart((), [], OFFICE, NOW), "未配置信息源"),
    ):
        assert texts(d, "empty") == [message]
        assert not [s for s in d.shapes if isinstance(s, Rect) and s.role in ("bar", "segment")]


def _trend(n: int, series: dict[str, list[int]], end: date = date(2026, 11, 23)) -> dict[str, Any]:
    days = [(end - timedelta(days=n - 1 - i)).isoformat() for i in range(n)]
    return {"days": days, "series": series}


def test_topics_stack_per_day_with_totals_on_top() -> None:
    d = topic_chart(_trend(3, {"land": [1, 0, 2], "t1": [0, 0, 3]}), OFFICE)
    assert d.title == "各主题新增舆情（按日）"
    segments = [s.tip for s in d.shapes if isinstance(s, Rect) and s.role == "segment"]
    assert segments == ["2026-11-21 征地拆迁 1", "2026-11-23 主题1 3", "2026-11-23 征地拆迁 2"]
    assert texts(d, "value") == ["1", "5"]  # the totals; an empty day has none
    assert texts(d, "legend") == ["主题1 3", "征地拆迁 3"]  # ties by name; the first darkest
    assert "2026-11-21 至 2026-11-23" in texts(d, "note")[0]


def test_topics_group_seven_days_back_from_the_end_when_days_do_not_fit() -> None:
    # 30 days with two-digit totals: a day's column is too narrow for its number
    d = topic_chart(_trend(30, {"land": [12] * 30}), OFFICE)
    assert d.title == "各主题新增舆情（每 7 日）"
    tips = [s.tip for s in d.shapes if isinstance(s, Rect) and s.role == "segment"]
    # four whole weeks ending on the last day; the first two days alone, and said so
    assert tips[0] == "2026-10-25 至 2026-10-26 征地拆迁 24"
    assert tips[-1] == "2026-11-17 至 2026-11-23 征地拆迁 84"
    assert "11-17—11-23" in texts(d, "axis")
    # a year by day does not fit by week either: by month
    d = topic_chart(_trend(365, {"land": [30] * 365}), OFFICE)
    assert d.title == "各主题新增舆情（按月）"


def test_topics_past_six_share_one_colour_as_other() -> None:
    six = {f"t{i}": [i + 1] for i in range(6)}
    d = topic_chart(_trend(1, six), OFFICE)
    swatches = [s.fill for s in d.shapes if isinstance(s, Rect) and s.role == "swatch"]
    assert swatches == [*TOPIC_COLORS, OTHER_COLOR] and "其他" not in str(texts(d, "legend"))
    seven = {f"t{i}": [i + 1] for i in range(7)}
    legend = texts(topic_chart(_trend(1, seven), OFFICE), "legend")
    assert legend[0] == "主题6 7" and legend[-1] == "其他 3"  # t1 and t0: 2 + 1


def _status(sid: str, **kw: Any) -> SourceStatus:
    values: dict[str, Any] = {
        "source_id": sid, "kind": "html", "url": "http://x.invalid/", "last_fetch_at": NOW,
        "last_status": 200, "last_error": None, "last_error_kind": None, "items_last": 10,
        "consecutive_failures": 0, "last_ok_at": NOW - timedelta(hours=1),
    }  # fmt: skip
    return SourceStatus(**(values | kw))


def test_sources_by_health_and_the_longest_in_trouble() -> None:
    rows = [
        _status("forum"),
        _status("gov", health="unreachable", health_since=NOW - timedelta(days=3, hours=2)),
        _status("feed", last_ok_at=NOW - timedelta(hours=30)),  # fine, but nothing read for a day
        # "new" has never been read: no row at all
    ]
    states = {s.source: s.state for s in standings(OFFICE.watched, rows, OFFICE, NOW)}
    assert states == {"明光论坛": "ok", "市政府网站留言板": "unreachable", "滁州日报": "stale",
                      "新站": "stale"}  # fmt: skip
    d = source_chart(OFFICE.watched, rows, OFFICE, NOW)
    assert set(bars(d)) >= {"正常 1 个", "停滞 2 个", "无法访问 1 个", "被拦截 0 个"}
    worst = texts(d, "value")[5:]
    assert worst == ["无法访问 3 天", "停滞 30 小时", "停滞 从未读到"]
    assert "天" in texts(d, "axis")
    healthy = source_chart(("forum",), [_status("forum")], OFFICE, NOW)
    assert "全部信息源运行正常。" in texts(healthy, "empty")


def charts() -> list[Drawing]:
    rows = [row("zrzy", claimed_on_time=3, late_claims=1), row("bad", replies_decided=2)]
    statuses = [_status("gov", health="blocked", health_since=NOW - timedelta(hours=5))]
    return [
        on_time_chart(rows, OFFICE),
        topic_chart(_trend(30, {f"t{i}": [i % 3] * 30 for i in range(8)}), OFFICE),
        source_chart(OFFICE.watched, statuses, OFFICE, NOW),
        on_time_chart([], OFFICE),
    ]


def test_no_text_smaller_than_16_units_nor_wider_than_the_chart() -> None:
    # 640 units print 156 mm wide: 16 units are 14.7 px, the size of the tables' text
    for d in charts():
        assert d.width == WIDTH
        sizes = [t.size for t in d.texts()]
        assert min(sizes) >= SMALL == 16
        assert [t.size for t in d.texts("title")] == [TITLE]
        for t in d.texts():
            w = measure(t.text, t.size, bold=t.bold)
            left = {"start": t.x, "middle": t.x - w / 2, "end": t.x - w}[t.anchor]
            assert left >= -0.5 and left + w <= d.width + 0.5, (d.key, t.text)
            assert 0 < t.y <= d.height, (d.key, t.text)


def test_svg_escapes_labels_and_scales_to_its_column() -> None:
    svg = on_time_chart([row("bad", replies_on_time=1, replies_decided=2)], OFFICE).svg()
    assert "<b>" not in svg and "&lt;b&gt;局&lt;/b&gt;" in svg
    assert re.match(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 \d+" width="100%"',
                    svg)  # fmt: skip
    assert "style=" not in svg  # the desk's CSP allows presentation attributes only
    assert 'font-size="16"' in svg and 'role="img"' in svg


def test_a_png_of_the_same_drawing_for_word() -> None:
    from PIL import Image

    d = charts()[2]
    try:
        png = d.png(2.0)
    except NoChartFont as e:
        pytest.skip(str(e))
    image = Image.open(io.BytesIO(png))
    assert image.size == (1280, round(d.height * 2))
    # the bars are painted: vermilion (blocked) and orange (stale) pixels are there
    colours = {c for _, c in image.getcolors(1 << 20) or []}
    assert (0xD5, 0x5E, 0x00) in colours and (0xE6, 0x9F, 0x00) in colours


def test_helpers() -> None:
    assert ticks(7) == [0, 2, 4, 6, 8] and ticks(40) == [0, 10, 20, 30, 40] and ticks(0) == [0, 1]
    assert ticks(1) == [0, 1] and ticks(3.2, most=4) == [0, 1, 2, 3, 4]
    assert measure("自然资源局", 10) == 50 and measure("12", 10) == pytest.approx(11.6)
    assert fit("自然资源局", 10, 50) == ["自然资源局"]
    assert fit("县住房和城乡建设局", 10, 50) == ["县住房和城", "乡建设局"]
    assert fit("一二三四五六七八九十十一", 10, 40) == ["一二三四", "五六七…"]
    assert ink_on("#440154") == "#ffffff" and ink_on("#5ec962") == "#1a1a1a"
    # a rate is 100% only when every step was on time, 0% only when none was
    assert [rate_text(r) for r in (199 / 200, 1 / 200, 2 / 3, 1.0, 0.0, None)] == [
        "99%", "1%", "67%", "100%", "0%", "—",
    ]  # fmt: skip
    assert isinstance(charts()[0].texts()[0], Text)
