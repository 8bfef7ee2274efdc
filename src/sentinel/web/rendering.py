"""render(): a desk template with what every page shows (the user, CSRF token, clock, names)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from sentinel.reports.labels import local
from sentinel.web.desk import Who, desk_of


def render(request: Request, name: str, who: Who | None, status: int = 200, **ctx: Any) -> Response:
    desk = desk_of(request)
    ctx.update(
        request=request,
        who=who,
        csrf=who.session.csrf if who else "",
        app_name=desk.cfg.settings.name,
        now=desk.now(),
        now_iso=desk.now().isoformat(),
        departments=desk.departments,
        local=lambda t: local(t, desk.tz),
    )
    return desk.templates.TemplateResponse(request, name, ctx, status_code=status)
