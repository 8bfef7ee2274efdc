"""The lead office merges two alerts of one event, or splits a post out of a story: the desk's
forms on the alert page and the JSON API (the work is workflow/regroup.py's)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from sentinel.errors import NotFound, SentinelError
from sentinel.web.desk import NOTE_LIMIT, AlertId, Who, api_user, check_csrf, desk_of, form_csrf
from sentinel.web.desk import page_user as _page_user
from sentinel.workflow.states import Role

router = APIRouter()
PageUser = Annotated[Who, Depends(_page_user)]
ApiUser = Annotated[Who, Depends(api_user)]
Csrf = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]


# The ids are optional in the models so that the CSRF token and the role are checked before
# the body is: a forged or an officer's request is refused as such, whatever it carries.
class MergeIn(BaseModel):
    other: int | None = Field(None, ge=1, le=2**53, description="the other alert of one event")
    note: str = Field("", max_length=NOTE_LIMIT)


class SplitIn(BaseModel):
    post_id: int | None = Field(None, ge=1, le=2**53, description="the post to split out")
    department: str | None = Field(None, max_length=64, description="of the new alert")
    note: str = Field("", max_length=NOTE_LIMIT)


def _needed(value: int | None, name: str) -> int:
    if value is None:
        raise HTTPException(status_code=422, detail=f"{name} is required")
    return value


def _lead(who: Who) -> None:
    if who.role not in (Role.lead, Role.admin):
        # an officer never learns more than that the page is not theirs
        raise NotFound("not found")


def _summary(survivor: Any, merged: Any, moved: int, dropped: int) -> dict[str, Any]:
    return {
        "survivor": survivor.id,
        "merged": merged.id,
        "state": merged.state,
        "posts_moved": moved,
        "dropped": dropped,
    }


@router.post("/api/alerts/{alert_id}/merge", tags=["api"])
async def api_merge(
    request: Request, alert_id: AlertId, body: MergeIn, who: ApiUser, x_csrf_token: Csrf = None
) -> dict[str, Any]:
    """Merge this alert and `other` (one event): the one claimed first survives with its claim,
    owner and deadlines; the other is closed as merged, its unsent messages dropped."""
    check_csrf(who, x_csrf_token)
    _lead(who)
    desk = desk_of(request)
    other = _needed(body.other, "other")
    done = await desk.workflow.merge(alert_id, other, who.login, at=desk.now(), note=body.note)
    return _summary(done.survivor, done.merged, done.posts_moved, done.dropped)


@router.post("/api/alerts/{alert_id}/split", tags=["api"])
async def api_split(
    request: Request, alert_id: AlertId, body: SplitIn, who: ApiUser, x_csrf_token: Csrf = None
) -> dict[str, Any]:
    """Split one of this alert's posts into a new alert with fresh deadlines."""
    check_csrf(who, x_csrf_token)
    _lead(who)
    desk = desk_of(request)
    post_id = _needed(body.post_id, "post_id")
    await _own_post(desk, alert_id, post_id)
    row = await desk.workflow.split(
        post_id, who.login, at=desk.now(), department=body.department, note=body.note
    )
    return {"alert": row.id, "department": row.department, "state": row.state}


async def _own_post(desk: Any, alert_id: int, post_id: int) -> None:
    """The post is one of this alert's (a form names the alert it was on)."""
    detail = await desk.workflow.show(alert_id)
    if not any(p.id == post_id for p in detail.posts):
        raise NotFound(f"post {post_id} is not in alert {alert_id}")


def _back(desk: Any, path: str, error: str | None = None) -> Response:
    if error is None:
        return RedirectResponse(path, status_code=303)
    return RedirectResponse(f"{path}?error={quote(desk.signer.flash(error))}", status_code=303)


@router.post("/alerts/{alert_id}/merge")
async def merge_form(request: Request, alert_id: AlertId, who: PageUser) -> Response:
    desk = desk_of(request)
    form = await form_csrf(request, who)
    _lead(who)
    try:
        other = int(str(form.get("other", "")).strip().lstrip("#"))
        done = await desk.workflow.merge(
            alert_id, other, who.login, at=desk.now(), note=str(form.get("note", ""))
        )
    except ValueError:
        return _back(desk, f"/alerts/{alert_id}", "请填写要合并的预警编号")
    except (SentinelError, NotFound) as e:
        return _back(desk, f"/alerts/{alert_id}", str(e))
    return _back(desk, f"/alerts/{done.survivor.id}")


@router.post("/alerts/{alert_id}/split")
async def split_form(request: Request, alert_id: AlertId, who: PageUser) -> Response:
    desk = desk_of(request)
    form = await form_csrf(request, who)
    _lead(who)
    try:
        post_id = int(str(form.get("post", "")))
        await _own_post(desk, alert_id, post_id)
        row = await desk.workflow.split(
            post_id,
            who.login,
            at=desk.now(),
            department=str(form.get("department") or "") or None,
            note=str(form.get("note", "")),
        )
    except ValueError:
        return _back(desk, f"/alerts/{alert_id}", "没有这条帖子")
    except SentinelError as e:
        return _back(desk, f"/alerts/{alert_id}", str(e))
    return _back(desk, f"/alerts/{row.id}")
