"""Between stored alert rows and the pure workflow: policy, state, deadlines, overdue steps,
and the two writes the pipeline makes inside its own transaction (open, escalate)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sentinel.config.models import SentinelFile, Severity
from sentinel.store import AlertRow, Tx
from sentinel.workflow.calendar import ChineseWorkCalendar
from sentinel.workflow.deadlines import DeadlinePolicy, Deadlines, compute_deadlines
from sentinel.workflow.duty import DutySchedule
from sentinel.workflow.heightened import with_heightened
from sentinel.workflow.states import TERMINAL, AlertState, State

SYSTEM = "sentinel"  # the actor of what the machine itself does (sweep, escalation)
_RAISE = "raise_severity"


def build_policy(settings: SentinelFile) -> DeadlinePolicy:
    """The calendar, duty schedule and deadline settings; built once per process."""
    calendar = ChineseWorkCalendar(settings.timezone, settings.workflow.calendar)
    cadence = settings.workflow.cadence
    # heightened days included: a claim is due by the next duty patrol, however often they run
    duty = with_heightened(DutySchedule(calendar, cadence), cadence.heightened)
    return DeadlinePolicy(duty=duty, settings=settings.workflow.deadlines)


def deadline_columns(d: Deadlines) -> dict[str, Any]:
    return {
        "claim_due": d.claim,
        "first_report_due": d.first_report,
        "verification_due": d.verification,
        "extension_request_due": d.extension_request,
        "reply_due": d.reply,
        "public_response_due": d.public_response,
        "provisional": d.provisional,
    }


def stored_deadlines(row: AlertRow, tz: tzinfo | None = None) -> Deadlines:
    """The row's deadlines; in `tz` when given (the store keeps UTC, people read local time)."""

    def local(when: datetime | None) -> datetime | None:
        return when.astimezone(tz) if when is not None and tz is not None else when

    return Deadlines(
        claim=row.claim_due.astimezone(tz) if tz is not None else row.claim_due,
        first_report=local(row.first_report_due),
        verification=local(row.verification_due),
        extension_request=local(row.extension_request_due),
        reply=local(row.reply_due),
        public_response=local(row.public_response_due),
        provisional=row.provisional,
    )


def alert_state(row: AlertRow, tz: tzinfo | None = None) -> AlertState:
    """The state machine's view of a row; `tz`: the zone its refusals show times in."""
    return AlertState(
        state=State(row.state),
        department=row.department,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        late_claim=row.late_claim,
        extension_pending=row.extension_pending,
        extension_days=row.extension_days,
        deadlines=stored_deadlines(row, tz),
    )


def recompute(
    policy: DeadlinePolicy, row: AlertRow, changes: Mapping[str, Any], claim_due: datetime
) -> Deadlines:
    """The deadlines after `changes`; the claim deadline is the one given (it never follows
    severity, only a reroute restarts it)."""
    merged = dataclasses.replace(row, **{k: v for k, v in changes.items() if k in _ROW_FIELDS})
    d = compute_deadlines(
        policy,
        severity=merged.severity,
        detected_at=merged.detected_at,
        claimed_at=merged.claimed_at,
        verified_at=merged.verified_at,
        board=merged.board,
        legacy=merged.legacy,
        extension_days=merged.extension_days,
        raised_at=merged.raised_at,
    )
    return dataclasses.replace(d, claim=claim_due)


_ROW_FIELDS = frozenset(f.name for f in dataclasses.fields(AlertRow))


def overdue_steps(row: AlertRow, at: datetime) -> list[str]:
    """The steps whose deadline passed at `at` and that are still not done."""
    state = State(row.state)
    if state in TERMINAL:
        return []
    due: list[tuple[str, datetime | None, bool]] = [
        ("claim", row.claim_due, state is State.new),
        ("first_report", row.first_report_due, state is State.claimed),
        ("verification", row.verification_due, state in (State.claimed, State.assessed)),
        (
            "reply",
            row.reply_due,
            state is State.verified
            or (row.board and state in (State.new, State.claimed, State.assessed)),
        ),
        ("public_response", row.public_response_due, state is not State.responded),
    ]
    return [step for step, when, pending in due if pending and when is not None and at > when]


def raise_level(severity: str) -> Severity | None:
    levels = list(Severity)
    rank = Severity(severity).rank
    return levels[rank + 1] if rank + 1 < len(levels) else None


async def open_alert(
    tx: Tx,
    policy: DeadlinePolicy,
    *,
    story_id: int,
    department: str,
    severity: str,
    board: bool,
    detected_at: datetime,
    delivered_by: datetime | None = None,
) -> int | None:
    """The story's one alert, with its deadlines and its first audit record. `delivered_by`:
    the scheduled time of the duty patrol that found it, which the claim deadline counts from."""
    d = compute_deadlines(
        policy, severity=severity, detected_at=detected_at, board=board, delivered_by=delivered_by
    )
    alert_id = await tx.open_alert(
        {
            "story_id": story_id,
            "department": department,
            "state": State.new.value,
            "severity": severity,
            "board": board,
            "detected_at": detected_at,
            **deadline_columns(d),
        }
    )
    if alert_id is not None:
        await tx.add_events(
            [
                {
                    "alert_id": alert_id,
                    "at": detected_at,
                    "actor": SYSTEM,
                    "action": "open",
                    "from_state": State.new.value,
                    "to_state": State.new.value,
                    "data": {"department": department, "severity": severity},
                }
            ]
        )
    return alert_id


async def escalate(
    tx: Tx,
    policy: DeadlinePolicy,
    signals: Mapping[int, Sequence[tuple[str, str]]],
    *,
    at: datetime,
) -> list[int]:
    """Raise each story (and its alert) one level per new signal (Art. 7); each signal — spread,
    media, replies — raises a story once. The stories that became critical."""
    rows = await tx.alerts_for_stories(list(signals))
    fired: dict[int, set[str]] = {}
    for e in await tx.events_of([r.id for r in rows], _RAISE):
        fired.setdefault(e.alert_id, set()).add(str(e.data.get("signal")))
    critical: list[int] = []
    for row in rows:
        severity = row.severity
        events: list[dict[str, Any]] = []
        for signal, reason in signals[row.story_id]:
            if signal in fired.get(row.id, set()):
                continue
            higher = raise_level(severity)
            if higher is None:
                break
            events.append(
                {
                    "alert_id": row.id,
                    "at": at,
                    "actor": SYSTEM,
                    "action": _RAISE,
                    "from_state": row.state,
                    "to_state": row.state,
                    "note": reason,
                    "data": {"signal": signal, "from": severity, "to": higher.value},
                }
            )
            fired.setdefault(row.id, set()).add(signal)
            severity = higher.value
        if not events:
            continue
        changes = {"severity": severity, "raised_at": at}
        d = recompute(policy, row, changes, row.claim_due)
        if not await tx.change_alert(row.id, row.version, {**changes, **deadline_columns(d)}):
            continue  # raised by another process meanwhile: its events stand for it
        await tx.set_story_severity(row.story_id, severity)
        await tx.add_events(events)
        if severity == Severity.critical.value:
            critical.append(row.story_id)
    return critical
