"""Heightened periods (重点时段) on the duty schedule: extra duty patrols on their days.

The claim deadline is the next duty patrol, so it shortens with the cadence of a heightened day:
the deadline policy (workflow/alerts.py `build_policy`) and the daemon's tick use the same
schedule built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sentinel.config.cadence import HeightenedPeriod
from sentinel.workflow.duty import DutySchedule


class HeightenedSchedule(DutySchedule):
    """A duty schedule with extra patrols on heightened days.

    Claim deadlines computed from it shorten with the cadence, as they should: the claim is due
    by the next duty patrol, whatever the cadence of the day.
    """

    def __init__(self, base: DutySchedule, periods: Sequence[HeightenedPeriod]) -> None:
        super().__init__(base.calendar, base.cadence)
        self.base = base
        self.periods = tuple(periods)

    def patrols_on(self, day: date) -> tuple[datetime, ...]:
        grid = super().patrols_on(day)
        steps = [p.interval for p in self.periods if p.covers(day)]
        if not steps:
            return grid
        c = self.cadence
        midnight = datetime.combine(day, time(0), tzinfo=self.calendar.tz)
        at = midnight + timedelta(hours=c.day_start)
        end = midnight + timedelta(hours=c.day_end)
        extra = set(grid)
        while at < end:
            extra.add(at)
            at += min(steps)
        return tuple(sorted(extra))


def with_heightened(schedule: DutySchedule, heightened: Sequence[HeightenedPeriod]) -> DutySchedule:
    """`schedule` itself when there is nothing heightened, else one with the extra patrols."""
    if not heightened:
        return schedule.base if isinstance(schedule, HeightenedSchedule) else schedule
    if isinstance(schedule, HeightenedSchedule):
        if schedule.periods == tuple(heightened):
            return schedule
        schedule = schedule.base  # periods edited since: never stack one set on another
    return HeightenedSchedule(schedule, heightened)
