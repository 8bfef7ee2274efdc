"""Who answers for a claim: the department that held the alert when it was claimed, or when the
claim deadline passed and the lead office (or the sweep) designated it away (docs/workflow.md).

Art. 6 records designated claims and counts them in the assessment; the department that failed
to claim is the one assessed, not the one the alert was designated to. The audit trail says who
held the alert at each claim: a claim event names its department, a designation the department
it was taken from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sentinel.store import AlertEventRow, AlertRow

# The outbox step of the notice to a department whose alert was designated away from it.
DESIGNATED = "designated"


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    department: str  # the department assessed for it
    late: bool
    designated: bool


def designated_away(story_id: int, department: str) -> dict[str, Any]:
    """The outbox row (for Tx.enqueue_reminders) telling `department` it lost the alert."""
    return {"story_id": story_id, "recipient": department, "step": DESIGNATED}


def claims_of(row: AlertRow, events: Iterable[AlertEventRow]) -> list[Claim]:
    """Each claim of the alert, oldest first (a reroute makes a second one possible)."""
    out: list[Claim] = []
    for e in events:
        if e.alert_id != row.id or e.action not in ("claim", "designate"):
            continue
        late = bool(e.data.get("late"))
        if e.action == "claim":
            # events written before claims named their department: the alert's own
            department = str(e.data.get("department") or row.department)
        elif late:
            department = str(e.data.get("from_department") or row.department)
        else:  # designated in time: the department named holds it from then on
            department = str(e.data.get("department") or row.department)
        out.append(Claim(department=department, late=late, designated=e.action == "designate"))
    return out


def claim_department(row: AlertRow, claims: list[Claim]) -> str:
    """The department assessed for the alert's (last) claim; its own while still unclaimed."""
    return claims[-1].department if claims else row.department
