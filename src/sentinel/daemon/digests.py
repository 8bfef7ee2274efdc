"""What goes into digests: which alerts, per department, and how each one is shown."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sentinel.config.models import SentinelFile
from sentinel.notify import DigestAlert
from sentinel.store import AlertRow, Deliveries, Store, StoryView

log = logging.getLogger(__name__)

_OPEN_DEADLINES = (
    # (label in DEADLINE_LABELS, due column, done column): shown while the step is not done
    ("claim", "claim_due", "claimed_at"),
    ("first_report", "first_report_due", "first_report_at"),
    ("verification", "verification_due", "verified_at"),
    ("reply", "reply_due", "replied_at"),
    ("public_response", "public_response_due", "replied_at"),
)


def wants_digest(alert: AlertRow, since: datetime | None) -> bool:
    """New since the last duty patrol, still unclaimed, or overdue (DESIGN.md, Cadence)."""
    fresh = since is None or alert.detected_at > since
    return fresh or alert.state == "new" or bool(alert.overdue)


async def queue_digests(
    store: Store, *, duty_at: datetime, since: datetime | None, at: datetime
) -> int:
    """One digest row per department with something to report; the number newly queued."""
    by_department: dict[str, list[int]] = defaultdict(list)
    for alert in await store.alerts(open_only=True):
        if wants_digest(alert, since):
            by_department[alert.department].append(alert.id)
    deliveries = Deliveries(store)
    queued = 0
    for department, ids in sorted(by_department.items()):
        if await deliveries.enqueue_digest(
            department=department, duty_at=duty_at, alert_ids=ids, at=at
        ):
            queued += 1
            log.info("digest queued for %s: %d alerts", department, len(ids))
    return queued


def _deadlines(alert: AlertRow) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for label, due_col, done_col in _OPEN_DEADLINES:
        due = getattr(alert, due_col)
        if due is not None and getattr(alert, done_col) is None:
            out[label] = due
    return out


def digest_alert(alert: AlertRow, story: StoryView | None, settings: SentinelFile) -> DigestAlert:
    names = {d.id: d.name for d in settings.departments}
    web = str(settings.notify.web_url).rstrip("/") if settings.notify.web_url else ""
    posts = story.posts if story is not None else ()
    return DigestAlert(
        id=alert.id,
        title=alert.title or (posts[0].title if posts else f"#{alert.id}"),
        sources=tuple(dict.fromkeys(p.source_id for p in posts)),
        severity=alert.severity,
        department=names.get(alert.department, alert.department),
        detected_at=alert.detected_at,
        deadlines=_deadlines(alert),
        words=story.words if story is not None else (),
        url=f"{web}/alerts/{alert.id}" if web else "",
        post_url=posts[0].url if posts else "",
        state="" if alert.state == "new" else alert.state,
    )


async def digest_alerts(
    store: Store, settings: SentinelFile, alerts: Collection[AlertRow]
) -> list[DigestAlert]:
    """The alerts as digests show them, with their stories' sources and words (two queries)."""
    if not alerts:
        return []
    since = min(a.detected_at for a in alerts) - timedelta(days=1)
    stories = {s.id: s for s in await store.stories(since=since)}
    return [digest_alert(a, stories.get(a.story_id), settings) for a in alerts]
