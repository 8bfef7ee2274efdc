"""The workflow service: what the CLI (and later the web desk) calls; never SQL of its own.

Workflow(store, settings)
  list_alerts(department, state, overdue) · show(alert_id) · act(...) · sweep(at)
  add_user · set_password · users · verify_password
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sentinel.config.models import SentinelFile
from sentinel.errors import NotFound, SentinelError
from sentinel.store import AlertEventRow, AlertRow, PostView, Store, UserRow
from sentinel.workflow import passwords, regroup
from sentinel.workflow.access import (
    AlertPage,
    MetricPoint,
    act_for,
    alerts_for,
    evidence_for,
    page_for,
    show_for,
    source_counts,
    viewer,
    visible,
)
from sentinel.workflow.alerts import (
    SYSTEM,
    alert_state,
    build_policy,
    deadline_columns,
    overdue_steps,
    recompute,
)
from sentinel.workflow.charges import designated_away
from sentinel.workflow.deadlines import DeadlinePolicy
from sentinel.workflow.states import Action, ActionKind, Actor, Role, State, apply


class ConflictError(SentinelError):
    """The alert was changed by someone else meanwhile; reload it and try again."""


class UserError(SentinelError):
    """No such user, or a user that cannot be created."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertDetail:
    alert: AlertRow
    events: tuple[AlertEventRow, ...]
    posts: tuple[PostView, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepReport:
    designated: tuple[int, ...] = ()
    newly_overdue: tuple[tuple[int, str], ...] = ()  # (alert id, step)
    reminders: int = 0


# Values the state machine decides, copied onto the row after each action.
_STATE_FIELDS = (
    "state",
    "department",
    "claimed_by",
    "claimed_at",
    "late_claim",
    "extension_pending",
    "extension_days",
)


class Workflow:
    def __init__(
        self, store: Store, settings: SentinelFile, *, policy: DeadlinePolicy | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.policy = policy or build_policy(settings)

    # ------------------------------------------------------------------ reads

    async def list_alerts(
        self,
        *,
        department: str | None = None,
        state: str | None = None,
        overdue: bool = False,
    ) -> list[AlertRow]:
        return await self.store.alerts(department=department, state=state, overdue=overdue)

    async def show(self, alert_id: int) -> AlertDetail:
        row = await self.store.alert(alert_id)
        events = await self.store.alert_events([alert_id])
        posts = await self.store.story_posts(row.story_id)
        return AlertDetail(alert=row, events=tuple(events), posts=tuple(posts))

    # ---------------------------------------------------------------- actions

    async def act(
        self,
        alert_id: int,
        action: ActionKind | str,
        actor_login: str,
        *,
        at: datetime,
        note: str = "",
        link: str | None = None,
        target_department: str | None = None,
        days: int | None = None,
    ) -> AlertRow:
        """Apply one action; TransitionError when not allowed, ConflictError when the alert
        changed under us (nothing is written then)."""
        kind = ActionKind(action)
        actor = await self._actor(actor_login)
        row = await self.store.alert(alert_id)
        if target_department is not None and not any(
            d.id == target_department for d in self.settings.departments
        ):
            raise UserError(f"no department {target_department!r} in sentinel.yaml")
        new, event = apply(
            alert_state(row, self.policy.calendar.tz),  # refusals show local time
            Action(kind=kind, note=note, link=link, department=target_department, days=days),
            actor,
            at,
        )
        values: dict[str, Any] = {name: getattr(new, name) for name in _STATE_FIELDS}
        values["state"] = new.state.value
        values.update(_step_times(kind, at, link))
        claim_due = row.claim_due
        if kind is ActionKind.reroute:
            values.update(first_report_at=None)
            claim_due = self.policy.duty.claim_deadline(at)  # a fresh claim, in the new place
        d = recompute(self.policy, row, values, claim_due)
        values.update(deadline_columns(d))
        after = _merge(row, values)
        values["overdue"] = overdue_steps(after, at)
        async with self.store.transaction() as tx:
            if not await tx.change_alert(row.id, row.version, values):
                raise ConflictError(
                    f"alert {alert_id} was changed by someone else meanwhile; "
                    "reload it and try again"
                )
            await tx.add_events(
                [
                    {
                        "alert_id": row.id,
                        "at": event.at,
                        "actor": event.actor,
                        "action": event.action.value,
                        "from_state": event.from_state.value,
                        "to_state": event.to_state.value,
                        "note": event.note,
                        "link": event.link,
                        "data": event.data,
                    }
                ]
            )
            if kind is ActionKind.designate and new.department != row.department:
                await tx.enqueue_reminders([designated_away(row.story_id, row.department)], at=at)
        return await self.store.alert(alert_id)

    async def merge(
        self, a_id: int, b_id: int, actor_login: str, *, at: datetime, note: str = ""
    ) -> regroup.Merged:
        """Merge two alerts of one event (regroup.py): the earlier claim survives."""
        actor = await self._actor(actor_login)
        return await regroup.merge(self.store, actor, a_id, b_id, at=at, note=note)

    async def split(
        self,
        post_id: int,
        actor_login: str,
        *,
        at: datetime,
        department: str | None = None,
        note: str = "",
    ) -> AlertRow:
        """Split a post out of its story into a new alert with fresh deadlines (regroup.py)."""
        if department is not None and not any(
            d.id == department for d in self.settings.departments
        ):
            raise UserError(f"no department {department!r} in sentinel.yaml")
        actor = await self._actor(actor_login)
        return await regroup.split(
            self.store, self.policy, actor, post_id, at=at, department=department, note=note
        )

    async def _actor(self, login: str) -> Actor:
        if login == SYSTEM:
            return Actor(login=SYSTEM, role=Role.admin)
        found = await self.store.user(login)
        if found is None:
            raise UserError(f"no user {login!r} (create one with `sentinel users add`)")
        if found.disabled_at is not None:
            # the desk ends a disabled user's sessions; `--as` on the command line must not
            # be the way round that
            raise UserError(f"user {login!r} is disabled (`sentinel users enable {login}`)")
        return Actor(login=found.login, role=Role(found.role), department=found.department)

    # ------------------------------------------------------------------ sweep

    async def sweep(self, at: datetime) -> SweepReport:
        """Mark overdue steps, designate unclaimed alerts past their claim deadline to the lead
        office (late claims, charged to the department that held them; it gets a notice), queue
        one reminder per alert and overdue step. The same number of
        statements whatever the number of alerts; a repeat at the same time adds nothing."""
        lead = self.settings.lead_department
        system = Actor(login=SYSTEM, role=Role.admin)
        events: list[dict[str, Any]] = []
        async with self.store.transaction() as tx:
            rows = await tx.open_alerts()
            late = [r for r in rows if r.state == State.new.value and at > r.claim_due]
            planned: dict[int, dict[str, Any]] = {}
            for r in late:
                target = lead.id if lead is not None else r.department
                note = "claim deadline passed: designated by the lead office"
                new, ev = apply(
                    alert_state(r),
                    Action(kind=ActionKind.designate, department=target, note=note),
                    system,
                    at,
                )
                planned[r.id] = {"ev": ev, "department": new.department}
            designated: list[int] = []
            if planned and lead is not None:
                designated = await tx.claim_unclaimed(
                    list(planned),
                    {
                        "state": State.claimed.value,
                        "department": lead.id,
                        "claimed_by": None,
                        "claimed_at": at,
                        "late_claim": True,
                    },
                )
            elif planned:
                designated = await tx.claim_unclaimed(
                    list(planned),
                    {"state": State.claimed.value, "claimed_at": at, "late_claim": True},
                )
            done = set(designated)
            fields: list[dict[str, Any]] = []
            reminders: list[dict[str, Any]] = []
            newly: list[tuple[int, str]] = []
            for r in rows:
                if r.id in done:
                    if r.department != planned[r.id]["department"]:
                        reminders.append(designated_away(r.story_id, r.department))
                    ev = planned[r.id]["ev"]
                    events.append(_event_values(r.id, ev))
                    changes = {
                        "state": State.claimed.value,
                        "department": planned[r.id]["department"],
                        "claimed_by": None,
                        "claimed_at": at,
                        "late_claim": True,
                    }
                    d = recompute(self.policy, r, changes, r.claim_due)
                    r = _merge(r, {**changes, **deadline_columns(d)})
                    extra = deadline_columns(d)
                else:
                    extra = {}
                steps = overdue_steps(r, at)
                if r.id in done or steps != list(r.overdue):
                    fields.append({"b_id": r.id, "overdue": steps, **_all_deadlines(r, extra)})
                for step in steps:
                    if step not in r.overdue:
                        newly.append((r.id, step))
                        events.append(
                            {
                                "alert_id": r.id,
                                "at": at,
                                "actor": SYSTEM,
                                "action": "overdue",
                                "from_state": r.state,
                                "to_state": r.state,
                                "note": f"{step} deadline passed",
                                "data": {"step": step},
                            }
                        )
                    reminders.append(
                        {"story_id": r.story_id, "recipient": r.department, "step": step}
                    )
            await tx.set_alert_fields(fields)
            await tx.add_events(events)
            queued = await tx.enqueue_reminders(reminders, at=at)
        return SweepReport(
            designated=tuple(designated), newly_overdue=tuple(newly), reminders=queued
        )

    # ------------------------------------------------------------------ users

    async def add_user(
        self,
        login: str,
        *,
        role: str,
        department: str | None,
        name: str,
        password: str,
        at: datetime,
    ) -> None:
        role = Role(role).value
        if role == Role.officer.value and not department:
            raise UserError("an officer needs --department")
        if department is not None and not any(
            d.id == department for d in self.settings.departments
        ):
            raise UserError(f"no department {department!r} in sentinel.yaml")
        if len(password) < 8:
            raise UserError("a password needs at least 8 characters")
        ok = await self.store.add_user(
            login=login,
            name=name or login,
            role=role,
            department=department,
            password_hash=await passwords.hash_password(password),
            at=at,
        )
        if not ok:
            raise UserError(f"user {login!r} exists already")

    async def set_password(self, login: str, password: str) -> None:
        if len(password) < 8:
            raise UserError("a password needs at least 8 characters")
        if not await self.store.set_password(login, await passwords.hash_password(password)):
            raise UserError(f"no user {login!r}")

    async def users(self) -> list[UserRow]:
        return await self.store.users()

    async def verify_password(self, login: str, password: str) -> bool:
        found = await self.store.user(login)
        return await passwords.verify(found.password_hash if found else None, password)


def _step_times(kind: ActionKind, at: datetime, link: str | None) -> dict[str, Any]:
    if kind is ActionKind.first_report:
        return {"first_report_at": at}
    if kind is ActionKind.verify:
        return {"verified_at": at}
    if kind is ActionKind.reply:
        return {"replied_at": at, "reply_url": link}
    if kind in (ActionKind.close, ActionKind.dismiss):
        return {"closed_at": at}
    return {}


def _merge(row: AlertRow, values: dict[str, Any]) -> AlertRow:
    import dataclasses

    names = {f.name for f in dataclasses.fields(AlertRow)}
    return dataclasses.replace(row, **{k: v for k, v in values.items() if k in names})


def _all_deadlines(row: AlertRow, extra: dict[str, Any]) -> dict[str, Any]:
    # set_alert_fields wants the same keys on every row
    return {
        "first_report_due": row.first_report_due,
        "verification_due": row.verification_due,
        "extension_request_due": row.extension_request_due,
        "reply_due": row.reply_due,
        "public_response_due": row.public_response_due,
        "provisional": row.provisional,
        **{k: v for k, v in extra.items() if k != "claim_due"},
    }


def _event_values(alert_id: int, ev: Any) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "at": ev.at,
        "actor": ev.actor,
        "action": ev.action.value,
        "from_state": ev.from_state.value,
        "to_state": ev.to_state.value,
        "note": ev.note,
        "link": ev.link,
        "data": ev.data,
    }


__all__ = [
    "AlertDetail",
    "AlertPage",
    "ConflictError",
    "MetricPoint",
    "NotFound",
    "SweepReport",
    "UserError",
    "Workflow",
    "act_for",
    "alerts_for",
    "evidence_for",
    "page_for",
    "show_for",
    "source_counts",
    "viewer",
    "visible",
]
