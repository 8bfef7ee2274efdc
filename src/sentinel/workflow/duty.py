"""Duty patrols (巡查, Art. 6) and the claim deadline that runs on them (docs/workflow.md).

Default cadence, in local time (settings.timezone):
- working day: a patrol every hour 08:00–18:00 (08:00, 09:00, …, 18:00), then every 2 h in the
  evening while before 24:00 (20:00, 22:00) — Art. 6 says "before 24 o'clock";
- non-working day (weekend, holiday): every 2 h from 08:00 while before 24:00 (08:00 … 22:00);
- 00:00–08:00: nobody on duty, no patrol.

Claim deadline: a story reaches the duty officer with the digest of one duty patrol (the
delivering patrol) and must be claimed before the duty patrol after that one (Art. 6: claimed
within the patrol interval, else designated by the lead office):

    claim_deadline = next_duty_patrol(delivering patrol)

A story found by a duty patrol is delivered by that patrol's own digest, whenever in the patrol
its source was read: the pipeline passes the patrol's scheduled time as `delivered_by`. A story
found between duty patrols (a source polled more often than the duty cadence) is delivered by the
first duty patrol at or after its detection. So the deadline is one interval after the delivering
patrol: 1 h in workday hours, 2 h in the evening and on non-working days; in off-duty hours it is
the start of the next duty window plus that window's interval (02:00 on a working day → 09:00; on
a Saturday → 10:00). Two guards keep a late-running duty patrol from leaving no time at all:
the deadline is never before the first duty patrol after detection, and a patrol that runs in
off-duty hours (the daemon was down at its time) counts as delivering at the next duty window.
Critical alerts are pushed at once, but their deadline is the same.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sentinel.config.workflow import CadenceSettings
from sentinel.workflow.calendar import WorkCalendar, require_aware

# every day has patrols, so the next one is at most a day and a night away
_MAX_DAYS = 3


class DutySchedule:
    """The patrol grid of each day, from the calendar and the cadence settings."""

    def __init__(self, calendar: WorkCalendar, cadence: CadenceSettings | None = None) -> None:
        self.calendar = calendar
        self.cadence = cadence or CadenceSettings()
        self._grid: dict[date, tuple[datetime, ...]] = {}

    def patrols_on(self, day: date) -> tuple[datetime, ...]:
        """The duty patrols of one local day, in order, timezone-aware."""
        grid = self._grid.get(day)
        if grid is None:
            grid = self._grid[day] = tuple(self._build(day))
        return grid

    def _build(self, day: date) -> list[datetime]:
        c = self.cadence
        midnight = datetime.combine(day, time(0), tzinfo=self.calendar.tz)
        start = midnight + timedelta(hours=c.day_start)
        end = midnight + timedelta(hours=c.day_end)  # exclusive: "before 24 o'clock"
        out: list[datetime] = []
        at = start
        if self.calendar.is_workday(day):
            workday_end = midnight + timedelta(hours=c.workday_end)  # inclusive: "08:00–18:00"
            while at <= workday_end and at < end:
                out.append(at)
                at += c.workday_interval
            at = out[-1] + c.offhours_interval
        while at < end:
            out.append(at)
            at += c.offhours_interval
        return out

    def first_patrol_at_or_after(self, moment: datetime) -> datetime:
        require_aware(moment, "moment")
        return self._scan(moment, inclusive=True)

    def next_duty_patrol(self, after: datetime) -> datetime:
        """The first duty patrol strictly after `after`."""
        require_aware(after, "after")
        return self._scan(after, inclusive=False)

    def claim_deadline(self, detected: datetime, delivered_by: datetime | None = None) -> datetime:
        """The duty patrol after the one that delivers the story (see the module docstring).

        `delivered_by`: the scheduled time of the duty patrol that found the story, whose digest
        carries it; None for a story found between duty patrols.
        """
        require_aware(detected, "detected")
        if delivered_by is not None and self.on_duty(detected):
            require_aware(delivered_by, "delivered_by")
            return max(self.next_duty_patrol(delivered_by), self.next_duty_patrol(detected))
        return self.next_duty_patrol(self.first_patrol_at_or_after(detected))

    def on_duty(self, moment: datetime) -> bool:
        """Whether `moment` falls in the duty hours of its local day (day_start to day_end)."""
        local = moment.astimezone(self.calendar.tz)
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.calendar.tz)
        hours = (local - midnight) / timedelta(hours=1)
        return self.cadence.day_start <= hours < self.cadence.day_end

    def interval_at(self, patrol: datetime) -> timedelta:
        """The gap from this patrol to the next one."""
        return self.next_duty_patrol(patrol) - patrol

    def _scan(self, moment: datetime, *, inclusive: bool) -> datetime:
        local = moment.astimezone(self.calendar.tz)
        day = local.date()
        for _ in range(_MAX_DAYS):
            for patrol in self.patrols_on(day):
                if patrol > local or (inclusive and patrol == local):
                    return patrol
            day += timedelta(days=1)
        raise ValueError(f"no duty patrol within {_MAX_DAYS} days after {moment.isoformat()}")
