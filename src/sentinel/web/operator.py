"""The operators' page: sources' health, their recent events, the daemon, calendar warnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from sentinel.web.desk import Desk, Who, desk_of, page_user, require
from sentinel.web.rendering import render
from sentinel.workflow.states import Role

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]


async def source_health(desk: Desk) -> list[dict[str, Any]]:
    out = []
    for s in await desk.store.sources_status():
        out.append(
            {
                "s": s,
                "selectors_stale": s.health == "broken_layout"
                or (s.last_status == 200 and s.items_last == 0),
                "failing": s.consecutive_failures > 0 or s.health in ("unreachable", "blocked"),
            }
        )
    return out


# how far back the operators' page lists sources' health raised and cleared
EVENTS_WINDOW = timedelta(days=14)
EVENTS_SHOWN = 100


async def source_events(desk: Desk) -> list[Any]:
    events = await desk.store.source_events(since=desk.now() - EVENTS_WINDOW)
    return list(reversed(events))[:EVENTS_SHOWN]  # newest first


def calendar_warnings(desk: Desk) -> list[str]:
    return desk.workflow.policy.calendar.warnings(desk.now().astimezone(desk.tz).date())


def daemon_health(desk: Desk) -> dict[str, Any] | None:
    """The running daemon's state, when the desk runs inside it; None under `sentinel web`."""
    return dict(desk.health()) if desk.health is not None else None


@router.get("/operator", response_class=HTMLResponse)
async def operator(request: Request, who: PageUser) -> Response:
    require(who, Role.lead, Role.admin)
    desk = desk_of(request)
    return render(
        request, "operator.html", who, sources=await source_health(desk),
        warnings=calendar_warnings(desk), daemon=daemon_health(desk),
        events=await source_events(desk),
    )  # fmt: skip
