"""The HTML pages: sign-in, my queue, alert, lead office board, reports, operator, account."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sentinel.errors import SentinelError
from sentinel.web import present, printable
from sentinel.web.auth import CSRF_FIELD, LOGIN_CSRF_COOKIE, SESSION_COOKIE, same
from sentinel.web.desk import (
    NOTE_LIMIT,
    AlertId,
    Desk,
    Who,
    desk_of,
    form_csrf,
    page_user,
    require,
)
from sentinel.web.queue import QueueQuery, per_department, queue_page, queue_query
from sentinel.workflow import passwords, service
from sentinel.workflow.reports import ASSESSMENT_COLUMNS, assessment, daily, trends, trends_table
from sentinel.workflow.states import ActionKind, Role

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]
QueueParams = Annotated[QueueQuery, Depends(queue_query)]
EVIDENCE_CSP = "sandbox; default-src 'none'"


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
        local=lambda t: present.local(t, desk.tz),
    )
    return desk.templates.TemplateResponse(request, name, ctx, status_code=status)


def _ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def _secure(request: Request, desk: Desk) -> bool:
    return desk.settings.secure_cookies or request.url.scheme == "https"


# ------------------------------------------------------------------ sign-in


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


# ------------------------------------------------------------------ queue and alerts


@router.get("/queue", response_class=HTMLResponse)
async def queue(request: Request, who: PageUser, query: QueueParams, error: str = "") -> Response:
    desk = desk_of(request)
    page = await queue_page(desk, who, query)
    return render(
        request, "queue.html", who, items=page.items, page=page, topics=desk.topics,
        error=desk.signer.read_flash(error),
    )  # fmt: skip


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
async def alert_page(
    request: Request, alert_id: AlertId, who: PageUser, error: str = ""
) -> Response:
    desk = desk_of(request)
    page = await service.page_for(desk.workflow, who.login, alert_id)
    chart = present.reply_chart(
        page.detail.posts, page.metrics, desk.tz, desk.now(), names=desk.sources
    )
    row = page.detail.alert
    nxt = present.next_deadline(row)
    deadlines = [
        ("claim", row.claim_due),
        ("first_report", row.first_report_due),
        ("verification", row.verification_due),
        ("extension_request", row.extension_request_due),
        ("reply", row.reply_due),
        ("public_response", row.public_response_due),
    ]
    return render(
        request, "alert.html", who, page=page, a=row, chart=chart, deadlines=deadlines,
        next=nxt, error=desk.signer.read_flash(error), can_act=who.role is not Role.leader,
        source_names=desk.sources,
        lead=who.role in (Role.lead, Role.admin),
    )  # fmt: skip


def _local_path(value: str, fallback: str) -> str:
    # only our own paths: never an open redirect
    return value if value.startswith("/") and not value.startswith("//") else fallback


@router.post("/alerts/{alert_id}/act")
async def act(request: Request, alert_id: AlertId, who: PageUser) -> Response:
    desk = desk_of(request)
    form = await form_csrf(request, who)
    back = _local_path(form.get("next", ""), f"/alerts/{alert_id}")
    try:
        kind = ActionKind(form.get("action", ""))
        days = int(form["days"]) if form.get("days", "").strip() else None
        note = with_attachment(form.get("note", ""), await _attachment(request))
        if len(note) > NOTE_LIMIT:
            raise ValueError(f"报告过长（超过 {NOTE_LIMIT} 字），请精简或分次提交")
        await service.act_for(
            desk.workflow, who.login, alert_id, kind, at=desk.now(),
            note=note, link=form.get("link") or None,
            target_department=form.get("department") or None, days=days,
        )  # fmt: skip
    except service.NotFound:
        raise
    except (SentinelError, ValueError) as e:
        sep = "&" if "?" in back else "?"
        flash = quote(desk.signer.flash(str(e)))
        return RedirectResponse(f"{back}{sep}error={flash}", status_code=303)
    return RedirectResponse(back, status_code=303)


async def _attachment(request: Request) -> tuple[str, bytes] | None:
    """The text file sent with a report, if any (the form is parsed once and cached)."""
    upload = (await request.form()).get("attachment")
    if isinstance(upload, str) or upload is None:
        return None
    try:  # its spooled temporary file is ours to close
        return (upload.filename, await upload.read(NOTE_LIMIT * 4 + 1)) if upload.filename else None
    finally:
        await upload.close()


def with_attachment(note: str, attachment: tuple[str, bytes] | None) -> str:
    """The note with an attached text file's content appended under its name.

    The audit trail keeps text only, so only text files are taken: UTF-8, else GB18030 (what
    Chinese office software saves as "ANSI"); anything with NUL bytes is refused as binary.
    """
    if attachment is None:
        return note
    name, raw = attachment
    if len(raw) > NOTE_LIMIT * 4:
        raise ValueError("附件过大")
    if b"\x00" in raw:
        raise ValueError("附件须为文本文件（.txt）；其他文件请粘贴其文字")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as e:
            raise ValueError("附件编码无法识别，请另存为 UTF-8 文本") from e
    label = name.replace("\\", "/").rsplit("/", 1)[-1][:200]
    return f"{note.rstrip()}\n\n【附件：{label}】\n{text}".lstrip()


@router.get("/evidence/{digest}")
async def evidence(request: Request, digest: str, who: PageUser) -> Response:
    desk = desk_of(request)
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise service.NotFound("no such evidence")
    body = await service.evidence_for(desk.workflow, who.login, digest)
    return Response(body, media_type="text/html", headers=evidence_headers())


def evidence_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": EVIDENCE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, max-age=3600",
        "X-Frame-Options": "SAMEORIGIN",
    }


# ------------------------------------------------------------------ lead office


@router.get("/board", response_class=HTMLResponse)
async def board(request: Request, who: PageUser, query: QueueParams, error: str = "") -> Response:
    require(who, Role.lead, Role.admin, Role.leader)
    desk = desk_of(request)
    page = await queue_page(desk, who, query, board=True)
    return render(
        request, "board.html", who, items=page.items, page=page, topics=desk.topics,
        per_dept=per_department(desk, page.scope), error=desk.signer.read_flash(error),
        lead=who.role in (Role.lead, Role.admin),
    )  # fmt: skip


# ------------------------------------------------------------------ leaders


def _day_bounds(desk: Desk, start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time(0), tzinfo=desk.tz)
    return lo, datetime.combine(end, time(0), tzinfo=desk.tz) + timedelta(days=1)


def check_day(day: date | None) -> date | None:
    # day arithmetic at the ends of the calendar overflows; no report spans those years
    if day is not None and not 2000 <= day.year <= 2200:
        raise HTTPException(422, "日期超出范围")
    return day


def report_day(desk: Desk, day: date | None) -> date:
    return check_day(day) or desk.now().astimezone(desk.tz).date()


def _period(desk: Desk, start: date | None, end: date | None) -> tuple[date, date]:
    today = desk.now().astimezone(desk.tz).date()
    end = check_day(end) or today
    start = check_day(start) or end - timedelta(days=29)
    if start > end:
        raise HTTPException(422, "开始日期晚于结束日期")
    if (end - start).days > 366 * 5:
        raise HTTPException(422, "时间段过长")
    return start, end


async def assessment_rows(desk: Desk, start: date, end: date) -> list[dict[str, Any]]:
    lo, hi = _day_bounds(desk, start, end)
    return await assessment(desk.store, start=lo, end=hi, now=desk.now())


def _reader(who: Who) -> None:
    require(who, Role.lead, Role.admin, Role.leader)


@router.get("/reports/daily", response_class=HTMLResponse)
async def daily_page(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    log = await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())
    return render(request, "daily.html", who, log=log, topics=desk.topics)


@router.get("/reports/daily.csv")
async def daily_csv(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    log = await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())
    rows = [["id", "topic", "topic_name", "severity", "title"]] + [
        [s["id"], s["topic"], desk.topics.get(s["topic"], s["topic"]), s["severity"], s["title"]]
        for s in log["stories"]
    ]
    return _csv(rows, f"daily-{the_day.isoformat()}.csv")


@dataclass(frozen=True)
class _Period:
    desk: Desk
    who: Who
    start: date
    end: date


async def _reader_period(
    request: Request,
    who: PageUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> _Period:
    """A reader's report period (default: see _period), for the report pages, CSVs and prints."""
    _reader(who)
    desk = desk_of(request)
    lo, hi = _period(desk, start, end)
    return _Period(desk, who, lo, hi)


