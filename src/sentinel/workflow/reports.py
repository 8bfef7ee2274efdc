"""Assessment (Art. 12–13) per department, and the day's public-opinion log (舆情日志).

Both are plain dicts, ready for JSON; the CLI renders them as text (HTML comes with the web desk).
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sentinel.store import AlertRow, Store
from sentinel.workflow.alerts import overdue_steps

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


def _on_time(done: datetime | None, due: datetime | None) -> bool:
    return done is not None and due is not None and done <= due


async def assessment(
    store: Store, *, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """One row per department for alerts detected in [start, end); three queries in all."""
    rows = await store.alerts(detected_from=start, detected_to=end)
    events = await store.alert_events([r.id for r in rows])
    asked: Counter[int] = Counter(e.alert_id for e in events if e.action == "request_extension")
    granted: Counter[int] = Counter(e.alert_id for e in events if e.action == "grant_extension")
    by_dept: dict[str, list[AlertRow]] = {}
    for r in rows:
        by_dept.setdefault(r.department, []).append(r)
    out = []
    for dept in sorted(by_dept):
        alerts = by_dept[dept]
        claim_minutes = [
            (r.claimed_at - r.detected_at).total_seconds() / 60
            for r in alerts
            if r.claimed_at is not None
        ]
        out.append(
            {
                "department": dept,
                "received": len(alerts),
                "claimed_on_time": sum(
                    not r.late_claim and _on_time(r.claimed_at, r.claim_due) for r in alerts
                ),
                "late_claims": sum(r.late_claim for r in alerts),
                "first_reports_on_time": sum(
                    _on_time(r.first_report_at, r.first_report_due) for r in alerts
                ),
                "verifications_on_time": sum(
                    _on_time(r.verified_at, r.verification_due) for r in alerts
                ),
                "replies_on_time": sum(_on_time(r.replied_at, r.reply_due) for r in alerts),
                "overdue_now": sum(bool(overdue_steps(r, now)) for r in alerts),
                "extensions_asked": sum(asked[r.id] for r in alerts),
                "extensions_granted": sum(granted[r.id] for r in alerts),
                "median_claim_minutes": (
                    round(statistics.median(claim_minutes), 1) if claim_minutes else None
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
