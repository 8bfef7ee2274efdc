"""Duty patrols (巡查, Art. 6) and the claim deadline that runs on them.

Default cadence, in local time (settings.timezone):
- working day: a patrol every hour 08:00–18:00 (08:00, 09:00, …, 18:00), then every 2 h in the
  evening while before 24:00 (20:00, 22:00) — Art. 6 says "before 24 o'clock";
- non-working day (weekend, holiday): every 2 h from 08:00 while before 24:00 (08:00 … 22:00);
- 00:00–08:00: nobody on duty, no patrol.

Claim deadline: a story detected at `t` reaches the duty officer with the first duty patrol at or
after `t` (its digest goes out then; a story seen during the night waits for the 08:00 patrol).
It must be claimed before the duty patrol after that one (Art. 6: claimed within the patrol
interval, else designated by the lead office). So

    claim_deadline(t) = next_duty_patrol(first_patrol_at_or_after(t))

which is one interval after the delivering patrol: 1 h in workday hours, 2 h in the evening and
on non-working days; in off-duty hours it is the start of the next duty window plus that window's
interval (02:00 on a working day → 09:00; on a Saturday → 10:00). Critical alerts are pushed at
once, but their deadline is the same (DESIGN.md). The pipeline should pass a duty patrol's
scheduled time as `t` for stories that patrol found, so its own digest delivers them.
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

    def claim_deadline(self, detected: datetime) -> datetime:
        """The duty patrol after the one that delivers the story (see the module docstring)."""
        return self.next_duty_patrol(self.first_patrol_at_or_after(detected))

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
