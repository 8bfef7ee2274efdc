"""The alert state machine: every legal transition, every illegal one refused, roles, audit."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sentinel.errors import SentinelError
from sentinel.workflow.deadlines import Deadlines
from sentinel.workflow.states import (
    Action,
    ActionKind,
    Actor,
    AlertState,
    Role,
    State,
    TransitionError,
    apply,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 9, 10, 0, tzinfo=TZ)
DEADLINES = Deadlines(
    claim=datetime(2026, 10, 9, 11, tzinfo=TZ),
    extension_request=datetime(2026, 10, 14, 10, tzinfo=TZ),
)

OFFICER = Actor(login="li", role=Role.officer, department="mg-zrzy")
STRANGER = Actor(login="wang", role=Role.officer, department="mg-jyj")
LEAD = Actor(login="zhao", role=Role.lead, department="mg-lead")
LEADER = Actor(login="chen", role=Role.leader)
ADMIN = Actor(login="root", role=Role.admin)

# written out here, not read from the module: the table DESIGN.md draws
LEGAL: dict[ActionKind, set[State]] = {
    ActionKind.claim: {State.new},
    ActionKind.designate: {State.new},
    ActionKind.first_report: {State.claimed},
    ActionKind.verify: {State.assessed},
    ActionKind.reply: {State.verified},
    ActionKind.close: {State.responded},
    ActionKind.dismiss: {State.new, State.claimed, State.assessed, State.verified, State.responded},
    ActionKind.reroute: {State.new, State.claimed, State.assessed},
    ActionKind.request_extension: {State.claimed, State.assessed},
    ActionKind.grant_extension: {State.claimed, State.assessed},
    ActionKind.refuse_extension: {State.claimed, State.assessed},
}

TARGET: dict[ActionKind, State | None] = {  # None: the state does not change
    ActionKind.claim: State.claimed,
    ActionKind.designate: State.claimed,
    ActionKind.first_report: State.assessed,
    ActionKind.verify: State.verified,
    ActionKind.reply: State.responded,
    ActionKind.close: State.closed,
    ActionKind.dismiss: State.dismissed,
    ActionKind.reroute: State.new,
    ActionKind.request_extension: None,
    ActionKind.grant_extension: None,
    ActionKind.refuse_extension: None,
}


def complete(kind: ActionKind) -> Action:
    """An action with everything it could need, so that only the state decides."""
    return Action(
        kind=kind,
        note="研判：属实，拟由自然资源局核实",
        link="https://www.mingguang.gov.cn/reply/1.html",
        department="mg-zjj",
        days=2,
    )


def alert(state: State, *, pending: bool = False) -> AlertState:
    return AlertState(
        state=state,
        department="mg-zrzy",
        extension_pending=2 if pending else None,
        deadlines=DEADLINES,
    )


def actor_for(kind: ActionKind) -> Actor:
    lead_only = {
        ActionKind.designate,
        ActionKind.reroute,
        ActionKind.grant_extension,
        ActionKind.refuse_extension,
    }
    return LEAD if kind in lead_only else OFFICER


LEGAL_CASES = [(state, kind) for kind, states in LEGAL.items() for state in states]
ILLEGAL_CASES = [
    (state, kind) for kind in ActionKind for state in State if state not in LEGAL[kind]
]


@pytest.mark.parametrize(("state", "kind"), LEGAL_CASES)
def test_every_legal_transition(state: State, kind: ActionKind) -> None:
    pending = kind in (ActionKind.grant_extension, ActionKind.refuse_extension)
    before = alert(state, pending=pending)
    after, event = apply(before, complete(kind), actor_for(kind), NOW)
    expected = TARGET[kind] or state
    assert after.state is expected
    assert (event.action, event.from_state, event.to_state) == (kind, state, expected)
    assert event.actor == actor_for(kind).login and event.at == NOW
    assert event.note == complete(kind).note and event.link == complete(kind).link


@pytest.mark.parametrize(("state", "kind"), ILLEGAL_CASES)
def test_every_illegal_transition_is_refused(state: State, kind: ActionKind) -> None:
    with pytest.raises(TransitionError) as caught:
        apply(alert(state, pending=True), complete(kind), actor_for(kind), NOW)
    message = str(caught.value)
    assert f"cannot {kind.value}" in message and f"state {state.value}" in message


def test_cases_cover_every_state_and_action() -> None:
    assert len(LEGAL_CASES) + len(ILLEGAL_CASES) == len(State) * len(ActionKind)
    assert isinstance(TransitionError("x"), SentinelError)


def test_the_whole_loop_leaves_a_complete_audit_trail() -> None:
    state = AlertState(department="mg-zrzy", deadlines=DEADLINES)
    steps = [
        (Action(kind=ActionKind.claim), OFFICER),
        (Action(kind=ActionKind.first_report, note="研判与处置建议"), OFFICER),
        (Action(kind=ActionKind.request_extension, note="需现场测量", days=3), OFFICER),
        (Action(kind=ActionKind.grant_extension), LEAD),
        (Action(kind=ActionKind.verify, note="核实调查报告"), OFFICER),
        (Action(kind=ActionKind.reply, link="https://weibo.com/mingguang/1"), OFFICER),
        (Action(kind=ActionKind.close), OFFICER),
    ]
    events = []
    for action, actor in steps:
        state, event = apply(state, action, actor, NOW)
        events.append(event)
    assert state.state is State.closed
    assert state.extension_days == 3  # the asked days, granted as asked
    assert [e.action for e in events] == [a.kind for a, _ in steps]
    assert all(e.from_state == prev.to_state for prev, e in itertools.pairwise(events))
    assert events[0].data == {"late": False, "department": "mg-zrzy"}
    assert events[3].data == {"days": 3, "asked": 3}
    assert events[5].link == "https://weibo.com/mingguang/1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].actor = "someone else"  # type: ignore[misc]


def test_a_claim_after_the_deadline_is_late() -> None:
    late_time = datetime(2026, 10, 9, 11, 1, tzinfo=TZ)
    after, event = apply(alert(State.new), Action(kind=ActionKind.claim), OFFICER, late_time)
    assert after.late_claim and event.data == {"late": True, "department": "mg-zrzy"}
    assert after.claimed_by == "li" and after.claimed_at == late_time


def test_designation_after_the_claim_deadline_is_a_late_claim_of_the_department_left() -> None:
    late_time = datetime(2026, 10, 9, 11, 1, tzinfo=TZ)
    action = Action(kind=ActionKind.designate, department="mg-zjj", note="逾期未认领")
    after, event = apply(alert(State.new), action, LEAD, late_time)
    assert after.state is State.claimed and after.late_claim
    assert after.department == "mg-zjj" and after.claimed_by is None
    assert event.data == {"late": True, "department": "mg-zjj", "from_department": "mg-zrzy"}
    # without a target it stays with the department it was routed to
    kept, _ = apply(alert(State.new), Action(kind=ActionKind.designate), LEAD, late_time)
    assert kept.department == "mg-zrzy" and kept.late_claim


def test_designation_before_the_claim_deadline_is_not_late() -> None:
    action = Action(kind=ActionKind.designate, department="mg-zjj", note="多部门，指定住建局")
    after, event = apply(alert(State.new), action, LEAD, NOW)
    assert after.state is State.claimed and not after.late_claim
    assert event.data == {"late": False, "department": "mg-zjj", "from_department": "mg-zrzy"}


def test_reroute_sends_the_alert_back_to_new_for_the_other_department() -> None:
    claimed = dataclasses.replace(
        alert(State.assessed), claimed_by="li", claimed_at=NOW, late_claim=True
    )
    action = Action(kind=ActionKind.reroute, department="mg-zjj", note="属住建局职责")
    after, event = apply(claimed, action, LEAD, NOW)
    assert after == AlertState(department="mg-zjj")
    assert event.data == {"department": "mg-zjj", "from_department": "mg-zrzy"}
    for bad, why in ((None, "target department"), ("mg-zrzy", "already belongs")):
        with pytest.raises(TransitionError, match=why):
            apply(claimed, Action(kind=ActionKind.reroute, department=bad), LEAD, NOW)


def test_reply_needs_a_web_address() -> None:
    for link in (None, "", "ftp://example.org/x", "not a url", "https://"):
        with pytest.raises(TransitionError, match="URL"):
            apply(alert(State.verified), Action(kind=ActionKind.reply, link=link), OFFICER, NOW)


def test_reports_and_dismissal_need_their_text() -> None:
    for state, kind, why in (
        (State.claimed, ActionKind.first_report, "first report"),
        (State.assessed, ActionKind.verify, "verification report"),
        (State.new, ActionKind.dismiss, "reason"),
    ):
        with pytest.raises(TransitionError, match=why):
            apply(alert(state), Action(kind=kind, note="  "), OFFICER, NOW)


def test_extension_rules() -> None:
    ask = Action(kind=ActionKind.request_extension, note="需要补充材料", days=2)
    asked, event = apply(alert(State.claimed), ask, OFFICER, NOW)
    assert asked.extension_pending == 2 and event.data == {"days": 2}
    with pytest.raises(TransitionError, match="already waiting"):
        apply(asked, ask, OFFICER, NOW)
    # the lead office may grant fewer days than asked
    granted, event = apply(asked, Action(kind=ActionKind.grant_extension, days=1), LEAD, NOW)
    assert granted.extension_days == 1 and granted.extension_pending is None
    assert event.data == {"days": 1, "asked": 2}
    refused, event = apply(asked, Action(kind=ActionKind.refuse_extension), LEAD, NOW)
    assert refused.extension_pending is None and refused.extension_days == 0
    for kind in (ActionKind.grant_extension, ActionKind.refuse_extension):
        with pytest.raises(TransitionError, match="no extension request"):
            apply(alert(State.claimed), Action(kind=kind), LEAD, NOW)
    # the window closes 3 working days after the claim
    too_late = datetime(2026, 10, 14, 10, 1, tzinfo=TZ)
    with pytest.raises(TransitionError, match="window"):
        apply(alert(State.claimed), ask, OFFICER, too_late)
    no_window = dataclasses.replace(alert(State.claimed), deadlines=None)
    with pytest.raises(TransitionError, match="window"):
        apply(no_window, ask, OFFICER, NOW)
    for bad in (Action(kind=ActionKind.request_extension, note="x", days=0),
                Action(kind=ActionKind.request_extension, note="", days=2)):  # fmt: skip
        with pytest.raises(TransitionError):
            apply(alert(State.claimed), bad, OFFICER, NOW)
    # verifying ends a pending request: the deadline it was about is met
    verified, _ = apply(
        alert(State.assessed, pending=True),
        Action(kind=ActionKind.verify, note="报告"),
        OFFICER,
        NOW,
    )
    assert verified.extension_pending is None


@pytest.mark.parametrize("kind", list(ActionKind))
def test_a_leader_reads_only(kind: ActionKind) -> None:
    state = next(iter(LEGAL[kind]))
    with pytest.raises(TransitionError, match="read-only"):
        apply(alert(state, pending=True), complete(kind), LEADER, NOW)


@pytest.mark.parametrize("kind", [k for k in ActionKind if actor_for(k) is OFFICER])
def test_an_officer_acts_only_in_their_own_department(kind: ActionKind) -> None:
    state = next(iter(LEGAL[kind]))
    with pytest.raises(TransitionError, match="mg-jyj"):
        apply(alert(state, pending=True), complete(kind), STRANGER, NOW)


@pytest.mark.parametrize(
    "kind",
    [
        ActionKind.designate,
        ActionKind.reroute,
        ActionKind.grant_extension,
        ActionKind.refuse_extension,
    ],
)
def test_lead_office_powers(kind: ActionKind) -> None:
    state = next(iter(LEGAL[kind]))
    with pytest.raises(TransitionError, match="only the lead office"):
        apply(alert(state, pending=True), complete(kind), OFFICER, NOW)
    for actor in (LEAD, ADMIN):
        apply(alert(state, pending=True), complete(kind), actor, NOW)


def test_the_lead_office_may_act_on_any_department() -> None:
    after, event = apply(alert(State.new), Action(kind=ActionKind.claim), LEAD, NOW)
    assert after.claimed_by == "zhao" and event.actor == "zhao"


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        apply(alert(State.new), Action(kind=ActionKind.claim), OFFICER, datetime(2026, 10, 9))
