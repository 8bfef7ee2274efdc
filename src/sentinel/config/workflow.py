"""Typed models of the workflow part of `sentinel.yaml` (mounted as `workflow:`).

    workflow:
      calendar:                 # a year the official calendar lacks, or a correction of one
        2027:
          holidays: [2027-01-01, 2027-02-05]
          workdays: [2027-02-07]
      cadence:
        day_start: 8            # duty starts (hour)
        workday_end: 18         # hourly patrols until here on working days
        day_end: 24             # nobody on duty from here until day_start
        workday_interval: 1h
        offhours_interval: 2h
        heightened:             # 重点时段: more duty patrols on these days
          - {name: 国庆, start: 2026-10-01, end: 2026-10-08, interval: 30m}
      deadlines:
        major: {reply_workdays: 5, public_response: 48h}
        board: {reply_days: 3, max_days: 5}

Defaults are the deadline table of docs/workflow.md; each severity block starts from its own
defaults, so `major: {first_report: 1h}` keeps major's 5-day reply.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from sentinel.config.base import Duration, Strict
from sentinel.config.cadence import HeightenedPeriod


class CalendarYear(Strict):
    """The operator's own list for one year; with it the year is no longer provisional."""

    holidays: list[date] = Field(default_factory=list, description="days off (Mon-Fri included)")
    workdays: list[date] = Field(
        default_factory=list, description="make-up working days (调休), usually a weekend day"
    )

    @model_validator(mode="after")
    def _disjoint(self) -> CalendarYear:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"listed both as holiday and as workday: {', '.join(map(str, both))}")
        return self


class CadenceSettings(Strict):
    """When duty patrols happen (Art. 6): the human clock that claim deadlines run on."""

    day_start: int = Field(8, ge=0, le=23, description="hour duty starts each day")
    workday_end: int = Field(18, ge=1, le=24, description="hour workday (hourly) patrols end")
    day_end: int = Field(24, ge=1, le=24, description="hour nobody is on duty any more")
    workday_interval: Duration = Field(
        timedelta(hours=1), description="between patrols in workday hours"
    )
    offhours_interval: Duration = Field(
        timedelta(hours=2), description="between patrols in evenings and on non-working days"
    )
    heightened: list[HeightenedPeriod] = Field(
        default_factory=list, description="重点时段: days with extra duty patrols (cadence.py)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> CadenceSettings:
        if not self.day_start < self.workday_end <= self.day_end:
            raise ValueError("need day_start < workday_end <= day_end")
        for name in ("workday_interval", "offhours_interval"):
            step: timedelta = getattr(self, name)
            if step < timedelta(minutes=5) or step > timedelta(hours=24):
                raise ValueError(f"{name} must be between 5m and 24h")
        return self


class SeverityDeadlines(Strict):
    """Allowances for one severity. A null value means the step has no deadline."""

    first_report: Duration = Field(
        timedelta(hours=2), description="研判 + proposed handling, after the claim (Art. 8)"
    )
    verification_workdays: int = Field(
        5, ge=1, le=60, description="核实调查报告, working days after the claim (Art. 8)"
    )
    legacy_verification_workdays: int = Field(
        15, ge=1, le=120, description="the same for legacy issues (历史遗留问题)"
    )
    extension_request_workdays: int = Field(
        3, ge=0, le=60, description="an extension must be asked within this many (Art. 8)"
    )
    reply_workdays: int | None = Field(
        3, ge=1, le=60, description="public reply, working days after verification (Art. 9)"
    )
    public_response: Duration | None = Field(
        None, description="first public response after detection (Guo Ban Fa [2016] 61 §3)"
    )


_SEVERITY_DEFAULTS: dict[str, dict[str, Any]] = {
    "general": {},
    "major": {"reply_workdays": 5, "public_response": timedelta(hours=48)},
    "critical": {"reply_workdays": None, "public_response": timedelta(hours=24)},
}


class BoardDeadlines(Strict):
    """Message-board posts (留言), Fuhe park rules items 3 and 5."""

    reply_days: int = Field(3, ge=1, le=60, description="reply within this many days")
    max_days: int = Field(5, ge=1, le=60, description="an extension may not pass this many days")
    unit: Literal["days", "workdays"] = Field(
        "days", description="count calendar days (the rules say 日) or working days"
    )

    @model_validator(mode="after")
    def _ordered(self) -> BoardDeadlines:
        if self.max_days < self.reply_days:
            raise ValueError("max_days must be at least reply_days")
        return self


class DeadlineSettings(Strict):
    general: SeverityDeadlines = Field(default_factory=SeverityDeadlines)
    major: SeverityDeadlines = Field(
        default_factory=lambda: SeverityDeadlines(**_SEVERITY_DEFAULTS["major"])
    )
    critical: SeverityDeadlines = Field(
        default_factory=lambda: SeverityDeadlines(**_SEVERITY_DEFAULTS["critical"])
    )
    board: BoardDeadlines = Field(default_factory=BoardDeadlines)

    @model_validator(mode="before")
    @classmethod
    def _severity_defaults(cls, data: Any) -> Any:
        # a partial block must start from that severity's defaults, not from general's
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, defaults in _SEVERITY_DEFAULTS.items():
            given = out.get(name)
            if isinstance(given, dict):
                out[name] = {**defaults, **given}
        return out

    def for_severity(self, severity: str) -> SeverityDeadlines:
        value: SeverityDeadlines = getattr(self, str(severity))
        return value


class WorkflowSettings(Strict):
    calendar: dict[int, CalendarYear] = Field(
        default_factory=dict, description="the operator's holidays and make-up days, per year"
    )
    cadence: CadenceSettings = Field(default_factory=CadenceSettings)
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings)

    @model_validator(mode="after")
    def _dates_in_their_year(self) -> WorkflowSettings:
        for year, lists in self.calendar.items():
            stray = [d for d in (*lists.holidays, *lists.workdays) if d.year != year]
            if stray:
                raise ValueError(
                    f"calendar {year}: dates of another year: {', '.join(map(str, stray))}"
                )
        return self
