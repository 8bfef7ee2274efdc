"""Sign-in, sign-out, the home redirect by role, and the account page (API tokens)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sentinel.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, same
from sentinel.web.desk import Desk, Who, desk_of, form_csrf, page_user
from sentinel.web.rendering import render
from sentinel.workflow import passwords
from sentinel.workflow.states import Role

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def _secure(request: Request, desk: Desk) -> bool:
    return desk.settings.secure_cookies or request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, error: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    message = desk_of(request).signer.read_flash(error)
    resp = render(request, "login.html", None, login_csrf=token, error=message)
    resp.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
        secure=_secure(request, desk_of(request)), path="/login",
    )  # fmt: skip
    return resp


@router.post("/login")
async def login(
    request: Request,
    login: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    desk = desk_of(request)
    if not same(csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise HTTPException(403, "CSRF 校验失败，请刷新页面后重试")
    ip = _ip(request)
    if desk.limiter.blocked(login, ip):
        token = secrets.token_urlsafe(24)
        resp = render(
            request, "login.html", None, status=429, login_csrf=token,
            error="登录失败次数过多，请稍后再试",
        )  # fmt: skip
        resp.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
            secure=_secure(request, desk), path="/login",
        )  # fmt: skip
        return resp
    user = await desk.store.user(login)
    # checked (off the event loop) even when there is no such user: as slow either way
    if not await passwords.verify(user.password_hash if user else None, password):
        user = None
    if user is None or user.disabled_at is not None:  # a disabled user reads as a wrong password
        desk.limiter.failed(login, ip)
        flash = desk.signer.flash("用户名或密码错误")
        return RedirectResponse("/login?error=" + quote(flash), status_code=303)
    desk.limiter.succeeded(login, ip)
    value, _ = await desk.sessions.start(user, desk.now())
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request, desk),
        max_age=int(desk.settings.session_lifetime.total_seconds()), path="/",
    )  # fmt: skip
    resp.delete_cookie(
        LOGIN_CSRF_COOKIE, path="/login", secure=_secure(request, desk), httponly=True
    )
    return resp


@router.post("/logout")
async def logout(request: Request, who: PageUser) -> Response:
    await form_csrf(request, who)
    desk = desk_of(request)
    await desk.sessions.end(request.cookies.get(SESSION_COOKIE, ""), desk.now())
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request, desk), httponly=True)
    return resp


@router.get("/")
async def home(who: PageUser) -> Response:
    target = {
        Role.officer: "/queue",
        Role.lead: "/board",
        Role.admin: "/board",
        Role.leader: "/reports/daily",
    }[who.role]
    return RedirectResponse(target, status_code=303)


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, who: PageUser) -> Response:
    return render(request, "account.html", who, token=None)


@router.post("/account/token", response_class=HTMLResponse)
async def new_token(request: Request, who: PageUser) -> Response:
    await form_csrf(request, who)
    desk = desk_of(request)
    user = await desk.store.user(who.login)
    if user is None:
        raise HTTPException(401, "用户不存在")
    resp = render(request, "account.html", who, token=desk.signer.api_token(user))
    resp.headers["Cache-Control"] = "no-store"
    return resp
