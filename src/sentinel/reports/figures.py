"""The charts each report shows, read from the store: the desk's pages, the printable
documents, the PDFs and the Word files all take them from here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from sentinel.reports.charts import Drawing, on_time_chart, source_chart, topic_chart
from sentinel.reports.office import Office
from sentinel.store import Store
from sentinel.workflow.reports import trends

DAILY_TREND_DAYS = 7  # the daily log's chart: new alerts by topic over the week up to its day


async def topics(store: Store, office: Office, start: date, end: date) -> Drawing:
    return topic_chart(await trends(store, start=start, end=end, tz=office.tz), office)


async def sources(store: Store, office: Office, now: datetime) -> Drawing:
    return source_chart(office.watched, await store.sources_status(), office, now)


async def assessment_figures(
    store: Store,
    office: Office,
    rows: Sequence[dict[str, Any]],
    *,
    start: date,
    end: date,
    now: datetime,
) -> tuple[Drawing, Drawing, Drawing]:
    """On-time rates per department, new alerts by topic over the period, sources' health."""
    return (
        on_time_chart(rows, office),
        await topics(store, office, start, end),
        await sources(store, office, now),
    )


async def daily_figures(
    store: Store, office: Office, *, day: date, now: datetime
) -> tuple[Drawing, Drawing]:
    """New alerts by topic over the week up to `day`, and sources' health."""
    start = day - timedelta(days=DAILY_TREND_DAYS - 1)
    return await topics(store, office, start, day), await sources(store, office, now)


def inline(d: Drawing) -> Markup:
    """The chart's SVG, for a template to place as it is (svg.py escaped every label)."""
    return Markup(d.svg())
