"""An alert's deadlines, from the policy of its severity and source kind (docs/workflow.md).

| step                | anchor               | allowance (defaults)                               |
|---------------------|----------------------|----------------------------------------------------|
| claim               | delivering patrol    | the duty patrol after the delivering one (duty.py) |
| first report        | claim                | 2 h                                                |
| verification report | claim                | 5 working days (15 legacy) + granted days          |
| extension request   | claim                | 3 working days (board posts: the unextended reply) |
| public reply        | verification report  | 3 working days general, 5 major, none critical     |
| first public resp.  | detection (or raise) | 48 h major, 24 h critical, none general            |
| board post reply    | detection            | 3 days + granted days, 5 days at most              |

A deadline whose anchor step has not happened yet is None.

Message-board posts (留言) are answered within `board.reply_days` of detection, whatever the
verification took; their verification report is due no later than that reply (a reply needs a
verified alert), and a granted extension moves the reply, never past `board.max_days`.

Severity raised at `raised_at`: the new severity's policy applies to every step. The steps anchored
on detection (first public response) restart from the raise, since a story that only now became
major could not have been answered as major 48 h after it first appeared. Steps anchored on a claim
or a verification report keep their anchor: with the default table their allowances are the same
for every severity, or longer for major (reply), so a raise never shortens them into the past; an
operator who sets a shorter allowance for a higher severity gets the step measured from its own
anchor, and it may be overdue at once — which is the point of the stricter rule. The claim deadline
does not change with severity.

`provisional` is True when any day between detection and the last computed deadline has only an
estimated working-day status (see calendar.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sentinel.config.models import Severity
from sentinel.config.workflow import BoardDeadlines, DeadlineSettings
from sentinel.workflow.calendar import WorkCalendar, require_aware
from sentinel.workflow.duty import DutySchedule


@dataclass(frozen=True, kw_only=True)
class Deadlines:
    claim: datetime
    first_report: datetime | None = None
    verification: datetime | None = None
    extension_request: datetime | None = None
    reply: datetime | None = None
    public_response: datetime | None = None
    provisional: bool = False


@dataclass(frozen=True, kw_only=True)
class DeadlinePolicy:
    """The settings plus the calendar and duty schedule they are counted on."""

    duty: DutySchedule
    settings: DeadlineSettings = field(default_factory=DeadlineSettings)

    @property
    def calendar(self) -> WorkCalendar:
        return self.duty.calendar


def compute_deadlines(
    policy: DeadlinePolicy,
    *,
    severity: Severity | str,
    detected_at: datetime,
    claimed_at: datetime | None = None,
    verified_at: datetime | None = None,
    board: bool = False,
    legacy: bool = False,
    extension_days: int = 0,
    raised_at: datetime | None = None,
    delivered_by: datetime | None = None,
) -> Deadlines:
    """Every deadline of one alert, as of the steps done so far (see the module docstring).

    `delivered_by` is the scheduled time of the duty patrol that found the story (duty.py).

    `extension_days` is what the lead office granted: working days added to the verification
    report, or (board posts) days added to the reply, capped at `board.max_days`.
    """
    for name, moment in (
        ("detected_at", detected_at),
        ("claimed_at", claimed_at),
        ("verified_at", verified_at),
        ("raised_at", raised_at),
        ("delivered_by", delivered_by),
    ):
        if moment is not None:
            require_aware(moment, name)
    if extension_days < 0:
        raise ValueError(f"extension_days must not be negative, got {extension_days}")
    cal = policy.calendar
    rules = policy.settings.for_severity(Severity(severity))

    claim = policy.duty.claim_deadline(detected_at, delivered_by)
    first_report = verification = extension_request = reply = public_response = None

    if claimed_at is not None:
        first_report = claimed_at + rules.first_report
        allowed = rules.legacy_verification_workdays if legacy else rules.verification_workdays
        extra = 0 if board else extension_days
        verification = cal.add_workdays(claimed_at, allowed + extra)
        extension_request = cal.add_workdays(claimed_at, rules.extension_request_workdays)

    if board:
        reply = _board_reply(policy.settings.board, cal, detected_at, extension_days)
        unextended = _board_reply(policy.settings.board, cal, detected_at, 0)
        if verification is not None:
            verification = min(verification, reply)
            extension_request = unextended
    elif verified_at is not None and rules.reply_workdays is not None:
        reply = cal.add_workdays(verified_at, rules.reply_workdays)

    if rules.public_response is not None:
        anchor = max(detected_at, raised_at) if raised_at is not None else detected_at
        public_response = anchor + rules.public_response

    due = [d for d in (claim, first_report, verification, reply, public_response) if d]
    local = cal.tz
    provisional = cal.provisional_between(
        detected_at.astimezone(local).date(), max(due).astimezone(local).date()
    )
    return Deadlines(
        claim=claim,
        first_report=first_report,
        verification=verification,
        extension_request=extension_request,
        reply=reply,
        public_response=public_response,
        provisional=provisional,
    )


def _board_reply(
    rules: BoardDeadlines, cal: WorkCalendar, detected_at: datetime, extension_days: int
) -> datetime:
    days = min(rules.reply_days + extension_days, rules.max_days)
    if rules.unit == "workdays":
        return cal.add_workdays(detected_at, days)
    return detected_at.astimezone(cal.tz) + timedelta(days=days)