ReaderPeriod = Annotated[_Period, Depends(_reader_period)]


@router.get("/reports/assessment", response_class=HTMLResponse)
async def assessment_page(request: Request, p: ReaderPeriod) -> Response:
    rows = await assessment_rows(p.desk, p.start, p.end)
    bars = present.bar_chart(rows, p.desk.departments)
    return render(
        request, "assessment.html", p.who, rows=rows, bars=bars, start=p.start, end=p.end,
        columns=ASSESSMENT_COLUMNS,
    )  # fmt: skip


@router.get("/reports/assessment.csv")
async def assessment_csv(p: ReaderPeriod) -> Response:
    rows = await assessment_rows(p.desk, p.start, p.end)
    table = [list(ASSESSMENT_COLUMNS)] + [[r[c] for c in ASSESSMENT_COLUMNS] for r in rows]
    return _csv(table, f"assessment-{p.start.isoformat()}-{p.end.isoformat()}.csv")


def _printable(html: str) -> Response:
    return HTMLResponse(html, headers={"Content-Security-Policy": printable.PRINT_CSP})


@router.get("/reports/daily/print", response_class=HTMLResponse)
async def daily_print(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    """The day's log as a standalone printable document (the same as `report daily --html`)."""
    _reader(who)
    desk = desk_of(request)
    log = await daily(desk.store, day=report_day(desk, day), tz=desk.tz, now=desk.now())
    return _printable(
        printable.daily_html(
            log,
            departments=desk.departments,
            topics=desk.topics,
            title=desk.cfg.settings.name,
            generated_at=desk.now(),
            tz=desk.tz,
        )
    )


@router.get("/reports/assessment/print", response_class=HTMLResponse)
async def assessment_print(p: ReaderPeriod) -> Response:
    return _printable(
        printable.assessment_html(
            await assessment_rows(p.desk, p.start, p.end),
            start=p.start,
            end=p.end,
            departments=p.desk.departments,
            title=p.desk.cfg.settings.name,
            generated_at=p.desk.now(),
            tz=p.desk.tz,
        )
    )


async def trend_data(desk: Desk, start: date, end: date) -> dict[str, Any]:
    data = await trends(desk.store, start=start, end=end, tz=desk.tz)
    data["names"] = {t: desk.topics.get(t, t) for t in data["series"]}
    return data


@router.get("/reports/trends", response_class=HTMLResponse)
async def trends_page(request: Request, p: ReaderPeriod) -> Response:
    """New stories per topic per day: a line chart, the table under it, CSV."""
    data = await trend_data(p.desk, p.start, p.end)
    chart = present.trend_chart(data, data["names"])
    return render(
        request, "trends.html", p.who, data=data, chart=chart, start=p.start, end=p.end,
        colors=present.TREND_COLORS,
    )  # fmt: skip


@router.get("/reports/trends.csv")
async def trends_csv(p: ReaderPeriod) -> Response:
    data = await trends(p.desk.store, start=p.start, end=p.end, tz=p.desk.tz)
    return _csv(trends_table(data), f"trends-{p.start.isoformat()}-{p.end.isoformat()}.csv")


def _csv(rows: list[list[Any]], filename: str) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in rows:
        # a cell starting with = + - @ would be a formula in a spreadsheet
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in "=+-@" else c for c in r])
    return Response(
        "\ufeff" + buf.getvalue(),  # BOM: Excel opens UTF-8 Chinese correctly
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ------------------------------------------------------------------ operators and account


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


__all__ = ["CSRF_FIELD", "EVIDENCE_CSP", "router"]
