"""The response workflow: calendar, duty patrols, deadlines and the alert state machine.

Pure: no database, no I/O; every function takes the time it acts at.
"""

from __future__ import annotations

from sentinel.workflow.calendar import ChineseWorkCalendar, WorkCalendar
from sentinel.workflow.deadlines import DeadlinePolicy, Deadlines, compute_deadlines
from sentinel.workflow.duty import DutySchedule
from sentinel.workflow.states import (
    Action,
    ActionKind,
    Actor,
    AlertState,
    Event,
    Role,
    State,
    TransitionError,
    apply,
)

__all__ = [
    "Action",
    "ActionKind",
    "Actor",
    "AlertState",
    "ChineseWorkCalendar",
    "DeadlinePolicy",
    "Deadlines",
    "DutySchedule",
    "Event",
    "Role",
    "State",
    "TransitionError",
    "WorkCalendar",
    "apply",
    "compute_deadlines",
]
