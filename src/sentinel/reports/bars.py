"""The assessment's bar chart: each department's on-time claim rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sentinel.reports.labels import on_time_rate, rate_text


@dataclass(frozen=True, kw_only=True, slots=True)
class Bar:
    label: str
    rate: float | None  # 0..1; None: no claim decided yet
    x: float
    width: float
    y: float
    text: str


def bar_chart(rows: Sequence[dict[str, Any]], names: dict[str, str]) -> list[Bar]:
    """One horizontal bar per department: its on-time claim rate (no bar while it has none)."""
    bars = []
    for i, row in enumerate(rows):
        rate = on_time_rate(row)
        bars.append(
            Bar(
                label=names.get(row["department"], row["department"]),
                rate=rate,
                x=90,
                width=round((rate or 0.0) * 200, 1),
                y=10 + i * 26,
                text=rate_text(rate),
            )
        )
    return bars
