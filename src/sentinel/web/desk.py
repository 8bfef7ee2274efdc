"""What every route needs: the service, the clock, signing, templates; and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi import Path as FastPath
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sentinel.config import Config
from sentinel.metrics import Metrics
from sentinel.reports import Office, labels
from sentinel.store import Store
from sentinel.web import present
from sentinel.web.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginLimiter,
    Session,
    Signer,
    fingerprint,
    same,
)
from sentinel.web.sessions import Sessions
from sentinel.web.settings import WebSettings
from sentinel.workflow.service import Workflow
from sentinel.workflow.states import Actor, Role

HERE = Path(__file__).parent
# Ids past 2**53 exist nowhere, and SQLite's INTEGER would overflow on them.
AlertId = Annotated[int, FastPath(ge=1, le=2**53, description="alert id")]


# A report may be long (a pasted verification report); past this it belongs in a document system.
NOTE_LIMIT = 200_000


class NotSignedIn(Exception):
    """An HTML page was asked for without a session: the handler redirects to sign-in."""


@dataclass(kw_only=True)
class Desk:
    cfg: Config
    store: Store
    workflow: Workflow
    clock: Callable[[], datetime]
    settings: WebSettings
    signer: Signer
    sessions: Sessions
    limiter: LoginLimiter
    templates: Jinja2Templates
    # the daemon's own state when it serves the desk beside its patrols (`sentinel run`)
    health: Callable[[], dict[str, Any]] | None = None
    metrics: Metrics = field(default_factory=Metrics)
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.cfg.settings.timezone)

    @property
    def departments(self) -> dict[str, str]:
        return {d.id: d.name for d in self.cfg.settings.departments}

    @property
    def topics(self) -> dict[str, str]:
        return {t.id: t.name for t in self.cfg.keywords.topics}

    @property
    def sources(self) -> dict[str, str]:
        """source id -> the name sources.yaml gives it (the id where it gives none)"""
        return {s.id: s.name or s.id for s in self.cfg.sources.sources}

    @property
    def office(self) -> Office:
        """Names and timezone for the reports, from the configuration in force."""
        return Office.of(self.cfg)

    def now(self) -> datetime:
        return self.clock()


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals.update(
        labels.TEMPLATE_LABELS,
        PLACED=present.PLACED_LABELS,
        ROLE=present.ROLE_LABELS,
        HEALTH=labels.HEALTH_LABELS,
        safe_href=present.safe_href,
        highlight=present.highlight,
    )
    return Jinja2Templates(env=env)


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


@dataclass(frozen=True, kw_only=True, slots=True)
class Who:
    """The signed-in person: their actor (role, department) and the session they came with."""

    actor: Actor
    name: str
    session: Session

    @property
    def login(self) -> str:
        return self.actor.login

    @property
    def role(self) -> Role:
        return self.actor.role


async def _identify(request: Request) -> Who | None:
    desk = desk_of(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        data = desk.signer.read_token(auth[7:].strip())
        user = await desk.store.user(str(data.get("l", ""))) if data else None
        if user is None or data is None or not same(data.get("p"), fingerprint(user)):
            return None  # a changed password revokes every token of that user
        if user.disabled_at is not None:
            return None
        session = Session(login=user.login, csrf="", via_token=True)
    else:
        raw = request.cookies.get(SESSION_COOKIE)
        live = await desk.sessions.find(raw, desk.now()) if raw else None
        if live is None:
            return None
        user = live.user
        session = Session(login=user.login, csrf=live.csrf)
    actor = Actor(login=user.login, role=Role(user.role), department=user.department)
    return Who(actor=actor, name=user.name, session=session)


async def page_user(request: Request) -> Who:
    who = await _identify(request)
    if who is None:
        raise NotSignedIn
    return who


async def api_user(request: Request) -> Who:
    who = await _identify(request)
    if who is None:
        raise HTTPException(401, "未登录或令牌无效", headers={"WWW-Authenticate": "Bearer"})
    return who


def check_csrf(who: Who, token: str | None) -> None:
    """A cookie session must echo its CSRF token; a Bearer token cannot be sent by a browser
    on its own, so it needs none."""
    if who.session.via_token:
        return
    if not same(token, who.session.csrf):
        raise HTTPException(403, "CSRF 校验失败，请刷新页面后重试")


async def form_csrf(request: Request, who: Who) -> dict[str, Any]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(who, values.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
    return values


def require(who: Who, *roles: Role) -> None:
    if who.role not in roles:
        raise HTTPException(403, "无权访问此页面")
