"""create_app(): the duty desk, a FastAPI application over the workflow service.

Nothing is created at import time; the CLI, the daemon and tests each build their own app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sentinel.config import Config
from sentinel.errors import NotFound, SentinelError
from sentinel.metrics import Metrics
from sentinel.store import Store
from sentinel.web import (
    api,
    exports,
    operator,
    ops,
    pages,
    regroup,
    reports,
    signin,
    workers_page,
)
from sentinel.web.auth import LoginLimiter, Signer
from sentinel.web.desk import HERE, Desk, NotSignedIn, make_templates
from sentinel.web.sessions import Sessions
from sentinel.web.settings import WebSettings
from sentinel.workflow.service import ConflictError, UserError, Workflow
from sentinel.workflow.states import TransitionError

# Our own pages: scripts and styles only from /static, frames only from ourselves.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def create_app(
    cfg: Config,
    store: Store,
    workflow: Workflow,
    *,
    clock: Callable[[], datetime],
    settings: WebSettings | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """The desk over `store`; `health` (the daemon's, under `sentinel run`) shows on /operator
    and decides /readyz; `metrics` (the daemon's) adds its counters to /metrics."""
    web = settings or WebSettings.from_env()
    app = FastAPI(
        title="Sentinel 舆情值班台",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.desk = Desk(
        cfg=cfg,
        store=store,
        workflow=workflow,
        clock=clock,
        settings=web,
        signer=Signer(web.secret),
        sessions=Sessions(store, web.secret, web.session_lifetime),
        limiter=LoginLimiter(
            web.login_attempts, web.login_window, clock, per_address=web.address_attempts
        ),
        templates=make_templates(),
        health=health,
        metrics=metrics or Metrics(),
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    for part in (signin, reports, exports, operator, ops):
        app.include_router(part.router)
    app.include_router(api.router)
    app.include_router(regroup.router)  # merge and split, on the alert page and the API
    app.include_router(workers_page.router)
    app.state.desk.templates.env.globals["workers_enabled"] = cfg.settings.workers.enabled
    _errors(app)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        ops.count(request, response)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    if web.trusted_proxies:
        # outermost: the client's address and scheme are settled before anything reads them
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(web.trusted_proxies))
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _errors(app: FastAPI) -> None:
    def answer(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        who = None
        return pages.render(request, "error.html", who, status=status, message=message)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return answer(request, 404, "未找到（或无权查看）")

    @app.exception_handler(TransitionError)
    async def transition(request: Request, exc: TransitionError) -> Response:
        return answer(request, 409, str(exc))

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return answer(request, 409, str(exc))

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(SentinelError)
    async def sentinel_error(request: Request, exc: SentinelError) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return answer(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            detail: Any = jsonable(exc.errors())
            return JSONResponse({"detail": detail}, status_code=422)
        return answer(request, 422, "请求参数无效")


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
