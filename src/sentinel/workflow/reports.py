"""Assessment (Art. 12–13) per department, and the day's public-opinion log (舆情日志).

All are plain dicts, ready for JSON; the CLI and the web desk render them as text, CSV, HTML.
And new stories per topic per day (trends), for the leaders' line chart.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sentinel.store import AlertEventRow, AlertRow, Store, StoryView
from sentinel.workflow.alerts import overdue_steps
from sentinel.workflow.charges import claim_department, claims_of

ASSESSMENT_COLUMNS = (
    "department",
    "received",
    "claimed_on_time",
    "late_claims",
    "first_reports_on_time",
    "verifications_on_time",
    "replies_on_time",
    "overdue_now",
    "extensions_asked",
    "extensions_granted",
    "median_claim_minutes",
)
# How many of each later step were due and are decided: done (on time or late), or overdue and
# not done. The on-time count over this is the step's on-time rate; steps still inside their
# deadline count in neither, so a department with only those has no rate yet, not 0%.
DECIDED_COLUMNS = ("first_reports_decided", "verifications_decided", "replies_decided")
CSV_COLUMNS = ASSESSMENT_COLUMNS + DECIDED_COLUMNS


def _on_time(done: datetime | None, due: datetime | None) -> bool:
    return done is not None and due is not None and done <= due


def _decided(done: datetime | None, due: datetime | None, step: str, overdue: list[str]) -> bool:
    return due is not None and (done is not None or step in overdue)


async def assessment(
    store: Store, *, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """One row per department for alerts detected in [start, end); three queries in all.

    The claim columns (received, claimed_on_time, late_claims, median_claim_minutes) belong to the
    department that had to claim the alert: a late claim is charged to the department that held
    the alert at its claim deadline, also when the lead office or the sweep designated it away
    (charges.py). The later steps belong to the department that holds the alert now.
    """
    rows = await store.alerts(detected_from=start, detected_to=end)
    events = await store.alert_events([r.id for r in rows])
    asked: Counter[int] = Counter(e.alert_id for e in events if e.action == "request_extension")
    granted: Counter[int] = Counter(e.alert_id for e in events if e.action == "grant_extension")
    trail: dict[int, list[AlertEventRow]] = {}
    for e in events:
        trail.setdefault(e.alert_id, []).append(e)
    to_claim: dict[str, list[AlertRow]] = {}
    holding: dict[str, list[AlertRow]] = {}
    late: Counter[str] = Counter()
    for r in rows:
        claims = claims_of(r, trail.get(r.id, ()))
        to_claim.setdefault(claim_department(r, claims), []).append(r)
        holding.setdefault(r.department, []).append(r)
        late.update(c.department for c in claims if c.late)
    out = []
    for dept in sorted({*to_claim, *holding, *late}):
        received = to_claim.get(dept, [])
        alerts = holding.get(dept, [])
        claim_minutes = [
            (r.claimed_at - r.detected_at).total_seconds() / 60
            for r in received
            if r.claimed_at is not None
        ]
        late_now = {r.id: overdue_steps(r, now) for r in alerts}
        out.append(
            {
                "department": dept,
                "received": len(received),
                "claimed_on_time": sum(
                    not r.late_claim and _on_time(r.claimed_at, r.claim_due) for r in received
                ),
                "late_claims": late[dept],
                "first_reports_on_time": sum(
                    _on_time(r.first_report_at, r.first_report_due) for r in alerts
                ),
                "verifications_on_time": sum(
                    _on_time(r.verified_at, r.verification_due) for r in alerts
                ),
                "replies_on_time": sum(_on_time(r.replied_at, r.reply_due) for r in alerts),
                "overdue_now": sum(bool(late_now[r.id]) for r in alerts),
                "extensions_asked": sum(asked[r.id] for r in alerts),
                "extensions_granted": sum(granted[r.id] for r in alerts),
                "median_claim_minutes": (
                    round(statistics.median(claim_minutes), 1) if claim_minutes else None
                ),
                "first_reports_decided": sum(
                    _decided(r.first_report_at, r.first_report_due, "first_report", late_now[r.id])
                    for r in alerts
                ),
                "verifications_decided": sum(
                    _decided(r.verified_at, r.verification_due, "verification", late_now[r.id])
                    for r in alerts
                ),
                "replies_decided": sum(
                    _decided(r.replied_at, r.reply_due, "reply", late_now[r.id]) for r in alerts
                ),
            }
        )
    return out


async def daily(store: Store, *, day: date, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The day's log: new stories by topic and severity, open alerts by state, overdue list."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    stories = [s for s in await store.stories(since=start) if start <= s.first_seen_at < end]
    open_alerts = await store.alerts(open_only=True)
    by_topic: Counter[str] = Counter(s.topic_id for s in stories)
    by_severity: Counter[str] = Counter(s.severity for s in stories)
    by_state: Counter[str] = Counter(a.state for a in open_alerts)
    overdue = [
        {
            "alert_id": a.id,
            "department": a.department,
            "state": a.state,
            "title": a.title,
            "steps": steps,
        }
        for a in open_alerts
        if (steps := overdue_steps(a, now))
    ]
    return {
        "date": day.isoformat(),
        "new_stories": len(stories),
        "stories_by_topic": dict(sorted(by_topic.items())),
        "stories_by_severity": dict(sorted(by_severity.items())),
        "stories": [
            {"id": s.id, "topic": s.topic_id, "severity": s.severity, "title": s.title}
            for s in stories
        ],
        "open_alerts_by_state": dict(sorted(by_state.items())),
        "overdue": overdue,
    }


def topic_trends(
    stories: Iterable[StoryView], *, start: date, end: date, tz: ZoneInfo
) -> dict[str, Any]:
    """New stories per topic per local day in [start, end] (both included), zeros filled in.

    A story counts on the day it was first seen; stories first seen outside the period are left
    out, so the caller may pass every story seen since `start`.
    """
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    series: dict[str, list[int]] = {}
    for s in stories:
        i = index.get(s.first_seen_at.astimezone(tz).date())
        if i is None:
            continue
        series.setdefault(s.topic_id, [0] * len(days))[i] += 1
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": [d.isoformat() for d in days],
        "series": dict(sorted(series.items())),
        "totals": {t: sum(v) for t, v in sorted(series.items())},
    }


async def trends(store: Store, *, start: date, end: date, tz: ZoneInfo) -> dict[str, Any]:
    """topic_trends over the stored stories seen since the period began."""
    since = datetime.combine(start, time(0), tzinfo=tz)
    return topic_trends(await store.stories(since=since), start=start, end=end, tz=tz)


def trends_table(data: dict[str, Any]) -> list[list[Any]]:
    """The trends as rows for CSV: date, then one column per topic."""
    topics = list(data["series"])
    rows: list[list[Any]] = [["date", *topics]]
    for i, day in enumerate(data["days"]):
        rows.append([day, *(data["series"][t][i] for t in topics)])
    return rows
