"""The operators' view of worker mode: /operator/workers (HTML) and /api/workers (JSON), the
same as `sentinel workers status`. Only when `workers.enabled`: otherwise there is no queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from sentinel.web.desk import Who, api_user, desk_of, page_user, require
from sentinel.web.pages import render
from sentinel.workers.status import status_data, status_lines
from sentinel.workflow.states import Role

router = APIRouter()


async def _status(request: Request) -> dict[str, Any]:
    desk = desk_of(request)
    w = desk.cfg.settings.workers
    if not w.enabled:
        raise HTTPException(404, "worker mode is off (workers.enabled in sentinel.yaml)")
    # the workers should run what the scheduler beside this desk runs (it reloads on edits)
    running = desk.health()["config_digest"] if desk.health else desk.cfg.digest
    return await status_data(desk.store, stall_timeout=w.stall_timeout, config_digest=running)


@router.get("/operator/workers", response_class=HTMLResponse)
async def workers_page(request: Request, who: Annotated[Who, Depends(page_user)]) -> Response:
    require(who, Role.lead, Role.admin)
    data = await _status(request)
    return render(request, "workers.html", who, status=200, data=data, lines=status_lines(data))


@router.get("/api/workers")
async def workers_api(request: Request, who: Annotated[Who, Depends(api_user)]) -> dict[str, Any]:
    require(who, Role.lead, Role.admin)
    return await _status(request)
