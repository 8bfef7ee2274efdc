"""Working days: the official Chinese calendar behind a small interface of our own.

`ChineseWorkCalendar` answers from, in order:
1. the operator's list for the year (`workflow.calendar` in sentinel.yaml): Monday–Friday, minus
   the listed holidays, plus the listed make-up workdays — authoritative, not provisional;
2. the `chinesecalendar` package (the State Council's yearly notice, make-up days included);
3. for a year that package has no data for (it raises NotImplementedError): Monday–Friday minus
   the statutory days the `holidays` package computes for CN — an estimate without make-up days,
   so every answer about that year is marked provisional.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

from sentinel.config.workflow import CalendarYear

# one year of days with no working day in it means a broken list, not a long holiday
_MAX_SEARCH = 366


def require_aware(moment: datetime, what: str = "time") -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment.isoformat()}")


class WorkCalendar(abc.ABC):
    """Which days are working days, and date arithmetic on them, in one local time zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    @abc.abstractmethod
    def is_workday(self, day: date) -> bool:
        """True on a working day (a make-up Saturday included)."""

    @abc.abstractmethod
    def provisional(self, day: date) -> bool:
        """True when the answer for `day` is an estimate: no official data, no operator list."""

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(_MAX_SEARCH):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise ValueError(f"no working day within a year after {day}")

    def add_workdays(self, start: datetime, n: int) -> datetime:
        """`n` working days after `start`, at the same local time of day.

        The start day itself is never counted (as in administrative deadlines: 期间开始之日不计算
        在内): day one is the first working day after the start's date. So a start on a
        non-working day counts from the next working day — Saturday 10:00 + 1 is Monday 10:00, the
        same as Friday 10:00 + 1. `n == 0` returns `start` unchanged. The result is in `self.tz`.
        """
        require_aware(start, "start")
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        if n == 0:
            return start
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(n):
            day = self.next_workday(day)
        return datetime.combine(day, local.timetz()).replace(tzinfo=self.tz)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: after `start`, up to and including `end`.

        The inverse of `add_workdays`: workdays_between(s.date(), add_workdays(s, n).date()) == n.
        Negative when `end` is before `start`.
        """
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def provisional_between(self, start: date, end: date) -> bool:
        """True if any day from `start` to `end` (inclusive) has only an estimated status."""
        day = min(start, end)
        last = max(start, end)
        while day <= last:
            if self.provisional(day):
                return True
            day += timedelta(days=1)
        return False

    def warnings(self, today: date) -> list[str]:
        """One line per year (this year and next) whose working days are only estimated."""
        out = []
        for year in (today.year, today.year + 1):
            if self.provisional(date(year, 7, 1)):
                out.append(
                    f"calendar: no official working-day data for {year}; deadlines in {year} are "
                    "provisional (Monday-Friday minus statutory holidays, no make-up workdays). "
                    f"List {year}'s holidays and make-up days under workflow.calendar.{year} "
                    "in sentinel.yaml"
                )
        return out


class ChineseWorkCalendar(WorkCalendar):
    """The official calendar, the operator's lists, and an estimate for years without either."""

    def __init__(
        self,
        tz: ZoneInfo | str = "Asia/Shanghai",
        overrides: Mapping[int, CalendarYear] | None = None,
    ) -> None:
        super().__init__(ZoneInfo(tz) if isinstance(tz, str) else tz)
        self._overrides = {
            year: (frozenset(lists.holidays), frozenset(lists.workdays))
            for year, lists in (overrides or {}).items()
        }
        self._days: dict[date, tuple[bool, bool]] = {}  # day -> (workday, provisional)
        self._estimates: dict[int, frozenset[date]] = {}

    def is_workday(self, day: date) -> bool:
        return self._lookup(day)[0]

    def provisional(self, day: date) -> bool:
        return self._lookup(day)[1]

    def _lookup(self, day: date) -> tuple[bool, bool]:
        if isinstance(day, datetime):
            day = day.date()  # a datetime is a date; its time must not split the cache
        hit = self._days.get(day)
        if hit is None:
            hit = self._days[day] = self._answer(day)
        return hit

    def _answer(self, day: date) -> tuple[bool, bool]:
        weekday = day.weekday() < 5
        listed = self._overrides.get(day.year)
        if listed is not None:
            off, on = listed
            return (day in on) or (weekday and day not in off), False
        try:
            return bool(chinese_calendar.is_workday(day)), False
        except NotImplementedError:
            pass  # a year the package has no data for: estimate below
        return weekday and day not in self._estimated_holidays(day.year), True

    def _estimated_holidays(self, year: int) -> frozenset[date]:
        days = self._estimates.get(year)
        if days is None:
            days = self._estimates[year] = frozenset(holidays.country_holidays("CN", years=year))
        return days
