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
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sentinel.config.models import SentinelFile
from sentinel.notify import DigestAlert
from sentinel.notify.digest import SEVERITY_LABELS, SourceNote
from sentinel.store import (
    AlertEventRow,
    AlertRow,
    Deliveries,
    DigestItem,
    PostView,
    SourceEvent,
    Store,
    StoryView,
)

RAISE = "raise_severity"  # workflow/alerts.py: the audit action of a severity change

log = logging.getLogger(__name__)

_OPEN_DEADLINES = (
    # (label in DEADLINE_LABELS, due column, done column): shown while the step is not done
    ("claim", "claim_due", "claimed_at"),
    ("first_report", "first_report_due", "first_report_at"),
    ("verification", "verification_due", "verified_at"),
    ("reply", "reply_due", "replied_at"),
    ("public_response", "public_response_due", "replied_at"),
)


def wants_digest(alert: AlertRow, since: datetime | None, changed: Collection[int] = ()) -> bool:
    """New since the last duty patrol, still unclaimed, overdue, or changed since: more copies
    of its event, or a higher severity (docs/workflow.md, Cadence)."""
    fresh = since is None or alert.detected_at > since
    return fresh or alert.state == "new" or bool(alert.overdue) or alert.id in changed


_JOINED = ("repost", "event", "merge")


def new_posts(story: StoryView, since: datetime | None) -> int:
    """Copies and follow-ups joined to the story after `since` (none when it is new itself)."""
    if since is None:
        return 0
    return sum(1 for p in story.posts if p.first_seen_at > since and p.placed_by in _JOINED)


async def changed_since(
    store: Store, alerts: Collection[AlertRow], since: datetime | None
) -> set[int]:
    """The alerts among `alerts`, detected before `since`, whose story took more posts or whose
    severity rose after it."""
    if since is None:
        return set()
    older = {a.story_id: a.id for a in alerts if a.detected_at <= since}
    if not older:
        return set()
    grown = {
        older[s.id]
        for s in await store.stories(since=since)
        if s.id in older and new_posts(s, since)
    }
    raised = {
        e.alert_id
        for e in await store.alert_events(list(older.values()))
        if e.action == RAISE and e.at > since
    }
    return grown | raised


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
    alerts = await store.alerts(open_only=True)
    changed = await changed_since(store, alerts, since)
    for alert in alerts:
        if wants_digest(alert, since, changed):
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


def _raised(events: Collection[AlertEventRow], since: datetime | None) -> tuple[str, ...]:
    out = []
    for e in events:
        if e.action != RAISE or (since is not None and e.at <= since):
            continue
        old = SEVERITY_LABELS.get(str(e.data.get("from")), str(e.data.get("from")))
        new = SEVERITY_LABELS.get(str(e.data.get("to")), str(e.data.get("to")))
        out.append(f"{old}→{new}：{e.note}" if e.note else f"{old}→{new}")
    return tuple(out)


def _severity_why(
    alert: AlertRow, events: Collection[AlertEventRow], topics: Mapping[str, str]
) -> str:
    """The rule that last raised the alert (Art. 7), else its topic's default level."""
    raises = [e for e in events if e.action == RAISE]
    if raises:
        return raises[-1].note
    label = SEVERITY_LABELS.get(alert.severity, alert.severity)
    topic = topics.get(alert.topic_id, alert.topic_id)
    return f"话题「{topic}」默认为{label}" if topic else ""


def _why(posts: Collection[PostView]) -> str:
    """The reasons posts were joined by event (the near-copies say only 转载)."""
    reasons = [p.why for p in posts if p.placed_by == "event" and p.why]
    return reasons[-1] if reasons else ""


def digest_alert(
    alert: AlertRow,
    story: StoryView | None,
    settings: SentinelFile,
    *,
    since: datetime | None = None,
    events: Collection[AlertEventRow] = (),
    pushed: bool = False,
    source_names: Mapping[str, str] | None = None,
    topic_names: Mapping[str, str] | None = None,
) -> DigestAlert:
    """How one alert reads in a digest or a push; `since` is when the department's previous
    digest went out (None: there was none, everything is new)."""
    names = {d.id: d.name for d in settings.departments}
    shown = source_names or {}
    web = str(settings.notify.web_url).rstrip("/") if settings.notify.web_url else ""
    posts = story.posts if story is not None else ()
    fresh = since is None or alert.detected_at > since
    added = new_posts(story, since) if story is not None and not fresh else 0
    raised = _raised(events, None if fresh else since)
    return DigestAlert(
        id=alert.id,
        title=alert.title or (posts[0].title if posts else f"#{alert.id}"),
        sources=tuple(dict.fromkeys(shown.get(p.source_id, p.source_id) for p in posts)),
        severity=alert.severity,
        department=names.get(alert.department, alert.department),
        detected_at=alert.detected_at,
        deadlines=_deadlines(alert),
        words=story.words if story is not None else (),
        url=f"{web}/alerts/{alert.id}" if web else "",
        post_url=posts[0].url if posts else "",
        state="" if alert.state == "new" else alert.state,
        status="new" if fresh else "update" if added or raised else "",
        new_posts=added,
        posts=max(1, len(posts)),
        raised=raised,
        why=_why(posts),
        pushed=pushed,
        severity_why=_severity_why(alert, events, topic_names or {}),
    )


async def digest_alerts(
    store: Store,
    settings: SentinelFile,
    alerts: Collection[AlertRow],
    *,
    since: datetime | None = None,
    source_names: Mapping[str, str] | None = None,
    topic_names: Mapping[str, str] | None = None,
) -> list[DigestAlert]:
    """The alerts as digests show them, with their stories' sources and words, what changed
    since `since`, and whether a push already went out (four queries)."""
    if not alerts:
        return []
    earliest = min(a.detected_at for a in alerts) - timedelta(days=1)
    stories = {s.id: s for s in await store.stories(since=earliest)}
    events: dict[int, list[AlertEventRow]] = defaultdict(list)
    for e in await store.alert_events([a.id for a in alerts]):
        events[e.alert_id].append(e)
    # only these alerts' pushes: a digest or a push must not read the whole outbox
    pushed = await store.pushed([a.story_id for a in alerts])
    return [
        digest_alert(
            a,
            stories.get(a.story_id),
            settings,
            since=since,
            events=events[a.id],
            pushed=a.story_id in pushed,
            source_names=source_names,
            topic_names=topic_names,
        )
        for a in alerts
    ]


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
