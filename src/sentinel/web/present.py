"""Turning records into what templates show: Chinese labels, highlighted text, chart geometry.

Nothing here returns markup: highlighted text is a list of (text, matched) pairs and charts are
numbers, so Jinja2's autoescape stays the only thing that writes crawled text into a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sentinel.reports.labels import local
from sentinel.store import AlertRow
from sentinel.workflow.service import MetricPoint

SEVERITY_RANK = {"critical": 0, "major": 1, "general": 2}
# How a post came into its story (post.placed_by)
PLACED_LABELS = {
    "first": "首发",
    "repost": "转载",
    "event": "同一事件",
    "merge": "人工合并",
    "split": "人工拆分",
}
ROLE_LABELS = {"officer": "值班员", "lead": "牵头单位", "leader": "领导", "admin": "管理员"}


def safe_href(url: str | None) -> str | None:
    """The URL if it may be a link (http/https only); None renders it as plain text."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def highlight(text: str, words: Iterable[str]) -> list[tuple[str, bool]]:
    """text split into (piece, is a matched word), longest words first where they overlap."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    if not ordered or not text:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    plain_start = i = 0
    while i < len(text):
        found = next((w for w in ordered if text.startswith(w, i)), None)
        if found is None:
            i += 1
            continue
        if plain_start < i:
            out.append((text[plain_start:i], False))
        out.append((found, True))
        i += len(found)
        plain_start = i
    if plain_start < len(text):
        out.append((text[plain_start:], False))
    return out


def next_deadline(row: AlertRow) -> tuple[str, datetime] | None:
    """The step and time of the next deadline that still matters in this state."""
    pending: list[tuple[str, datetime | None]] = {
        "new": [("claim", row.claim_due), ("public_response", row.public_response_due)],
        "claimed": [
            ("first_report", row.first_report_due),
            ("verification", row.verification_due),
            ("public_response", row.public_response_due),
        ],
        "assessed": [
            ("verification", row.verification_due),
            ("public_response", row.public_response_due),
        ],
        "verified": [("reply", row.reply_due), ("public_response", row.public_response_due)],
    }.get(row.state, [])
    if row.board and row.state in ("new", "claimed", "assessed"):
        pending.append(("reply", row.reply_due))
    known = [(step, due) for step, due in pending if due is not None]
    return min(known, key=lambda p: p[1]) if known else None


def urgency(row: AlertRow, now: datetime) -> tuple[int, int, float, int]:
    """Sort key: overdue first, then severity, then the nearest deadline, newest first."""
    nxt = next_deadline(row)
    due = nxt[1].timestamp() if nxt else float("inf")
    return (
        0 if row.overdue or (nxt and nxt[1] < now) else 1,
        SEVERITY_RANK.get(row.severity, 3),
        due,
        -row.id,
    )


def age(since: datetime, now: datetime) -> str:
    """How long ago, as a phrase: 刚刚, 5 分钟前, 3 小时 20 分前, 2 天前."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes} 分钟前"
    if minutes < 48 * 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分前"
    return f"{minutes // 1440} 天前"


@dataclass(frozen=True, kw_only=True, slots=True)
class Series:
    label: str
    points: str  # "x,y x,y" for <polyline>; a single reading is one point, drawn as a dot
    last: int
    dot: tuple[float, float] | None = None  # where the latest reading is marked


@dataclass(frozen=True, kw_only=True, slots=True)
class LineChart:
    width: int
    height: int
    series: tuple[Series, ...]
    max_value: int
    start: str
    end: str
    left: int = 0  # the plot starts here; the value labels stand in the margin before it
    top: int = 0
    bottom: int = 0

    @property
    def single(self) -> bool:
        """One moment only (every series a single reading): there is no 'over time' to draw."""
        return all(" " not in s.points for s in self.series)


def reply_chart(
    posts: Sequence[Any],
    metrics: Sequence[MetricPoint],
    tz: ZoneInfo,
    now: datetime,
    names: dict[str, str] | None = None,
) -> LineChart | None:
    """Reply counts over time per post; a post without history is its current count, one dot.

    The value scale (0 and the largest count) stands in a left margin, never on the lines, and
    a chart of one moment puts its dots in the middle rather than stretching a flat line.
    """
    width, height, left, pad, top_pad = 320, 120, 30, 8, 14
    history: dict[int, list[tuple[datetime, int]]] = {}
    for m in metrics:
        if m.replies is not None:
            history.setdefault(m.post_id, []).append((m.at, m.replies))
    for p in posts:
        if p.id not in history and p.replies is not None:
            history[p.id] = [(now, p.replies)]
    if not history:
        return None
    times = [t for pts in history.values() for t, _ in pts]
    lo, hi = min(times), max(times)
    span = (hi - lo).total_seconds()
    top = max(1, max(v for pts in history.values() for _, v in pts))
    source_of = {p.id: p.source_id for p in posts}
    labels = names or {}
    bottom = height - pad

    def xy(t: datetime, v: int) -> tuple[float, float]:
        x = left + (width - pad - left) * ((t - lo).total_seconds() / span if span else 0.5)
        return round(x, 1), round(bottom - v / top * (bottom - top_pad), 1)

    series = []
    for post_id, pts in sorted(history.items()):
        pts.sort()
        coords = [xy(t, v) for t, v in pts]
        source = source_of.get(post_id, str(post_id))
        series.append(
            Series(
                label=labels.get(source, source),
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                last=pts[-1][1],
                dot=coords[-1],
            )
        )
    return LineChart(
        width=width,
        height=height,
        series=tuple(series),
        max_value=top,
        start=local(lo, tz),
        end=local(hi, tz),
        left=left,
        top=top_pad,
        bottom=bottom,
    )
