"""Printable reports: standalone HTML documents (inline CSS, no script, nothing loaded from
elsewhere) for `sentinel report … --html`, the desk's print links, and the PDFs made from them.

Jinja2 autoescape writes every stored text, so a hostile story title stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sentinel.reports import labels
from sentinel.reports.charts import Drawing
from sentinel.reports.figures import inline
from sentinel.reports.office import Office
from sentinel.workflow.reports import ASSESSMENT_COLUMNS
from sentinel.workflow.service import AlertDetail

TEMPLATES = Path(__file__).parent / "templates"
# Served pages: the inline stylesheet is the only thing this document may use.
PRINT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals.update(labels.TEMPLATE_LABELS)
    return env


def assessment_html(
    rows: Sequence[dict[str, Any]],
    *,
    start: date,
    end: date,
    office: Office,
    generated_at: datetime,
    figures: Sequence[Drawing] = (),
) -> str:
    """The assessment (Art. 12–13) as one HTML document: the on-time rates' chart over the
    table, then new alerts by topic and sources' health (figures.assessment_figures)."""
    return (
        _env()
        .get_template("assessment.html")
        .render(
            rows=rows,
            start=start,
            end=end,
            departments=office.departments,
            title=office.name,
            columns=ASSESSMENT_COLUMNS,
            charts=[inline(f) for f in figures],
            rates=[labels.rate_text(labels.on_time_rate(r)) for r in rows],
            generated=labels.local(generated_at, office.tz),
        )
    )


def daily_html(
    log: dict[str, Any],
    *,
    office: Office,
    generated_at: datetime,
    figures: Sequence[Drawing] = (),
) -> str:
    """The day's public-opinion log (舆情日志) as one HTML document, with the week's new alerts
    by topic and sources' health (figures.daily_figures)."""
    return (
        _env()
        .get_template("daily.html")
        .render(
            log=log,
            departments=office.departments,
            topics=office.topics,
            title=office.name,
            generated=labels.local(generated_at, office.tz),
            charts=[inline(f) for f in figures],
        )
    )


def event_html(detail: AlertDetail, *, office: Office, generated_at: datetime) -> str:
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
            departments=office.departments,
            topics=office.topics,
            sources=office.sources,
            title=office.name,
            local=lambda t: labels.local(t, office.tz),
            generated=labels.local(generated_at, office.tz),
        )
    )
