"""What a chart is made of: rectangles, lines and text at fixed coordinates, with nothing about
how they are drawn. svg.py writes a drawing as SVG (the desk, the printable page, the PDF),
raster.py paints the same drawing as a PNG (the Word file), so every way out shows one chart.

Layout needs text widths before any font is at hand (a browser, WeasyPrint and Pillow each
pick their own), so `measure` estimates them from the characters: a CJK character is one em,
digits and Latin letters a little over half. The estimate errs wide, so labels never collide.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Anchor = Literal["start", "middle", "end"]

# Sans-serif CJK faces an office has, most common first; each renderer takes the first it finds
# (Chromium and WeasyPrint per character, so a missing face falls through to the next).
FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', "
    "'WenQuanYi Zen Hei', 'WenQuanYi Micro Hei', 'SimHei', sans-serif"
)
INK = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#c8c8c8"
TRACK = "#ececec"
WHITE = "#ffffff"

_NARROW = {" ": 0.3, ".": 0.3, ",": 0.3, ":": 0.3, "/": 0.4, "-": 0.4, "%": 0.9, "·": 0.4}


@dataclass(frozen=True, kw_only=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None
    role: str = ""  # a class name tests and stylesheets can find it by ("bar", "segment")
    tip: str = ""  # a tooltip (SVG <title>): the full label and value


@dataclass(frozen=True, kw_only=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float
    fill: str = INK
    anchor: Anchor = "start"
    bold: bool = False
    role: str = ""  # "title", "label", "value", "axis", "note"


Shape = Rect | Line | Text


@dataclass(frozen=True, kw_only=True, slots=True)
class Drawing:
    """One chart: `width` × `height` units (an SVG's viewBox; pixels at scale 1), its shapes
    in painting order, a name for screen readers and a key the page can find it by."""

    key: str
    title: str
    width: float
    height: float
    shapes: tuple[Shape, ...]

    def svg(self) -> str:
        from sentinel.reports.charts.svg import to_svg

        return to_svg(self)

    def png(self, scale: float = 3.0) -> bytes:
        from sentinel.reports.charts.raster import to_png

        return to_png(self, scale)

    def texts(self, role: str | None = None) -> list[Text]:
        return [s for s in self.shapes if isinstance(s, Text) and role in (None, s.role)]


def em(ch: str) -> float:
    """A character's advance in ems, estimated (see the module's docstring)."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in _NARROW:
        return _NARROW[ch]
    if ch.isdigit():
        return 0.58
    if ch.isupper():
        return 0.68
    return 0.56


def measure(text: str, size: float, *, bold: bool = False) -> float:
    return sum(em(c) for c in text) * size * (1.06 if bold else 1.0)


def fit(text: str, size: float, room: float, *, lines: int = 2) -> list[str]:
    """`text` on at most `lines` lines of `room` width each, cut with … past the last."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        take = len(rest)
        while take > 1 and measure(rest[:take], size) > room:
            take -= 1
        piece, rest = rest[:take], rest[take:]
        if rest and len(out) == lines - 1:  # the last line: end it with … if more remains
            while len(piece) > 1 and measure(piece + "…", size) > room:
                piece = piece[:-1]
            piece, rest = piece + "…", ""
        out.append(piece)
    return out or [""]


def luminance(color: str) -> float:
    """Relative luminance of #rrggbb (WCAG), 0 black … 1 white."""

    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ink_on(fill: str) -> str:
    """The text colour that reads on `fill`: white on dark, near-black on light."""
    return WHITE if luminance(fill) < 0.3 else INK
