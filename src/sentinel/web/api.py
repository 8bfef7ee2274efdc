"""The JSON API under /api/: what the pages do, for scripts (Bearer token) and the pages' JS.

Same service calls and permission checks as the pages; a cookie session must send its CSRF
token in the X-CSRF-Token header on every POST.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from sentinel.reports import labels
from sentinel.store import AlertEventRow, AlertRow, PostView
from sentinel.web import present
from sentinel.web.desk import NOTE_LIMIT, AlertId, Who, api_user, check_csrf, desk_of, require
from sentinel.web.operator import calendar_warnings, daemon_health, source_events, source_health
from sentinel.web.queue import QueuePage, QueueQuery, api_headers, queue_page, queue_query
from sentinel.web.reports import _period, assessment_rows, report_day, trend_data
from sentinel.workflow import service
from sentinel.workflow.reports import daily
from sentinel.workflow.states import ActionKind, Role

router = APIRouter(prefix="/api", tags=["api"])
ApiUser = Annotated[Who, Depends(api_user)]
QueueParams = Annotated[QueueQuery, Depends(queue_query)]
Csrf = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]


class ActionIn(BaseModel):
    action: ActionKind
    note: str = Field("", max_length=NOTE_LIMIT, description="report text; for dismiss the reason")
    link: str | None = Field(None, max_length=2000, description="reply: URL of the public reply")
    department: str | None = Field(None, max_length=100, description="reroute/designate target")
    days: int | None = Field(None, ge=1, le=365, description="extension days")


class Me(BaseModel):
    login: str
    name: str
    role: str
    department: str | None


class Token(BaseModel):
    token: str
    kind: Literal["Bearer"] = "Bearer"


def alert_json(a: AlertRow) -> dict[str, Any]:
    out = dataclasses.asdict(a)
    nxt = present.next_deadline(a)
    out["next_deadline"] = {"step": nxt[0], "due": nxt[1]} if nxt else None
    return out


def _event(e: AlertEventRow) -> dict[str, Any]:
    return dataclasses.asdict(e)


def _post(p: PostView, evidence: dict[int, str]) -> dict[str, Any]:
    out = dataclasses.asdict(p)
    out["evidence"] = f"/evidence/{evidence[p.id]}" if p.id in evidence else None
    return out


@router.get("/me", response_model=Me)
async def me(who: ApiUser) -> Me:
    return Me(login=who.login, name=who.name, role=who.role.value, department=who.actor.department)


@router.post("/tokens", response_model=Token)
async def token(request: Request, who: ApiUser, x_csrf_token: Csrf = None) -> Token:
    """A token for scripts: `Authorization: Bearer …`; changing the password revokes it."""
    check_csrf(who, x_csrf_token)
    user = await desk_of(request).store.user(who.login)
    if user is None:
        raise HTTPException(401, "用户不存在")
    return Token(token=desk_of(request).signer.api_token(user))


@router.get("/alerts")
async def alerts(
    request: Request,
    who: ApiUser,
    state: Annotated[str | None, Query(max_length=20)] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool = False,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """Alerts this user may see: an officer only their own department's."""
    rows = await service.alerts_for(
        desk_of(request).workflow, who.login, department=department, state=state,
        overdue=overdue, open_only=open_only,
    )  # fmt: skip
    return [alert_json(r) for r in rows]


def _listed(page: QueuePage) -> list[dict[str, Any]]:
    return [
        {**alert_json(i["row"]), "sources": i["sources"], "late": i["late"]} for i in page.items
    ]


@router.get("/queue")
async def queue(
    request: Request, response: Response, who: ApiUser, query: QueueParams
) -> list[dict[str, Any]]:
    """Open alerts, most urgent first, with sources count and next deadline (my queue), a page
    at a time (`page`, `per_page`; X-Total-Count and Link headers), filtered like the page."""
    page = await queue_page(desk_of(request), who, query)
    response.headers.update(api_headers(page, "/api/queue"))
    return _listed(page)


@router.get("/board")
async def board(
    request: Request, response: Response, who: ApiUser, query: QueueParams
) -> list[dict[str, Any]]:
    """Every department's open alerts (lead office, leaders): unclaimed and overdue first; paged
    and filtered as /api/queue."""
    require(who, Role.lead, Role.admin, Role.leader)
    page = await queue_page(desk_of(request), who, query, board=True)
    response.headers.update(api_headers(page, "/api/board"))
    return _listed(page)


@router.get("/alerts/{alert_id}")
async def alert(request: Request, alert_id: AlertId, who: ApiUser) -> dict[str, Any]:
    page = await service.page_for(desk_of(request).workflow, who.login, alert_id)
    return {
        "alert": alert_json(page.detail.alert),
        "events": [_event(e) for e in page.detail.events],
        "posts": [_post(p, page.evidence) for p in page.detail.posts],
        "words": list(page.words),
        "metrics": [dataclasses.asdict(m) for m in page.metrics],
    }


@router.post("/alerts/{alert_id}/actions")
async def act(
    request: Request, alert_id: AlertId, body: ActionIn, who: ApiUser, x_csrf_token: Csrf = None
) -> dict[str, Any]:
    """Claim, report, verify, reply, close, dismiss, request/grant/refuse an extension,
    designate, reroute: 409 with the reason when the workflow does not allow it."""
    check_csrf(who, x_csrf_token)
    desk = desk_of(request)
    row = await service.act_for(
        desk.workflow, who.login, alert_id, body.action, at=desk.now(), note=body.note,
        link=body.link, target_department=body.department, days=body.days,
    )  # fmt: skip
    return alert_json(row)


@router.get("/reports/daily")
async def report_daily(
    request: Request, who: ApiUser, day: Annotated[date | None, Query(alias="date")] = None
) -> dict[str, Any]:
    require(who, Role.lead, Role.admin, Role.leader)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    return await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())


@router.get("/reports/assessment")
async def report_assessment(
    request: Request,
    who: ApiUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    require(who, Role.lead, Role.admin, Role.leader)
    desk = desk_of(request)
    lo, hi = _period(desk, start, end)
    rows = await assessment_rows(desk, lo, hi)
    return [{**r, "on_time_rate": labels.on_time_rate(r)} for r in rows]


@router.get("/reports/trends")
async def report_trends(
    request: Request,
    who: ApiUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """New stories per topic per day over the period (default: the last 30 days)."""
    require(who, Role.lead, Role.admin, Role.leader)
    desk = desk_of(request)
    lo, hi = _period(desk, start, end)
    return await trend_data(desk, lo, hi)


@router.get("/sources")
async def sources(request: Request, who: ApiUser) -> dict[str, Any]:
    """Source health, recent health events (newest first), calendar warnings, and the daemon's
    state (null when the desk runs without it) — the operators' page."""
    require(who, Role.lead, Role.admin)
    desk = desk_of(request)
    health = await source_health(desk)
    return {
        "sources": [
            {**dataclasses.asdict(h["s"]), "selectors_stale": h["selectors_stale"]} for h in health
        ],
        "events": [dataclasses.asdict(e) for e in await source_events(desk)],
        "calendar_warnings": calendar_warnings(desk),
        "daemon": daemon_health(desk),
    }
