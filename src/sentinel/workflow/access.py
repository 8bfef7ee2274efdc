"""What a signed-in person may see and do: every read and action of the web desk (and its
JSON API) takes the login of the person asking, and an officer never learns that another
department's alert exists (NotFound). Built on the Workflow (service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sentinel.errors import NotFound
from sentinel.store import AlertRow, Store
from sentinel.workflow.states import ActionKind, Actor, Role

if TYPE_CHECKING:
    from sentinel.workflow.service import AlertDetail, Workflow


@dataclass(frozen=True, kw_only=True, slots=True)
class MetricPoint:
    post_id: int
    at: datetime
    replies: int | None
    views: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertPage:
    """One alert as its page shows it: posts, their counts over time, words, evidence."""

    detail: AlertDetail
    words: tuple[str, ...]
    metrics: tuple[MetricPoint, ...]
    evidence: dict[int, str]  # post id -> evidence hash (only where the store can say)


def visible(actor: Actor, row: AlertRow) -> bool:
    """Officers see their own department's alerts; lead office, leaders and admins see all."""
    return actor.role is not Role.officer or actor.department == row.department


async def viewer(workflow: Workflow, login: str) -> Actor:
    """The actor behind a signed-in login (UserError if the user is gone)."""
    return await workflow._actor(login)


async def alerts_for(
    workflow: Workflow,
    login: str,
    *,
    department: str | None = None,
    state: str | None = None,
    overdue: bool = False,
    open_only: bool = False,
) -> list[AlertRow]:
    actor = await viewer(workflow, login)
    if actor.role is Role.officer:
        if department not in (None, actor.department):
            return []
        department = actor.department
    rows = await workflow.store.alerts(
        department=department, state=state, overdue=overdue, open_only=open_only
    )
    return [r for r in rows if visible(actor, r)]


async def show_for(workflow: Workflow, login: str, alert_id: int) -> AlertDetail:
    actor = await viewer(workflow, login)
    row = await workflow.store.alert(alert_id)
    if not visible(actor, row):
        raise NotFound(f"no alert {alert_id}")
    return await workflow.show(alert_id)


async def page_for(workflow: Workflow, login: str, alert_id: int) -> AlertPage:
    detail = await show_for(workflow, login, alert_id)
    row = detail.alert
    words: tuple[str, ...] = ()
    for story in await workflow.store.stories(since=row.detected_at):
        if story.id == row.story_id:
            words = story.words
    ids = [p.id for p in detail.posts]
    return AlertPage(
        detail=detail,
        words=words,
        metrics=tuple(await _metrics(workflow.store, ids)),
        evidence=await _evidence(workflow.store, ids),
    )


async def act_for(
    workflow: Workflow,
    login: str,
    alert_id: int,
    action: ActionKind | str,
    *,
    at: datetime,
    note: str = "",
    link: str | None = None,
    target_department: str | None = None,
    days: int | None = None,
) -> AlertRow:
    """act(), after the same visibility check as show_for: another department's alert is
    NotFound, never a TransitionError that would confirm it exists."""
    await show_for(workflow, login, alert_id)
    return await workflow.act(
        alert_id,
        action,
        login,
        at=at,
        note=note,
        link=link,
        target_department=target_department,
        days=days,
    )


async def source_counts(workflow: Workflow, rows: list[AlertRow]) -> dict[int, int]:
    """alert id -> how many distinct sources carry its story."""
    if not rows:
        return {}
    since = min(r.detected_at for r in rows)
    sources = {
        s.id: {p.source_id for p in s.posts} for s in await workflow.store.stories(since=since)
    }
    return {r.id: len(sources.get(r.story_id, ())) for r in rows}


async def evidence_for(workflow: Workflow, login: str, digest: str) -> bytes:
    """The archived page; an officer only gets pages of their own department's alerts."""
    actor = await viewer(workflow, login)
    # One query, whatever the department's number of alerts.
    if actor.role is Role.officer and actor.department not in (
        await workflow.store.evidence_departments(digest)
    ):
        raise NotFound(f"no evidence {digest}")
    return await workflow.store.evidence(digest)


async def _metrics(store: Store, post_ids: list[int]) -> list[MetricPoint]:
    if not post_ids:
        return []
    return [
        MetricPoint(post_id=p, at=at, replies=r, views=v)
        for p, at, r, v in await store.post_metrics(post_ids)
    ]


async def _evidence(store: Store, post_ids: list[int]) -> dict[int, str]:
    if not post_ids:
        return {}
    return await store.post_evidence(post_ids)
