"""A Drawing painted as a PNG, for Word documents (python-docx embeds pictures, not SVG).

Pillow (already installed with WeasyPrint) paints the same shapes svg.py writes, at `scale`
pixels per unit, with a CJK font file found on this machine: Word shows the picture as it
is, so the font must be in it. Without any CJK font there is no picture (NoChartFont); the
Word document then says so where the chart would stand.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sentinel.errors import SentinelError
from sentinel.reports.charts.drawing import Drawing, Line, Rect, Text

# Where Debian, Windows and macOS keep font files, and the sans-serif CJK families to look
# for there, most usual first; a family's bold file (for titles and values) when it has one.
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/.local/share/fonts"),
    "C:/Windows/Fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
)
FAMILIES = (
    # (regular file, bold file or "", the face in a collection or "" for the first)
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
    ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf", ""),
    ("SourceHanSansSC-Regular.otf", "SourceHanSansSC-Bold.otf", ""),
    ("wqy-zenhei.ttc", "", "WenQuanYi Zen Hei"),
    ("wqy-microhei.ttc", "", "WenQuanYi Micro Hei"),
    ("msyh.ttc", "msyhbd.ttc", "Microsoft YaHei"),
    ("simhei.ttf", "", ""),
    ("PingFang.ttc", "", "PingFang SC"),
    ("DroidSansFallbackFull.ttf", "", ""),
)


class NoChartFont(SentinelError):
    """No CJK font file on this machine to paint a chart's labels with."""


@functools.cache
def _index() -> dict[str, Path]:
    """Every font file under FONT_DIRS by its file name (first found wins)."""
    found: dict[str, Path] = {}
    for top in FONT_DIRS:
        for path in _walk(Path(top)):
            found.setdefault(path.name, path)
    return found


def _walk(top: Path) -> Iterator[Path]:
    if not top.is_dir():
        return
    for dirpath, _, names in os.walk(top):
        for name in names:
            if name.lower().endswith((".ttc", ".ttf", ".otf")):
                yield Path(dirpath) / name


def _face(path: Path, face: str) -> int:
    """The index of `face` in a font collection (0 for a single font or when not found)."""
    from PIL import ImageFont

    if not face:
        return 0
    for i in range(32):
        try:
            name, _ = ImageFont.truetype(str(path), 12, index=i).getname()
        except OSError:
            break
        if name == face:
            return i
    return 0


@functools.cache
def fonts() -> tuple[tuple[Path, int], tuple[Path, int] | None]:
    """(regular font file and face index, the bold one or None) of the first family found."""
    files = _index()
    for regular, bold, face in FAMILIES:
        if regular in files:
            heavy = (files[bold], _face(files[bold], face)) if bold in files else None
            return (files[regular], _face(files[regular], face)), heavy
    raise NoChartFont(
        "no CJK font to draw chart labels with (Debian: fonts-noto-cjk or fonts-wqy-zenhei)"
    )


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def to_png(d: Drawing, scale: float) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    regular, bold = fonts()
    cache: dict[tuple[float, bool], Any] = {}

    def font(size: float, heavy: bool) -> Any:
        key = (size, heavy)
        if key not in cache:
            path, index = bold if heavy and bold else regular
            cache[key] = ImageFont.truetype(str(path), round(size * scale), index=index)
        return cache[key]

    image = Image.new("RGB", (round(d.width * scale), round(d.height * scale)), "white")
    draw = ImageDraw.Draw(image)
    for s in d.shapes:
        if isinstance(s, Rect):
            if s.w <= 0 or s.h <= 0:
                continue
            box = (s.x * scale, s.y * scale, (s.x + s.w) * scale - 1, (s.y + s.h) * scale - 1)
            outline = _rgb(s.stroke) if s.stroke else None
            draw.rectangle(box, fill=_rgb(s.fill), outline=outline, width=max(1, round(scale)))
        elif isinstance(s, Line):
            _line(draw, s, scale)
        elif isinstance(s, Text):
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[s.anchor]
            # a family without a bold face: thicken the strokes instead
            fake_bold = s.bold and bold is None
            draw.text(
                (s.x * scale, s.y * scale), s.text, font=font(s.size, s.bold),
                fill=_rgb(s.fill), anchor=anchor,
                stroke_width=max(1, round(scale * 0.4)) if fake_bold else 0,
                stroke_fill=_rgb(s.fill) if fake_bold else None,
            )  # fmt: skip
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _line(draw: Any, s: Line, scale: float) -> None:
    width = max(1, round(s.width * scale))
    x1, y1, x2, y2 = (v * scale for v in (s.x1, s.y1, s.x2, s.y2))
    if not s.dashed:
        draw.line((x1, y1, x2, y2), fill=_rgb(s.stroke), width=width)
        return
    length = max(abs(x2 - x1), abs(y2 - y1))
    dash = 4 * scale
    steps = int(length // (2 * dash)) + 1
    for i in range(steps):
        a = min(1.0, (2 * i * dash) / length) if length else 1.0
        b = min(1.0, ((2 * i + 1) * dash) / length) if length else 1.0
        draw.line(
            (x1 + (x2 - x1) * a, y1 + (y2 - y1) * a, x1 + (x2 - x1) * b, y1 + (y2 - y1) * b),
            fill=_rgb(s.stroke), width=width,
        )  # fmt: skip
