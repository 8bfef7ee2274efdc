"""For machines, without sign-in: /healthz (alive), /readyz (ready to work), /metrics.

/readyz answers 503 with the reasons when the database does not answer, when the daemon's
last tick is too old (it is stuck, or its ticks keep failing), or when fewer scouts run than
`http.scouts` asks for. Under `sentinel web` (no daemon) only the database is checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sentinel.errors import StoreError
from sentinel.metrics import CONTENT_TYPE
from sentinel.store import gauges
from sentinel.web.desk import desk_of

router = APIRouter(include_in_schema=False)

# A tick may run long (a duty patrol waiting on slow sites), so "recent" is generous.
STALE_TICKS = 5
STALE_AT_LEAST = timedelta(minutes=15)


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    desk = desk_of(request)
    problems: list[str] = []
    try:
        await gauges.reachable(desk.store)
    except StoreError as e:
        problems.append(f"database: {e}")
    if desk.health is not None:
        problems += daemon_problems(desk.health(), desk.now())
    body: dict[str, Any] = {"status": "not ready" if problems else "ready", "problems": problems}
    return JSONResponse(body, status_code=503 if problems else 200)


def daemon_problems(health: dict[str, Any], now: datetime) -> list[str]:
    problems = []
    tick = timedelta(seconds=float(health.get("tick_seconds") or 60))
    stale = max(STALE_TICKS * tick, STALE_AT_LEAST)
    last = health.get("last_tick_at") or health.get("started_at")
    if last is not None and now - datetime.fromisoformat(last) > stale:
        what = "last tick" if health.get("last_tick_at") else "no tick since the start"
        problems.append(f"{what} at {last}, more than {stale} ago")
    scouts = int(health.get("scouts") or 0)
    if scouts and health.get("ticks") and int(health.get("scouts_running") or 0) < scouts:
        problems.append(f"scouts: {health.get('scouts_running')} of {scouts} running")
    return problems


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    desk = desk_of(request)
    desk.metrics.read(await gauges.read(desk.store))
    return Response(desk.metrics.exposition(), media_type=CONTENT_TYPE)


def count(request: Request, response: Response) -> None:
    """Count a desk request under its route's template (/alerts/{alert_id}), never its URL."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if path is None:  # a 404 or a static file: find the mount or say so
        path = "/static" if request.url.path.startswith("/static/") else "(unmatched)"
    desk_of(request).metrics.request(request.method, path, response.status_code)


__all__ = ["router"]
