"""Duty patrols, claim deadlines and every step's deadline on real calendar cases.

Calendar facts (chinesecalendar 1.11): 2026-10-01..07 off, Saturday 10-10 a make-up workday;
2026-02-15..23 off, Saturday 02-14 a make-up workday; 2027 has no official data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sentinel.config.models import Severity
from sentinel.config.workflow import CadenceSettings, CalendarYear, DeadlineSettings
from sentinel.workflow.calendar import ChineseWorkCalendar
from sentinel.workflow.deadlines import DeadlinePolicy, compute_deadlines
from sentinel.workflow.duty import DutySchedule

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def duty() -> DutySchedule:
    return DutySchedule(ChineseWorkCalendar(TZ))


@pytest.fixture
def policy(duty: DutySchedule) -> DeadlinePolicy:
    return DeadlinePolicy(duty=duty)


def hours(patrols: tuple[datetime, ...]) -> list[str]:
    return [p.strftime("%H:%M") for p in patrols]


# ------------------------------------------------------------------ duty patrols


def test_patrols_on_a_working_day_a_holiday_and_a_make_up_saturday(duty: DutySchedule) -> None:
    hourly = [f"{h:02d}:00" for h in range(8, 19)] + ["20:00", "22:00"]
    every_two = [f"{h:02d}:00" for h in range(8, 23, 2)]
    assert hours(duty.patrols_on(date(2026, 10, 9))) == hourly  # Friday
    assert hours(duty.patrols_on(date(2026, 10, 3))) == every_two  # National Day
    assert hours(duty.patrols_on(date(2026, 10, 10))) == hourly  # make-up Saturday
    assert hours(duty.patrols_on(date(2026, 10, 17))) == every_two  # ordinary Saturday
    assert hours(duty.patrols_on(date(2026, 2, 17))) == every_two  # Spring Festival


def test_next_duty_patrol_is_strictly_after(duty: DutySchedule) -> None:
    assert duty.next_duty_patrol(at(2026, 10, 9, 9)) == at(2026, 10, 9, 10)
    assert duty.next_duty_patrol(at(2026, 10, 9, 9, 1)) == at(2026, 10, 9, 10)
    assert duty.next_duty_patrol(at(2026, 10, 9, 18)) == at(2026, 10, 9, 20)
    assert duty.next_duty_patrol(at(2026, 10, 9, 22)) == at(2026, 10, 10, 8)
    assert duty.next_duty_patrol(at(2026, 9, 30, 23)) == at(2026, 10, 1, 8)


def test_claim_deadline_in_workday_hours(duty: DutySchedule) -> None:
    # delivered by the 10:00 patrol, due by the 11:00 one
    assert duty.claim_deadline(at(2026, 10, 9, 9, 30)) == at(2026, 10, 9, 11)
    # found by the 10:00 patrol itself
    assert duty.claim_deadline(at(2026, 10, 9, 10)) == at(2026, 10, 9, 11)
    # delivered at 18:00, the next patrol is the evening one two hours later
    assert duty.claim_deadline(at(2026, 10, 9, 17, 30)) == at(2026, 10, 9, 20)


def test_claim_deadline_on_a_friday_evening(duty: DutySchedule) -> None:
    assert duty.claim_deadline(at(2026, 10, 16, 19)) == at(2026, 10, 16, 22)
    # after the last patrol: delivered Saturday 08:00, due at the 10:00 patrol
    assert duty.claim_deadline(at(2026, 10, 16, 22, 30)) == at(2026, 10, 17, 10)
    # the Friday before the make-up Saturday 10-10: Saturday runs hourly
    assert duty.claim_deadline(at(2026, 10, 9, 22, 30)) == at(2026, 10, 10, 9)


def test_claim_deadline_in_off_duty_hours(duty: DutySchedule) -> None:
    # 02:00 on a working day: next window starts 08:00, + its 1 h interval
    assert duty.claim_deadline(at(2026, 10, 13, 2)) == at(2026, 10, 13, 9)
    # 02:00 in the National Day block: 08:00 + 2 h
    assert duty.claim_deadline(at(2026, 10, 2, 2)) == at(2026, 10, 2, 10)
    # given in UTC: 18:00Z is 02:00 the next day in Shanghai
    utc = datetime(2026, 10, 12, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert duty.claim_deadline(utc) == at(2026, 10, 13, 9)


def test_claim_deadline_counts_from_the_duty_patrol_that_delivers_the_story(
    duty: DutySchedule,
) -> None:
    ten = at(2026, 10, 9, 10)
    seconds_after = ten + timedelta(seconds=40)
    # found by the 10:00 duty patrol a few seconds in: its digest delivers it, due by 11:00
    assert duty.claim_deadline(seconds_after, delivered_by=ten) == at(2026, 10, 9, 11)
    # the same moment between duty patrols: delivered at 11:00, due by 12:00
    assert duty.claim_deadline(seconds_after) == at(2026, 10, 9, 12)
    # a duty patrol that ran past the next one's time still leaves the next patrol after it
    assert duty.claim_deadline(at(2026, 10, 9, 11, 5), delivered_by=ten) == at(2026, 10, 9, 12)
    # the 22:00 patrol run at 02:00 (the daemon was down): read at 08:00, due by 09:00
    assert duty.claim_deadline(at(2026, 10, 13, 2), delivered_by=at(2026, 10, 12, 22)) == at(
        2026, 10, 13, 9
    )
    # the evening patrol on a Friday: due at Saturday's first patrol
    assert duty.claim_deadline(
        at(2026, 10, 16, 22) + timedelta(seconds=5), delivered_by=at(2026, 10, 16, 22)
    ) == at(2026, 10, 17, 8)


def test_cadence_is_configurable() -> None:
    cadence = CadenceSettings.model_validate(
        {"workday_interval": "30m", "offhours_interval": "3h", "day_start": 7}
    )
    duty = DutySchedule(ChineseWorkCalendar(TZ), cadence)
    assert duty.claim_deadline(at(2026, 10, 13, 2)) == at(2026, 10, 13, 7, 30)
    every_three = ["07:00", "10:00", "13:00", "16:00", "19:00", "22:00"]
    assert hours(duty.patrols_on(date(2026, 10, 3))) == every_three
    with pytest.raises(ValueError):
        CadenceSettings.model_validate({"day_start": 19, "workday_end": 18})


# ---------------------------------------------------------------------- deadlines


def test_general_alert_across_national_day(policy: DeadlinePolicy) -> None:
    d = compute_deadlines(
        policy,
        severity=Severity.general,
        detected_at=at(2026, 9, 30, 9, 20),
        claimed_at=at(2026, 9, 30, 10),
    )
    assert d.claim == at(2026, 9, 30, 11)
    assert d.first_report == at(2026, 9, 30, 12)
    assert d.verification == at(2026, 10, 13, 10)  # 10-08, 09, 10 (Sat), 12, 13
    assert d.extension_request == at(2026, 10, 10, 10)  # the make-up Saturday
    assert d.reply is None  # no verification report yet
    assert d.public_response is None
    assert not d.provisional


def test_unclaimed_alert_has_only_its_claim_deadline(policy: DeadlinePolicy) -> None:
    d = compute_deadlines(policy, severity="major", detected_at=at(2026, 10, 2, 2))
    assert d.claim == at(2026, 10, 2, 10)
    assert d.first_report is d.verification is d.extension_request is d.reply is None
    assert d.public_response == at(2026, 10, 4, 2)  # 48 h after detection


def test_reply_deadline_per_severity(policy: DeadlinePolicy) -> None:
    common: dict[str, Any] = {
        "detected_at": at(2026, 10, 9, 9),
        "claimed_at": at(2026, 10, 9, 9, 30),
        "verified_at": at(2026, 10, 13, 15),
    }
    general = compute_deadlines(policy, severity="general", **common)
    major = compute_deadlines(policy, severity="major", **common)
    critical = compute_deadlines(policy, severity="critical", **common)
    assert general.reply == at(2026, 10, 16, 15)  # 3 working days
    assert major.reply == at(2026, 10, 20, 15)  # 5 working days
    assert critical.reply is None
    assert general.public_response is None
    assert major.public_response == at(2026, 10, 11, 9)
    assert critical.public_response == at(2026, 10, 10, 9)


def test_spring_festival_2026(policy: DeadlinePolicy) -> None:
    d = compute_deadlines(
        policy,
        severity="general",
        detected_at=at(2026, 2, 13, 17, 30),
        claimed_at=at(2026, 2, 13, 19),
    )
    assert d.claim == at(2026, 2, 13, 20)
    assert d.first_report == at(2026, 2, 13, 21)
    # 02-14 (make-up Saturday), then 02-24, 25, 26, 27 after the block
    assert d.verification == at(2026, 2, 27, 19)
    assert d.extension_request == at(2026, 2, 25, 19)


def test_friday_evening_claim(policy: DeadlinePolicy) -> None:
    d = compute_deadlines(
        policy,
        severity="general",
        detected_at=at(2026, 10, 16, 18, 40),
        claimed_at=at(2026, 10, 16, 20, 15),
    )
    assert d.claim == at(2026, 10, 16, 22)
    assert d.first_report == at(2026, 10, 16, 22, 15)  # a clock allowance, not working hours
    assert d.verification == at(2026, 10, 23, 20, 15)
    assert d.extension_request == at(2026, 10, 21, 20, 15)


def test_legacy_issue_and_granted_extension(policy: DeadlinePolicy) -> None:
    base: dict[str, Any] = {
        "severity": "general",
        "detected_at": at(2026, 9, 30, 9),
        "claimed_at": at(2026, 9, 30, 10),
    }
    assert compute_deadlines(policy, legacy=True, **base).verification == at(2026, 10, 27, 10)
    assert compute_deadlines(policy, extension_days=3, **base).verification == at(2026, 10, 16, 10)
    with pytest.raises(ValueError):
        compute_deadlines(policy, extension_days=-1, **base)


def test_board_post_reply_within_three_days_extension_capped_at_five(
    policy: DeadlinePolicy,
) -> None:
    base: dict[str, Any] = {
        "severity": "general",
        "detected_at": at(2026, 10, 9, 10),
        "board": True,
    }
    assert compute_deadlines(policy, **base).reply == at(2026, 10, 12, 10)
    assert compute_deadlines(policy, extension_days=1, **base).reply == at(2026, 10, 13, 10)
    assert compute_deadlines(policy, extension_days=9, **base).reply == at(2026, 10, 14, 10)
    claimed = compute_deadlines(policy, claimed_at=at(2026, 10, 9, 10, 30), **base)
    # the verification report cannot come after the reply it supports
    assert claimed.verification == at(2026, 10, 12, 10)
    assert claimed.extension_request == at(2026, 10, 12, 10)
    in_workdays = DeadlinePolicy(
        duty=policy.duty,
        settings=DeadlineSettings.model_validate({"board": {"unit": "workdays"}}),
    )
    # 10-10 (make-up Saturday), 10-12, 10-13
    assert compute_deadlines(in_workdays, **base).reply == at(2026, 10, 13, 10)


def test_severity_raised_restarts_the_detection_clock(policy: DeadlinePolicy) -> None:
    base: dict[str, Any] = {
        "detected_at": at(2026, 10, 9, 10),
        "claimed_at": at(2026, 10, 9, 10, 30),
    }
    before = compute_deadlines(policy, severity="general", **base)
    raised = compute_deadlines(policy, severity="major", raised_at=at(2026, 10, 10, 9), **base)
    assert before.public_response is None
    assert raised.public_response == at(2026, 10, 12, 9)  # 48 h from the raise
    # claim-anchored steps keep their anchor
    assert raised.claim == before.claim
    assert raised.verification == before.verification


def test_overrides_start_from_the_severity_defaults(duty: DutySchedule) -> None:
    settings = DeadlineSettings.model_validate(
        {"major": {"first_report": "1h"}, "general": {"reply_workdays": None}}
    )
    assert settings.major.reply_workdays == 5
    assert settings.critical.public_response == timedelta(hours=24)
    policy = DeadlinePolicy(duty=duty, settings=settings)
    base: dict[str, Any] = {
        "detected_at": at(2026, 10, 9, 9),
        "claimed_at": at(2026, 10, 9, 9, 30),
        "verified_at": at(2026, 10, 13, 15),
    }
    major = compute_deadlines(policy, severity="major", **base)
    assert major.first_report == at(2026, 10, 9, 10, 30)
    assert major.reply == at(2026, 10, 20, 15)
    assert compute_deadlines(policy, severity="general", **base).reply is None


def test_2027_deadlines_are_provisional(policy: DeadlinePolicy) -> None:
    d = compute_deadlines(
        policy, severity="general", detected_at=at(2027, 3, 1, 9), claimed_at=at(2027, 3, 1, 10)
    )
    assert d.provisional
    assert d.verification == at(2027, 3, 8, 10)  # Monday–Friday estimate
    # a 2026 alert whose verification spills into 2027 (01-01 estimated as a holiday)
    spill = compute_deadlines(
        policy, severity="general", detected_at=at(2026, 12, 28, 9), claimed_at=at(2026, 12, 28, 10)
    )
    assert spill.verification == at(2027, 1, 5, 10)
    assert spill.provisional
    inside = compute_deadlines(
        policy, severity="general", detected_at=at(2026, 12, 1, 9), claimed_at=at(2026, 12, 1, 10)
    )
    assert not inside.provisional


def test_operator_2027_calendar_makes_deadlines_firm() -> None:
    own = ChineseWorkCalendar(
        TZ,
        {
            2027: CalendarYear(
                holidays=[date(2027, 1, 1), *(date(2027, 2, d) for d in range(5, 12))],
                workdays=[date(2027, 2, 20)],
            )
        },
    )
    policy = DeadlinePolicy(duty=DutySchedule(own))
    d = compute_deadlines(
        policy, severity="general", detected_at=at(2027, 2, 4, 9), claimed_at=at(2027, 2, 4, 10)
    )
    assert not d.provisional
    # 02-12, 15, 16, 17, 18
    assert d.verification == at(2027, 2, 18, 10)
    # the listed make-up Saturday has workday patrols
    assert hours(policy.duty.patrols_on(date(2027, 2, 20)))[:2] == ["08:00", "09:00"]


def test_naive_times_are_refused(policy: DeadlinePolicy) -> None:
    with pytest.raises(ValueError, match="detected_at"):
        compute_deadlines(policy, severity="general", detected_at=datetime(2026, 10, 9, 9))
    with pytest.raises(ValueError, match="claimed_at"):
        compute_deadlines(
            policy,
            severity="general",
            detected_at=at(2026, 10, 9, 9),
            claimed_at=datetime(2026, 10, 9, 10),
        )
