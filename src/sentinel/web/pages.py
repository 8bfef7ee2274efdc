"""The duty desk's pages: my queue, an alert and its actions, evidence, the lead office board.

Sign-in and account (signin.py), the leaders' reports (reports.py) and the operators' page
(operator.py) are routers of their own; create_app() includes each.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sentinel.errors import SentinelError
from sentinel.web import present
from sentinel.web.auth import CSRF_FIELD
from sentinel.web.desk import NOTE_LIMIT, AlertId, Who, desk_of, form_csrf, page_user, require
from sentinel.web.queue import QueueQuery, per_department, queue_page, queue_query
from sentinel.web.rendering import render
from sentinel.workflow import service
from sentinel.workflow.states import ActionKind, Role

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]
QueueParams = Annotated[QueueQuery, Depends(queue_query)]
EVIDENCE_CSP = "sandbox; default-src 'none'"


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


__all__ = ["CSRF_FIELD", "EVIDENCE_CSP", "render", "router"]
