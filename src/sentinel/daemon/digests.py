"""What goes into digests: which alerts, per department, and how each one is shown.

The lead office's digest also reports source health ("数据源状况"): the health events raised and
cleared since the previous duty patrol, and the sources not ok now. It is queued even without
alerts when there are such events. The events a queued digest shows are those after the
previous lead-office digest was queued, up to its own queueing: the same window as "since the
previous duty patrol" (a duty patrol that queued no lead digest had no events to report), but
kept by the digest rows themselves, so a digest retried after the next duty patrol still shows
its own events and no event is shown twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sentinel.config.models import SentinelFile
from sentinel.notify import DigestAlert
from sentinel.notify.digest import SourceNote
from sentinel.store import AlertRow, Deliveries, DigestItem, SourceEvent, Store, StoryView

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
    """New since the last duty patrol, still unclaimed, or overdue (docs/workflow.md)."""
    fresh = since is None or alert.detected_at > since
    return fresh or alert.state == "new" or bool(alert.overdue)


def lead_office(settings: SentinelFile) -> str | None:
    """The department told of everything: `notify.lead_office`, else the lead department."""
    if settings.notify.lead_office:
        return settings.notify.lead_office
    lead = settings.lead_department
    return lead.id if lead is not None else None


async def source_events(store: Store, since: datetime | None, until: datetime) -> list[SourceEvent]:
    """Health events after `since` (None: ever) up to and including `until`, oldest first."""
    return [
        e
        for e in await store.source_events(since=since)
        if (since is None or e.at > since) and e.at <= until
    ]


async def queue_digests(
    store: Store,
    *,
    duty_at: datetime,
    since: datetime | None,
    at: datetime,
    lead_office: str | None = None,
) -> int:
    """One digest row per department with something to report; the number newly queued.

    `lead_office` also gets one when only source health changed since `since`.
    """
    by_department: dict[str, list[int]] = defaultdict(list)
    for alert in await store.alerts(open_only=True):
        if wants_digest(alert, since):
            by_department[alert.department].append(alert.id)
    lead_quiet = lead_office and lead_office not in by_department
    if lead_quiet and await source_events(store, since, at):
        by_department[str(lead_office)] = []
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


def _note(e: SourceEvent) -> SourceNote:
    return SourceNote(source=e.source_id, state=e.state, reason=e.reason, since=e.at, event=e.kind)


async def health_notes(
    store: Store, d: DigestItem, queued: Collection[DigestItem]
) -> tuple[tuple[SourceNote, ...], tuple[SourceNote, ...]]:
    """(events, sources not ok now) for digest `d` of the lead office (see the module docstring).

    `queued` is every digest row; the window opens when the lead office's previous one was queued.
    """
    earlier = [q.created_at for q in queued if q.department == d.department and q.id < d.id]
    events = await source_events(store, max(earlier, default=None), d.created_at)
    unhealthy = tuple(
        SourceNote(source=s.source_id, state=s.health, reason=s.health_reason, since=s.health_since)
        for s in await store.sources_status()
        if s.health != "ok"
    )
    return tuple(_note(e) for e in events), unhealthy
