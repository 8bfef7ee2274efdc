"""Working days on the real 2026 calendar, the 2027 estimate, and the operator's own list.

Facts checked against chinesecalendar 1.11's data (the State Council notice for 2026):
National Day 2026-10-01..10-07 off, Mid-Autumn 09-25..09-27 off, make-up workdays Sunday 09-20
and Saturday 10-10; Spring Festival 02-15..02-23 off, make-up Saturdays 02-14 and 02-28.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sentinel.config.workflow import CalendarYear, WorkflowSettings
from sentinel.workflow.calendar import ChineseWorkCalendar

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def cal() -> ChineseWorkCalendar:
    return ChineseWorkCalendar(TZ)


OPERATOR_2027 = {
    2027: CalendarYear(
        holidays=[date(2027, 1, 1), *(date(2027, 2, d) for d in range(5, 12))],
        workdays=[date(2027, 2, 20)],
    )
}


def test_national_day_and_mid_autumn_2026(cal: ChineseWorkCalendar) -> None:
    off = [date(2026, 9, d) for d in (25, 26, 27)] + [date(2026, 10, d) for d in range(1, 8)]
    assert not any(cal.is_workday(d) for d in off)
    # make-up workdays on a Sunday and a Saturday
    assert cal.is_workday(date(2026, 9, 20))
    assert cal.is_workday(date(2026, 10, 10))
    # the block ends on the 7th: Thursday the 8th is an ordinary working day
    assert cal.is_workday(date(2026, 10, 8))
    assert not cal.is_workday(date(2026, 10, 11))
    assert not any(cal.provisional(d) for d in off)


def test_spring_festival_2026(cal: ChineseWorkCalendar) -> None:
    assert all(not cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_workday(date(2026, 2, 14))
    assert cal.is_workday(date(2026, 2, 28))
    assert cal.is_workday(date(2026, 2, 24))


def test_add_workdays_across_national_day(cal: ChineseWorkCalendar) -> None:
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13
    assert cal.add_workdays(at(2026, 9, 30, 10), 5) == at(2026, 10, 13, 10)
    assert cal.add_workdays(at(2026, 9, 30, 10), 3) == at(2026, 10, 10, 10)


def test_add_workdays_across_spring_festival(cal: ChineseWorkCalendar) -> None:
    # Friday 02-13: 02-14 (make-up Saturday), then 02-24..02-27 after the block
    assert cal.add_workdays(at(2026, 2, 13, 16), 5) == at(2026, 2, 27, 16)
    assert cal.add_workdays(at(2026, 2, 13, 16), 1) == at(2026, 2, 14, 16)


def test_start_on_a_non_working_day_counts_from_the_next_working_day(
    cal: ChineseWorkCalendar,
) -> None:
    # a start inside the holiday block: day one is the first working day after it
    assert cal.add_workdays(at(2026, 10, 3, 10), 1) == at(2026, 10, 8, 10)
    assert cal.add_workdays(at(2026, 10, 3, 10), 1) == cal.add_workdays(at(2026, 9, 30, 10), 1)
    # an ordinary Saturday counts like the Friday before it
    assert cal.add_workdays(at(2026, 11, 21, 9), 1) == at(2026, 11, 23, 9)
    assert cal.add_workdays(at(2026, 11, 20, 9), 1) == at(2026, 11, 23, 9)


def test_add_workdays_keeps_local_time_and_accepts_other_zones(cal: ChineseWorkCalendar) -> None:
    # 2026-09-30 22:30 UTC is 10-01 06:30 in Shanghai: a holiday, so day one is 10-08
    start = datetime(2026, 9, 30, 22, 30, tzinfo=ZoneInfo("UTC"))
    assert cal.add_workdays(start, 1) == at(2026, 10, 8, 6, 30)
    assert cal.add_workdays(at(2026, 9, 30, 10), 0) == at(2026, 9, 30, 10)


def test_naive_times_and_negative_counts_are_refused(cal: ChineseWorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_workdays(datetime(2026, 10, 9, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_workdays(at(2026, 10, 9, 10), -1)


def test_workdays_between_is_the_inverse_of_add_workdays(cal: ChineseWorkCalendar) -> None:
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert cal.workdays_between(date(2026, 10, 13), date(2026, 9, 30)) == -5
    assert cal.workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    for start in (at(2026, 9, 18, 9), at(2026, 2, 10, 9), at(2026, 12, 24, 9)):
        for n in range(0, 25):
            end = cal.add_workdays(start, n)
            assert cal.workdays_between(start.date(), end.date()) == n
            assert n == 0 or cal.is_workday(end.date())


def test_2027_has_no_official_data_and_falls_back_without_raising(
    cal: ChineseWorkCalendar,
) -> None:
    # chinese_calendar raises NotImplementedError for 2027; we must answer anyway
    assert cal.provisional(date(2027, 3, 1))
    assert not cal.is_workday(date(2027, 1, 1))  # New Year (holidays package)
    assert not cal.is_workday(date(2027, 2, 8))  # Spring Festival, a Monday
    assert not cal.is_workday(date(2027, 10, 1))  # National Day
    assert cal.is_workday(date(2027, 2, 11))  # Thursday after the estimated block
    assert not cal.is_workday(date(2027, 2, 20))  # no make-up days in the estimate
    assert cal.is_workday(date(2027, 3, 1))
    # counting across the year boundary: 12-29, 12-30, 12-31, then 01-04 (01-01 is a holiday)
    assert cal.add_workdays(at(2026, 12, 28, 10), 4) == at(2027, 1, 4, 10)
    assert cal.provisional_between(date(2026, 12, 28), date(2027, 1, 4))
    assert not cal.provisional_between(date(2026, 12, 1), date(2026, 12, 31))
    # far outside the package's range in both directions
    assert cal.is_workday(date(2099, 6, 1)) and cal.provisional(date(2099, 6, 1))
    assert cal.provisional(date(1990, 6, 1))


def test_operator_list_for_2027_is_authoritative(cal: ChineseWorkCalendar) -> None:
    own = ChineseWorkCalendar(TZ, OPERATOR_2027)
    assert not own.provisional(date(2027, 2, 20))
    assert own.is_workday(date(2027, 2, 20))  # listed make-up Saturday
    assert not own.is_workday(date(2027, 2, 11))  # listed holiday the estimate calls a workday
    assert cal.is_workday(date(2027, 2, 11))
    assert own.is_workday(date(2027, 4, 5))  # not listed: the operator's list is the whole truth
    assert own.add_workdays(at(2027, 2, 4, 9), 1) == at(2027, 2, 12, 9)
    assert own.add_workdays(at(2027, 2, 4, 9), 2) == at(2027, 2, 15, 9)
    assert not own.provisional(date(2026, 10, 1))  # other years still official


def test_warnings_name_the_provisional_years(cal: ChineseWorkCalendar) -> None:
    lines = cal.warnings(date(2026, 11, 23))
    assert len(lines) == 1
    assert "2027" in lines[0] and "provisional" in lines[0]
    assert [w for w in cal.warnings(date(2027, 6, 1)) if "2028" in w]
    assert len(cal.warnings(date(2027, 6, 1))) == 2
    assert ChineseWorkCalendar(TZ, OPERATOR_2027).warnings(date(2026, 11, 23)) == []
    assert cal.warnings(date(2025, 6, 1)) == []


def test_operator_calendar_loads_from_workflow_settings() -> None:
    raw = {
        "calendar": {
            2027: {"holidays": ["2027-01-01", "2027-02-05"], "workdays": ["2027-02-20"]},
        }
    }
    settings = WorkflowSettings.model_validate(raw)
    own = ChineseWorkCalendar("Asia/Shanghai", settings.calendar)
    assert own.is_workday(date(2027, 2, 20)) and not own.is_workday(date(2027, 2, 5))
    with pytest.raises(ValueError, match="another year"):
        WorkflowSettings.model_validate({"calendar": {2027: {"holidays": ["2026-10-01"]}}})
    with pytest.raises(ValueError, match="both"):
        WorkflowSettings.model_validate(
            {"calendar": {2027: {"holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}}}
        )


def test_answers_are_the_same_for_a_date_and_a_datetime(cal: ChineseWorkCalendar) -> None:
    moment = datetime(2026, 10, 10, 23, 0)
    assert cal.is_workday(moment) is cal.is_workday(date(2026, 10, 10)) is True
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 9, 30) + timedelta(days=8)
