"""Warnings a running service says once a day, not at every tick nor every command."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sentinel.workflow.calendar import WorkCalendar

log = logging.getLogger(__name__)


class DailyWarnings:
    """The calendar lacking official working-day data for this year or the next, once a day."""

    def __init__(self) -> None:
        self._said: date | None = None

    def check(self, now: datetime, calendar: WorkCalendar, tz: ZoneInfo) -> list[str]:
        """The warnings logged now: all of them on the first call of a local day, else none."""
        today = now.astimezone(tz).date()
        if today == self._said:
            return []
        self._said = today
        said = calendar.warnings(today)
        for warning in said:
            log.warning("%s", warning)
        return said
