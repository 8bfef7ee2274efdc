"""Each department's on-time rates, one panel per rated step (claim, first report, verification
report, public reply): a bar per department with its rate printed on it and, under it, the
steps done on time over the steps decided. A step nobody had to do yet shows —, not 0%."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sentinel.reports.charts.drawing import (
    GRID,
    INK,
    MUTED,
    TRACK,
    WHITE,
    Anchor,
    Drawing,
    Line,
    Rect,
    Shape,
    Text,
    fit,
    ink_on,
    measure,
)
from sentinel.reports.charts.frame import (
    BLUE,
    HEAD,
    LABEL,
    SMALL,
    VERMILION,
    WIDTH,
    empty,
    heading,
)
from sentinel.reports.labels import RATED_STEPS, rate_text, step_counts
from sentinel.reports.office import Office

KEY = "on-time-chart"
TITLE = "各单位按时办理率"
NOTE = "单位：%　条形下方为 按时件数/到期件数；低于 60% 的以橙红色标出"
LOW = 0.6  # under this a rate's bar is vermilion
ROW = 52.0
BAR = 22.0
GAP = 14.0


def on_time_chart(rows: Sequence[dict[str, Any]], office: Office) -> Drawing:
    # a department none of whose steps fell due has nothing to rate: its row is left out (the
    # table beside the chart lists every department)
    counted = [(office.department(r["department"]), step_counts(r)) for r in rows]
    named = [(n, c) for n, c in counted if any(decided for _, decided in c.values())]
    if not named:
        return empty(KEY, TITLE, NOTE, "本期尚无到期的办理环节")
    widest = max(measure(name, LABEL) for name, _ in named)
    label_w = min(widest, WIDTH * 0.24) + 12
    panel = (WIDTH - label_w - GAP * (len(RATED_STEPS) - 1)) / len(RATED_STEPS)
    top = HEAD + 30  # the steps' names stand above the rows
    bottom = top + len(named) * ROW
    lines: list[Shape] = []
    tracks: list[Shape] = []
    bars: list[Shape] = []
    texts: list[Shape] = []
    for i, (_, step_name, _, _) in enumerate(RATED_STEPS):
        x = label_w + i * (panel + GAP)
        texts.append(Text(x=x + panel / 2, y=top - 10, text=step_name, size=LABEL, bold=True,
                          anchor="middle", role="label"))  # fmt: skip
        lines.append(Line(x1=x, y1=bottom + 2, x2=x + panel, y2=bottom + 2, stroke=GRID))
        for frac, mark in ((0.0, "0"), (0.5, ""), (1.0, "100%")):
            lines.append(Line(x1=x + panel * frac, y1=bottom - 2, x2=x + panel * frac,
                              y2=bottom + 6, stroke=GRID))  # fmt: skip
            if not mark:
                continue  # the half-way tick, unlabelled: "50" crowds "100%" in a panel
            anchor: Anchor = "start" if frac == 0 else "end"
            texts.append(Text(x=x + panel * frac, y=bottom + 22, text=mark, size=SMALL,
                              fill=MUTED, anchor=anchor, role="axis"))  # fmt: skip
    for j, (name, counts) in enumerate(named):
        y = top + j * ROW + 6
        parts = fit(name, LABEL, label_w - 12)
        first = y + BAR / 2 + 6 - (LABEL / 2 + 1) * (len(parts) - 1)
        for k, part in enumerate(parts):
            texts.append(Text(x=label_w - 12, y=first + k * (LABEL + 2), text=part, size=LABEL,
                              anchor="end", role="label"))  # fmt: skip
        for i, (step, step_name, _, _) in enumerate(RATED_STEPS):
            x = label_w + i * (panel + GAP)
            on_time, decided = counts[step]
            tracks.append(Rect(x=x, y=y, w=panel, h=BAR, fill=TRACK))
            if not decided:
                texts.append(Text(x=x + panel / 2, y=y + BAR / 2 + 6, text="—", size=LABEL,
                                  fill=MUTED, anchor="middle", role="value"))  # fmt: skip
                texts.append(Text(x=x, y=y + BAR + 18, text="未到期", size=SMALL, fill=MUTED,
                                  role="count"))  # fmt: skip
                continue
            # the half-way mark, in the track under the bar
            tracks.append(Line(x1=x + panel / 2, y1=y, x2=x + panel / 2, y2=y + BAR, stroke=WHITE,
                               width=2))  # fmt: skip
            rate = on_time / decided
            fill = BLUE if rate >= LOW else VERMILION
            width = panel * rate
            value = rate_text(rate)
            bars.append(Rect(x=x, y=y, w=width, h=BAR, fill=fill, role="bar",
                             tip=f"{name} {step_name} {value}（{on_time}/{decided}）"))  # fmt: skip
            inside = width >= measure(value, LABEL, bold=True) + 10
            texts.append(
                Text(
                    x=x + width - 5 if inside else x + width + 5, y=y + BAR / 2 + 6, text=value,
                    size=LABEL, bold=True, fill=ink_on(fill) if inside else INK,
                    anchor="end" if inside else "start", role="value",
                )
            )  # fmt: skip
            texts.append(Text(x=x, y=y + BAR + 18, text=f"{on_time}/{decided}", size=SMALL,
                              fill=MUTED, role="count"))  # fmt: skip
    shapes = (*heading(TITLE, NOTE), *tracks, *lines, *bars, *texts)
    return Drawing(key=KEY, title=TITLE, width=WIDTH, height=bottom + 30, shapes=shapes)
