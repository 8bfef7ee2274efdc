"""Heightened periods (重点时段): days on which duty patrols run more often than usual.

    cadence:
      heightened:
        - {name: 国庆, start: 2026-10-01, end: 2026-10-08, interval: 30m}

On every day from `start` to `end` (both included) duty patrols run every `interval` for the whole
duty day (day_start to day_end, 08:00–24:00 by default), workday or not. A heightened period only
ever adds patrols: the day's usual grid is kept, so a long interval cannot thin it out.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field, model_validator

from sentinel.config.base import Duration, Strict


class HeightenedPeriod(Strict):
    name: str = Field(..., min_length=1, description="what the period is for (shown in logs)")
    start: date = Field(..., description="first local day of the period")
    end: date = Field(..., description="last local day of the period (included)")
    interval: Duration = Field(..., description="between duty patrols during the period")

    @model_validator(mode="after")
    def _sane(self) -> HeightenedPeriod:
        if self.end < self.start:
            raise ValueError(f"heightened period {self.name!r}: end is before start")
        if not timedelta(minutes=5) <= self.interval <= timedelta(hours=24):
            raise ValueError(f"heightened period {self.name!r}: interval must be 5m to 24h")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end
