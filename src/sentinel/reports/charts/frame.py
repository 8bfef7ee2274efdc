"""What every chart shares: its size and type sizes, its heading, the colours, value ticks, and
the panel that stands in for a chart with nothing to show.

Sizes are in viewBox units. A chart is 640 wide: in an A4 PDF (156 mm of text width) that is
about 0.92 px a unit, so the smallest text (16) prints at 14.7 px, the size of the tables
beside it; on the desk it is drawn wider and its text grows with it (see app.css).

Colours: Okabe–Ito's blue, vermilion and orange, which people with any common colour vision
deficiency tell apart; and for the topics' stacked columns five steps of viridis, whose
lightness falls step by step, so they stay apart when printed in grey. Every bar also carries
its number, so no reading depends on a colour.
"""

from __future__ import annotations

import math

from sentinel.reports.charts.drawing import GRID, MUTED, Drawing, Line, Rect, Shape, Text

WIDTH = 640.0
TITLE = 21.0
LABEL = 17.0
SMALL = 16.0  # the smallest text any chart has
HEAD = 66.0  # the heading's height: title, then the note under it

BLUE = "#0072B2"
VERMILION = "#D55E00"
ORANGE = "#E69F00"
# viridis at 0, .19, .38, .56, .75: dark to light, for topics by their count, largest first
TOPIC_COLORS = ("#440154", "#3d3f7e", "#2d738c", "#309e82", "#5ec962")
OTHER_COLOR = "#d9d9d9"  # the topics past the fifth, together
EMPTY_FILL = "#f4f4f4"


def heading(title: str, note: str) -> list[Shape]:
    return [
        Text(x=0, y=24, text=title, size=TITLE, bold=True, role="title"),
        Text(x=0, y=52, text=note, size=SMALL, fill=MUTED, role="note"),
    ]


def empty(key: str, title: str, note: str, message: str) -> Drawing:
    """A chart's frame saying there is nothing to draw, rather than bars of zeros."""
    box = 96.0
    shapes = [
        *heading(title, note),
        Rect(x=0.5, y=HEAD + 0.5, w=WIDTH - 1, h=box, fill=EMPTY_FILL, stroke=GRID),
        Text(
            x=WIDTH / 2, y=HEAD + box / 2 + 7, text=message, size=LABEL + 3, fill=MUTED,
            anchor="middle", role="empty",
        ),
    ]  # fmt: skip
    return Drawing(
        key=key, title=f"{title}：{message}", width=WIDTH, height=HEAD + box + 2,
        shapes=tuple(shapes),
    )  # fmt: skip


def ticks(top: float, most: int = 5) -> list[float]:
    """0 and round steps (1, 2 or 5 × 10ⁿ) up to at least `top`, at most `most` + 1 of them."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0) if top >= 1 else step
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def tick_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def grid_line(x: float, top: float, bottom: float, *, dashed: bool = True) -> Line:
    return Line(x1=x, y1=top, x2=x, y2=bottom, stroke=GRID, dashed=dashed)
