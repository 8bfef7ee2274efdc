"""New alerts by topic over the period: a stacked column per day — or per week, or per month,
whichever is the finest at which each column's total still fits above it — with each
topic's count on its segment where there is room, and the total on top.

One story opens one alert, so this counts the stories first seen in each interval
(workflow.reports.trends). The five topics with the most come by name, largest at the
bottom and darkest; the rest together as 其他.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sentinel.reports.charts.drawing import (
    GRID,
    INK,
    MUTED,
    WHITE,
    Anchor,
    Drawing,
    Line,
    Rect,
    Shape,
    Text,
    ink_on,
    measure,
)
from sentinel.reports.charts.frame import (
    HEAD,
    LABEL,
    OTHER_COLOR,
    SMALL,
    TOPIC_COLORS,
    WIDTH,
    empty,
    heading,
    tick_text,
    ticks,
)
from sentinel.reports.office import Office

KEY = "topic-chart"
TITLE = "各主题新增舆情"
PLOT = 230.0  # the plot's height
OTHER = "其他"
UNIT = "条"


@dataclass(frozen=True, kw_only=True, slots=True)
class Column:
    label: str  # along the bottom: 11-23, 11-17—11-23 (7 days), 11月
    tip: str  # the interval in full
    values: tuple[int, ...]  # per series, in the legend's order

    @property
    def total(self) -> int:
        return sum(self.values)


def _columns(days: Sequence[date], series: Sequence[Sequence[int]], unit: str) -> list[Column]:
    """Days grouped by `unit`: each day, each 7 days counted back from the last day (so only
    the first may be shorter, and says so), or each calendar month."""
    end = days[-1]

    def key(d: date) -> tuple[int, int]:
        if unit == "day":
            return d.toordinal(), 0
        if unit == "week":
            return -((end - d).days // 7), 0
        return d.year, d.month

    groups: dict[tuple[int, int], list[int]] = {}
    for i, d in enumerate(days):
        groups.setdefault(key(d), []).append(i)
    years = {d.year for d in days}
    out = []
    for idx in groups.values():
        first, last = days[idx[0]], days[idx[-1]]
        if unit == "day":
            label = f"{first.month:02d}-{first.day:02d}"
        elif unit == "week":
            label = f"{first.month:02d}-{first.day:02d}—{last.month:02d}-{last.day:02d}"
        else:
            label = f"{first.month}月" if len(years) == 1 else f"{first.year}-{first.month:02d}"
        tip = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        values = tuple(sum(s[i] for i in idx) for s in series)
        out.append(Column(label=label, tip=tip, values=values))
    return out


UNITS = (("day", "按日"), ("week", "每 7 日"), ("month", "按月"))


def _axis_width(scale: Sequence[float]) -> float:
    """Room left of the plot for the values (and the unit above them)."""
    return max(measure(tick_text(scale[-1]), SMALL), measure(UNIT, SMALL)) + 14


def _bucketed(
    days: Sequence[date], series: Sequence[Sequence[int]]
) -> tuple[str, list[Column], list[float]]:
    """The finest interval at which every column's total fits above it: (its name, the
    columns, the value scale)."""
    for unit, name in UNITS:
        columns = _columns(days, series, unit)
        scale = ticks(max(c.total for c in columns))
        slot = (WIDTH - _axis_width(scale) - 4) / len(columns)
        widest = max(measure(str(c.total), SMALL, bold=True) for c in columns)
        if slot >= widest + 4 or unit == UNITS[-1][0]:
            return name, columns, scale
    raise AssertionError("unreachable: the last unit always returns")


def topic_chart(data: dict[str, Any], office: Office) -> Drawing:
    """`data`: workflow.reports.trends — days, and per topic the new stories of each day."""
    days = [date.fromisoformat(d) for d in data["days"]]
    totals = {t: sum(v) for t, v in data["series"].items() if sum(v)}
    span = f"{days[0].isoformat()} 至 {days[-1].isoformat()}　" if days else ""
    note = f"{span}单位：条　柱顶为合计"
    if not totals or not days:
        return empty(KEY, TITLE, note, "本期无新增舆情")
    ranked = sorted(totals, key=lambda t: (-totals[t], office.topic(t)))
    # six topics get a colour each; past six, the sixth colour is the rest's
    palette = (*TOPIC_COLORS, OTHER_COLOR)
    named = ranked if len(ranked) <= len(palette) else ranked[: len(TOPIC_COLORS)]
    rest = ranked[len(named) :]
    series = [data["series"][t] for t in named]
    names = [office.topic(t) for t in named]
    colors = list(palette[: len(named)])
    if rest:
        series.append([sum(data["series"][t][i] for t in rest) for i in range(len(days))])
        names.append(OTHER)
        colors.append(OTHER_COLOR)
    legend, legend_bottom = _legend(names, [sum(s) for s in series], colors)
    top = legend_bottom + 34  # room for the top column's total and the axis' unit
    bottom = top + PLOT
    unit_name, columns, scale = _bucketed(days, series)
    axis_w = _axis_width(scale)
    slot = (WIDTH - axis_w - 4) / len(columns)
    shapes: list[Shape] = [*heading(f"{TITLE}（{unit_name}）", note), *legend]
    x0 = axis_w
    high = scale[-1]

    def y_of(v: float) -> float:
        return bottom - PLOT * v / high

    for v in scale:
        shapes.append(Line(x1=x0, y1=y_of(v), x2=WIDTH, y2=y_of(v), stroke=GRID if v else MUTED))
        shapes.append(Text(x=x0 - 8, y=y_of(v) + 5, text=tick_text(v), size=SMALL, fill=MUTED,
                           anchor="end", role="axis"))  # fmt: skip
    shapes.append(Text(x=x0 - 8, y=top - 14, text=UNIT, size=SMALL, fill=MUTED, anchor="end",
                       role="axis"))  # fmt: skip
    bar = min(slot * 0.72, 56.0)
    for i, col in enumerate(columns):
        cx = x0 + slot * (i + 0.5)
        base = 0
        for value, name, color in zip(col.values, names, colors, strict=True):
            if not value:
                continue
            y1, y2 = y_of(base + value), y_of(base)
            shapes.append(Rect(x=cx - bar / 2, y=y1, w=bar, h=y2 - y1, fill=color, stroke=WHITE,
                               role="segment", tip=f"{col.tip} {name} {value}"))  # fmt: skip
            if y2 - y1 >= SMALL + 4 and measure(str(value), SMALL) <= bar - 4:
                shapes.append(Text(x=cx, y=(y1 + y2) / 2 + 6, text=str(value), size=SMALL,
                                   fill=ink_on(color), anchor="middle", role="count"))  # fmt: skip
            base += value
        if col.total:
            shapes.append(Text(x=cx, y=y_of(col.total) - 6, text=str(col.total), size=SMALL,
                               bold=True, fill=INK, anchor="middle", role="value"))  # fmt: skip
    shapes.extend(_bottom_labels(columns, x0, slot, bottom))
    return Drawing(
        key=KEY, title=f"{TITLE}（{unit_name}）", width=WIDTH, height=bottom + 30,
        shapes=tuple(shapes),
    )  # fmt: skip


def _legend(
    names: Sequence[str], totals: Sequence[int], colors: Sequence[str]
) -> tuple[list[Shape], float]:
    """Swatches with names and totals, in the stacking order, wrapped to the width."""
    out: list[Shape] = []
    x, y = 0.0, HEAD + 8
    for name, total, color in zip(names, totals, colors, strict=True):
        text = f"{name} {total}"
        w = 18 + 6 + measure(text, LABEL) + 18
        if x and x + w > WIDTH:
            x, y = 0.0, y + 28
        out.append(Rect(x=x, y=y, w=18, h=18, fill=color, stroke=MUTED, role="swatch"))
        out.append(Text(x=x + 24, y=y + 15, text=text, size=LABEL, role="legend"))
        x += w
    return out, y + 18


def _bottom_labels(columns: Sequence[Column], x0: float, slot: float, bottom: float) -> list[Shape]:
    widest = max(measure(c.label, SMALL) for c in columns)
    every = max(1, -(-int(widest + 10) // max(1, int(slot))))
    out: list[Shape] = []
    for i in range(0, len(columns), every):
        cx = x0 + slot * (i + 0.5)
        half = measure(columns[i].label, SMALL) / 2
        anchor: Anchor = "end" if cx + half > WIDTH else "middle"
        out.append(Text(x=min(cx, WIDTH) if anchor == "middle" else WIDTH, y=bottom + 22,
                        text=columns[i].label, size=SMALL, fill=MUTED, anchor=anchor,
                        role="axis"))  # fmt: skip
    return out
