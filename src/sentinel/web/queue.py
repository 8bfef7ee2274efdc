"""The alert queue (an officer's 我的待办, the lead office's board): filters and pages.

Filtering, ordering and paging happen here on the server, so a queue of hundreds of alerts is
sent a page at a time; the sources of each alert are counted for the page shown only. The same
query serves the HTML pages and the JSON API (/api/queue, /api/board).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Query

from sentinel.match.fold import fold
from sentinel.reports import labels
from sentinel.store import AlertRow
from sentinel.web import present
from sentinel.web.desk import Desk, Who
from sentinel.workflow import service

PER_PAGE = 50
MAX_PER_PAGE = 500
OPEN_STATES = ("new", "claimed", "assessed", "verified", "responded")


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueQuery:
    """What the queue shows: filters (None or empty: any) and which page."""

    department: str | None = None
    state: str | None = None  # None: every open state
    severity: str | None = None
    topic: str | None = None
    overdue: bool = False
    q: str = ""  # words in the title (folded: 強拆 finds 强拆), or an alert id
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def custom_per_page(self) -> bool:
        return self.per_page != PER_PAGE

    @property
    def filtered(self) -> bool:
        return bool(
            self.department or self.state or self.severity or self.topic or self.overdue or self.q
        )

    def link(self, **change: Any) -> str:
        """This query as a query string (`?…`), with `change` applied; defaults left out."""
        query = replace(self, **change)
        params = {
            "department": query.department,
            "state": query.state,
            "severity": query.severity,
            "topic": query.topic,
            "overdue": "1" if query.overdue else None,
            "q": query.q,
            "page": query.page if query.page != 1 else None,
            "per_page": query.per_page if query.per_page != PER_PAGE else None,
        }
        kept = {k: v for k, v in params.items() if v not in (None, "")}
        return "?" + urlencode(kept) if kept else "?"


def _choice(value: str | None, allowed: object, what: str) -> str | None:
    if not value:
        return None  # a form's "any" option sends an empty value
    if value not in allowed:  # type: ignore[operator]
        raise HTTPException(422, f"unknown {what}: {value[:40]!r}")
    return value


def queue_query(
    department: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[str | None, Query(max_length=20, description="default: open")] = None,
    severity: Annotated[str | None, Query(max_length=20)] = None,
    topic: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool = False,
    q: Annotated[str, Query(max_length=200, description="title words or alert id")] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
) -> QueueQuery:
    """The queue's filters and page from the query string (a FastAPI dependency)."""
    return QueueQuery(
        department=department or None,
        state=_choice(state, labels.STATE_LABELS, "state"),
        severity=_choice(severity, labels.SEVERITY_LABELS, "severity"),
        topic=topic or None,
        overdue=overdue,
        q=q.strip(),
        page=page,
        per_page=per_page,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class QueuePage:
    query: QueueQuery
    items: list[dict[str, Any]]  # this page's alerts, as the templates and the API show them
    total: int  # alerts that pass the filters, on every page
    pages: int
    scope: list[AlertRow]  # every open alert this user sees, before filters (board summary)

    @property
    def page(self) -> int:
        return self.query.page

    def link(self, page: int) -> str:
        return self.query.link(page=page)


def is_late(row: AlertRow, now: datetime) -> bool:
    nxt = present.next_deadline(row)
    return bool(nxt and nxt[1] < now) or bool(row.overdue)


def _matches(row: AlertRow, query: QueueQuery, now: datetime, words: str) -> bool:
    if query.severity and row.severity != query.severity:
        return False
    if query.topic and row.topic_id != query.topic:
        return False
    if query.overdue and not is_late(row, now):
        return False
    return not words or words in fold(row.title) or words.lstrip("#") == str(row.id)


def _board_order(rows: list[AlertRow], now: datetime) -> None:
    # unclaimed and overdue first, then the rest, each most urgent first (the sort is stable)
    rows.sort(key=lambda r: (r.state != "new" and not is_late(r, now), not is_late(r, now)))


async def queue_page(desk: Desk, who: Who, query: QueueQuery, *, board: bool = False) -> QueuePage:
    """One page of the alerts `who` may see that pass `query`, most urgent first."""
    now = desk.now()
    scope = await service.alerts_for(desk.workflow, who.login, open_only=True)
    rows = [r for r in scope if query.department in (None, r.department)]
    if query.state in OPEN_STATES:
        rows = [r for r in rows if r.state == query.state]
    elif query.state is not None:  # closed or dismissed: only when asked for by name
        rows = await service.alerts_for(
            desk.workflow, who.login, department=query.department, state=query.state
        )
    words = fold(query.q)
    rows = [r for r in rows if _matches(r, query, now, words)]
    rows.sort(key=lambda r: present.urgency(r, now))
    if board:
        _board_order(rows, now)
    pages = max(1, math.ceil(len(rows) / query.per_page))
    start = (query.page - 1) * query.per_page
    shown = rows[start : start + query.per_page]
    counts = await service.source_counts(desk.workflow, shown)
    items = []
    for r in shown:
        nxt = present.next_deadline(r)
        items.append(
            {
                "row": r,
                "sources": counts.get(r.id, 0),
                "age": present.age(r.detected_at, now),
                "step": nxt[0] if nxt else None,
                "due": nxt[1] if nxt else None,
                "late": is_late(r, now),
            }
        )
    return QueuePage(query=query, items=items, total=len(rows), pages=pages, scope=scope)


def per_department(desk: Desk, rows: list[AlertRow]) -> dict[str, dict[str, int]]:
    """Open, unclaimed and late alerts per department (the board's summary, before filters)."""
    now = desk.now()
    out: dict[str, dict[str, int]] = {d: {"open": 0, "new": 0, "late": 0} for d in desk.departments}
    for r in rows:
        c = out.setdefault(r.department, {"open": 0, "new": 0, "late": 0})
        c["open"] += 1
        c["new"] += r.state == "new"
        c["late"] += is_late(r, now)
    return out


def api_headers(page: QueuePage, path: str) -> dict[str, str]:
    """X-Total-Count and a Link header (RFC 8288) to the neighbouring pages."""
    links = []
    if page.page < page.pages:
        links.append(f'<{path}{page.link(page.page + 1)}>; rel="next"')
    if page.page > 1:
        links.append(f'<{path}{page.link(min(page.page - 1, page.pages))}>; rel="prev"')
    headers = {"X-Total-Count": str(page.total)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers
