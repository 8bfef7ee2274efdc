"""The alert state machine (docs/workflow.md), pure: state + action + actor + time → new
state + event.

    new ──claim──▶ claimed ──first_report──▶ assessed ──verify──▶ verified ──reply──▶ responded
     │  ▲            │  ▲                       │                                       │
     │  └─reroute────┘  └ request/grant/refuse_extension (claimed, assessed)           close
     └─designate──▶ claimed (late)                                                      ▼
    new|claimed|assessed|verified|responded ──dismiss (reason)──▶ dismissed            closed

- designate: the lead office names the owner of an unclaimed alert; it lands in `claimed`. Made
  after the claim deadline it is a late claim (`late_claim=True`), charged to the department
  designated away from (Art. 6: designated claims are recorded and count in the assessment); made
  before it, it is not late.
- reroute: the lead office sends a not-yet-verified alert to another department; it goes back
  to `new` there, unclaimed, with a fresh claim.
- request_extension keeps the state; it is allowed in claimed/assessed before the request window
  closes (deadlines.extension_request) and while no other request is pending.

Roles: officer — alerts of their own department; lead (lead office) — every alert, and the only
one (with admin) who may designate, reroute, grant or refuse; leader — read only; admin — as lead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sentinel.errors import SentinelError
from sentinel.workflow.calendar import require_aware
from sentinel.workflow.deadlines import Deadlines


class TransitionError(SentinelError):
    """This action is not allowed on this alert."""


class State(StrEnum):
    new = "new"
    claimed = "claimed"
    assessed = "assessed"
    verified = "verified"
    responded = "responded"
    closed = "closed"
    dismissed = "dismissed"
    merged = "merged"  # folded into another alert of the same event by the lead office


TERMINAL = frozenset({State.closed, State.dismissed, State.merged})


class ActionKind(StrEnum):
    claim = "claim"
    first_report = "first_report"
    verify = "verify"
    reply = "reply"
    close = "close"
    dismiss = "dismiss"
    reroute = "reroute"
    designate = "designate"
    request_extension = "request_extension"
    grant_extension = "grant_extension"
    refuse_extension = "refuse_extension"


class Role(StrEnum):
    officer = "officer"
    lead = "lead"
    leader = "leader"
    admin = "admin"


@dataclass(frozen=True, kw_only=True)
class Actor:
    login: str
    role: Role
    department: str | None = None  # an officer's own department


@dataclass(frozen=True, kw_only=True)
class Action:
    kind: ActionKind
    note: str = ""  # the report text; for dismiss, the reason
    link: str | None = None  # reply: URL of the public reply
    department: str | None = None  # reroute/designate: the target department
    days: int | None = None  # request/grant_extension: how many days


@dataclass(frozen=True, kw_only=True)
class AlertState:
    state: State = State.new
    department: str
    claimed_by: str | None = None  # None after a designation: the department owns it
    claimed_at: datetime | None = None
    late_claim: bool = False
    extension_pending: int | None = None  # days asked, awaiting the lead office
    extension_days: int = 0  # granted in all
    deadlines: Deadlines | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    """One audit record; never updated once stored."""

    action: ActionKind
    actor: str
    at: datetime
    from_state: State
    to_state: State
    note: str = ""
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


_Step = Callable[[AlertState, Action, Actor, datetime], tuple[AlertState, dict[str, Any]]]

# action -> states it may start from; the target state is decided in _apply_*
_FROM: dict[ActionKind, frozenset[State]] = {
    ActionKind.claim: frozenset({State.new}),
    ActionKind.designate: frozenset({State.new}),
    ActionKind.first_report: frozenset({State.claimed}),
    ActionKind.verify: frozenset({State.assessed}),
    ActionKind.reply: frozenset({State.verified}),
    ActionKind.close: frozenset({State.responded}),
    ActionKind.dismiss: frozenset(set(State) - TERMINAL),
    ActionKind.reroute: frozenset({State.new, State.claimed, State.assessed}),
    ActionKind.request_extension: frozenset({State.claimed, State.assessed}),
    ActionKind.grant_extension: frozenset({State.claimed, State.assessed}),
    ActionKind.refuse_extension: frozenset({State.claimed, State.assessed}),
}

_LEAD_ONLY = frozenset(
    {
        ActionKind.designate,
        ActionKind.reroute,
        ActionKind.grant_extension,
        ActionKind.refuse_extension,
    }
)


def apply(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, Event]:
    """The alert after `action` by `actor` at `at`, and the audit event; TransitionError if not."""
    require_aware(at, "at")
    kind = action.kind
    _check_actor(alert, action, actor)
    allowed = _FROM[kind]
    if alert.state not in allowed:
        raise _refuse(
            alert,
            kind,
            f"only from {', '.join(s.value for s in State if s in allowed)}",
        )
    new, data = _STEPS[kind](alert, action, actor, at)
    event = Event(
        action=kind,
        actor=actor.login,
        at=at,
        from_state=alert.state,
        to_state=new.state,
        note=action.note,
        link=action.link,
        data=data,
    )
    return new, event


def shown(when: datetime) -> str:
    """A time in a refusal, in its own zone, named (the caller passes local deadlines)."""
    return f"{when:%Y-%m-%d %H:%M} {when.tzinfo}"


def _refuse(alert: AlertState, kind: ActionKind, why: str) -> TransitionError:
    return TransitionError(f"cannot {kind.value} an alert in state {alert.state.value}: {why}")


def _check_actor(alert: AlertState, action: Action, actor: Actor) -> None:
    kind = action.kind
    if actor.role is Role.leader:
        raise _refuse(alert, kind, f"{actor.login} is a leader, with read-only access")
    if kind in _LEAD_ONLY and actor.role not in (Role.lead, Role.admin):
        raise _refuse(alert, kind, f"only the lead office may {kind.value}; {actor.login} may not")
    if actor.role is Role.officer and actor.department != alert.department:
        raise _refuse(
            alert,
            kind,
            f"{actor.login} is an officer of {actor.department or 'no department'}, "
            f"the alert belongs to {alert.department}",
        )


def _claim(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    late = _past_claim_deadline(alert, at)
    new = dataclasses.replace(
        alert, state=State.claimed, claimed_by=actor.login, claimed_at=at, late_claim=late
    )
    # the department is kept: a late claim is charged to the one that held the alert then
    return new, {"late": late, "department": alert.department}


def _past_claim_deadline(alert: AlertState, at: datetime) -> bool:
    return alert.deadlines is not None and at > alert.deadlines.claim


def _designate(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    target = action.department or alert.department
    late = _past_claim_deadline(alert, at)
    new = dataclasses.replace(
        alert,
        state=State.claimed,
        department=target,
        claimed_by=None,
        claimed_at=at,
        late_claim=late,
    )
    return new, {"late": late, "department": target, "from_department": alert.department}


def _report(text: str) -> _Step:
    def step(
        alert: AlertState, action: Action, actor: Actor, at: datetime
    ) -> tuple[AlertState, dict[str, Any]]:
        if not action.note.strip():
            raise _refuse(alert, action.kind, f"the {text} needs its text (note)")
        if action.kind is ActionKind.first_report:
            return dataclasses.replace(alert, state=State.assessed), {}
        # once verified, a request about the verification deadline is moot
        return dataclasses.replace(alert, state=State.verified, extension_pending=None), {}

    return step


def _reply(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    parts = urlsplit(action.link or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse(
            alert, action.kind, f"needs the http(s) URL of the public reply, got {action.link!r}"
        )
    return dataclasses.replace(alert, state=State.responded), {}


def _close(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    return dataclasses.replace(alert, state=State.closed), {}


def _dismiss(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    if not action.note.strip():
        raise _refuse(alert, action.kind, "a reason is required (note)")
    return dataclasses.replace(alert, state=State.dismissed, extension_pending=None), {}


def _reroute(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    target = action.department
    if not target:
        raise _refuse(alert, action.kind, "needs the target department")
    if target == alert.department:
        raise _refuse(alert, action.kind, f"it already belongs to {target}")
    new = AlertState(department=target)  # unclaimed again; deadlines are recomputed by the caller
    return new, {"department": target, "from_department": alert.department}


def _request_extension(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    if action.days is None or action.days < 1:
        raise _refuse(alert, action.kind, "needs the number of days asked (at least 1)")
    if alert.extension_pending is not None:
        raise _refuse(alert, action.kind, "a request is already waiting for the lead office")
    window = alert.deadlines.extension_request if alert.deadlines else None
    if window is None:
        raise _refuse(alert, action.kind, "no request window is known for this alert")
    if at > window:
        raise _refuse(
            alert,
            action.kind,
            f"the window to ask closed at {shown(window)}",
        )
    if not action.note.strip():
        raise _refuse(alert, action.kind, "a written request is required (note)")
    return dataclasses.replace(alert, extension_pending=action.days), {"days": action.days}


def _grant_extension(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    if alert.extension_pending is None:
        raise _refuse(alert, action.kind, "no extension request is pending")
    days = alert.extension_pending if action.days is None else action.days
    if days < 1:
        raise _refuse(alert, action.kind, f"must grant at least 1 day, got {days}")
    new = dataclasses.replace(
        alert, extension_pending=None, extension_days=alert.extension_days + days
    )
    return new, {"days": days, "asked": alert.extension_pending}


def _refuse_extension(
    alert: AlertState, action: Action, actor: Actor, at: datetime
) -> tuple[AlertState, dict[str, Any]]:
    if alert.extension_pending is None:
        raise _refuse(alert, action.kind, "no extension request is pending")
    return dataclasses.replace(alert, extension_pending=None), {"asked": alert.extension_pending}


_STEPS: dict[ActionKind, _Step] = {
    ActionKind.claim: _claim,
    ActionKind.designate: _designate,
    ActionKind.first_report: _report("first report"),
    ActionKind.verify: _report("verification report"),
    ActionKind.reply: _reply,
    ActionKind.close: _close,
    ActionKind.dismiss: _dismiss,
    ActionKind.reroute: _reroute,
    ActionKind.request_extension: _request_extension,
    ActionKind.grant_extension: _grant_extension,
    ActionKind.refuse_extension: _refuse_extension,
}
