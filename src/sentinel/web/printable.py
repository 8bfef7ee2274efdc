"""Printable reports: standalone HTML documents (inline CSS, no script, nothing loaded from
elsewhere) for `sentinel report … --html` and the desk's print links.

Jinja2 autoescape writes every stored text, so a hostile story title stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sentinel.web import present
from sentinel.web.desk import HERE
from sentinel.workflow.service import AlertDetail

# Served pages: the inline stylesheet is the only thing this document may use.
PRINT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates" / "print"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals.update(
        STATE=present.STATE_LABELS,
        SEVERITY=present.SEVERITY_LABELS,
        STEP=present.STEP_LABELS,
        ACTION=present.ACTION_LABELS,
    )
    return env


def assessment_html(
    rows: Sequence[dict[str, Any]],
    *,
    start: date,
    end: date,
    departments: dict[str, str],
    title: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> str:
    """The assessment table (Art. 12–13) with its on-time bar chart, as one HTML document."""
    from sentinel.workflow.reports import ASSESSMENT_COLUMNS

    return (
        _env()
        .get_template("assessment.html")
        .render(
            rows=rows,
            start=start,
            end=end,
            departments=departments,
            title=title,
            columns=ASSESSMENT_COLUMNS,
            bars=present.bar_chart(rows, departments),
            rates=[present.rate_text(present.on_time_rate(r)) for r in rows],
            generated=present.local(generated_at, tz),
        )
    )


def daily_html(
    log: dict[str, Any],
    *,
    departments: dict[str, str],
    topics: dict[str, str],
    title: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> str:
    """The day's public-opinion log (舆情日志) as one HTML document."""
    return (
        _env()
        .get_template("daily.html")
        .render(
            log=log,
            departments=departments,
            topics=topics,
            title=title,
            generated=present.local(generated_at, tz),
        )
    )


def event_html(
    detail: AlertDetail,
    *,
    departments: dict[str, str],
    topics: dict[str, str],
    sources: dict[str, str],
    title: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> str:
    """The special report on one event (事件专报): what happened, its spread, the handling
    (the alert's history), the public reply, and the links to every post as evidence."""
    posts = sorted(detail.posts, key=lambda p: p.published_at or p.first_seen_at)
    return (
        _env()
        .get_template("event.html")
        .render(
            a=detail.alert,
            posts=posts,
            first=posts[0] if posts else None,
            spread=sorted({p.source_id for p in posts}),
            events=detail.events,
            departments=departments,
            topics=topics,
            sources=sources,
            title=title,
            local=lambda t: present.local(t, tz),
            generated=present.local(generated_at, tz),
        )
    )
