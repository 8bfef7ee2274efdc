"""Sources' health for leaders: how many of the patrolled sources read normally, have gone
stale, or fail (and how), then the sources in trouble longest, each with how long.

A source fails when its health (sources/health.py) says so: its layout broke, it cannot be
reached, or it is blocked. It is stale when its health is fine yet nothing was read from it
in the last 24 hours (a service that stopped patrolling, a source never read yet): both mean
posts there go unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sentinel.reports.charts.drawing import (
    GRID,
    INK,
    MUTED,
    Drawing,
    Line,
    Rect,
    Shape,
    Text,
    fit,
    measure,
)
from sentinel.reports.charts.frame import (
    BLUE,
    HEAD,
    LABEL,
    ORANGE,
    SMALL,
    VERMILION,
    WIDTH,
    empty,
    heading,
    tick_text,
    ticks,
)
from sentinel.reports.labels import HEALTH_LABELS, local
from sentinel.reports.office import Office
from sentinel.store import SourceStatus

KEY = "source-chart"
TITLE = "信息源运行状况"
STALE_AFTER = timedelta(hours=24)
WORST = 8  # sources listed by how long they have been in trouble
ROW = 32.0
BAR = 22.0
# (state, label, colour) in the order the bars stand
STATES = (
    ("ok", "正常", BLUE),
    ("stale", "停滞", ORANGE),
    ("broken_layout", HEALTH_LABELS["broken_layout"], VERMILION),
    ("unreachable", HEALTH_LABELS["unreachable"], VERMILION),
    ("blocked", HEALTH_LABELS["blocked"], VERMILION),
)
LABELS = {state: label for state, label, _ in STATES}
COLORS = {state: color for state, _, color in STATES}


@dataclass(frozen=True, kw_only=True, slots=True)
class Standing:
    source: str  # its name
    state: str  # a key of STATES
    since: datetime | None  # in trouble since then; None: never read


def standings(
    watched: Sequence[str], rows: Sequence[SourceStatus], office: Office, now: datetime
) -> list[Standing]:
    by_id = {r.source_id: r for r in rows}
    out = []
    for sid in watched:
        r = by_id.get(sid)
        if r is not None and r.health != "ok":
            state, since = r.health, r.health_since or r.last_ok_at
        elif r is None or r.last_ok_at is None:
            state, since = "stale", None
        elif now - r.last_ok_at > STALE_AFTER:
            state, since = "stale", r.last_ok_at
        else:
            state, since = "ok", None
        out.append(Standing(source=office.source(sid), state=state, since=since))
    return out


def _lasted(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "从未读到"
    hours = max(0, int((now - since).total_seconds() // 3600))
    return f"{hours} 小时" if hours < 48 else f"{hours // 24} 天"


def source_chart(
    watched: Sequence[str], rows: Sequence[SourceStatus], office: Office, now: datetime
) -> Drawing:
    note = f"截至 {local(now, office.tz)}　单位：个　停滞：超过 24 小时未读到内容"
    found = standings(watched, rows, office, now)
    if not found:
        return empty(KEY, TITLE, note, "未配置信息源")
    counts = {state: sum(s.state == state for s in found) for state, _, _ in STATES}
    trouble = [s for s in found if s.state != "ok"]
    # longest first; a source never read has no duration to compare: after the others
    trouble.sort(key=lambda s: (s.since is None, s.since or now, s.source))
    worst = trouble[:WORST]
    label_w = min(max(measure(t, LABEL) for t in [*LABELS.values(), *(s.source for s in worst)]),
                  WIDTH * 0.3) + 12  # fmt: skip
    shapes: list[Shape] = [*heading(TITLE, note)]
    y = HEAD + 4
    scale = ticks(max(counts.values()))
    room = WIDTH - label_w - 40
    for state, label, color in STATES:
        n = counts[state]
        w = room * n / scale[-1]
        shapes.append(Text(x=label_w - 12, y=y + BAR / 2 + 6, text=label, size=LABEL,
                           anchor="end", role="label"))  # fmt: skip
        shapes.append(Rect(x=label_w, y=y, w=w, h=BAR, fill=color, role="bar",
                           tip=f"{label} {n} 个"))  # fmt: skip
        shapes.append(Text(x=label_w + w + 6, y=y + BAR / 2 + 6, text=str(n), size=LABEL,
                           bold=True, fill=INK, role="value"))  # fmt: skip
        y += ROW
    shapes.extend(_axis(scale, label_w, room, y, "个"))
    y += 62
    shapes.append(Text(x=0, y=y, text="问题持续最久的信息源", size=LABEL, bold=True,
                       role="subtitle"))  # fmt: skip
    y += 14
    if not worst:
        shapes.append(Text(x=0, y=y + 22, text="全部信息源运行正常。", size=LABEL, fill=MUTED,
                           role="empty"))  # fmt: skip
        return Drawing(key=KEY, title=TITLE, width=WIDTH, height=y + 36, shapes=tuple(shapes))
    hours = [(now - s.since).total_seconds() / 3600 for s in worst if s.since is not None]
    longest = max(hours, default=1.0)
    in_days = longest >= 48
    span = ticks(longest / 24 if in_days else longest, most=4)
    widest = max(measure(f"{LABELS[s.state]} {_lasted(s.since, now)}", SMALL) for s in worst)
    room = WIDTH - label_w - widest - 12
    for s in worst:
        lasted = _lasted(s.since, now)
        if s.since is None:
            w = 0.0  # never read: no duration to draw
        else:
            h = (now - s.since).total_seconds() / 3600
            w = room * (h / 24 if in_days else h) / span[-1]
        parts = fit(s.source, LABEL, label_w - 12)
        first = y + BAR / 2 + 6 - (LABEL / 2 + 1) * (len(parts) - 1)
        for k, part in enumerate(parts):
            shapes.append(Text(x=label_w - 12, y=first + k * (LABEL + 2), text=part, size=LABEL,
                               anchor="end", role="label"))  # fmt: skip
        if w:
            w = max(w, 3.0)
            shapes.append(Rect(x=label_w, y=y, w=w, h=BAR, fill=COLORS[s.state], role="bar",
                               tip=f"{s.source} {LABELS[s.state]} {lasted}"))  # fmt: skip
        shapes.append(Text(x=label_w + w + 6, y=y + BAR / 2 + 6,
                           text=f"{LABELS[s.state]} {lasted}", size=SMALL, fill=INK,
                           role="value"))  # fmt: skip
        y += ROW + (LABEL + 2) * (len(parts) - 1)
    shapes.extend(_axis(span, label_w, room, y, "天" if in_days else "小时"))
    return Drawing(key=KEY, title=TITLE, width=WIDTH, height=y + 34, shapes=tuple(shapes))


def _axis(scale: Sequence[float], x0: float, room: float, y: float, unit: str) -> list[Shape]:
    out: list[Shape] = [Line(x1=x0, y1=y, x2=x0 + room, y2=y, stroke=GRID)]
    for v in scale:
        x = x0 + room * v / scale[-1]
        out.append(Line(x1=x, y1=y - 4, x2=x, y2=y + 4, stroke=GRID))
        out.append(Text(x=x, y=y + 22, text=tick_text(v), size=SMALL, fill=MUTED,
                        anchor="middle", role="axis"))  # fmt: skip
    last = measure(tick_text(scale[-1]), SMALL) / 2
    out.append(Text(x=x0 + room + last + 8, y=y + 22, text=unit, size=SMALL, fill=MUTED,
                    role="axis"))  # fmt: skip
    return out
