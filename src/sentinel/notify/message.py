"""What a channel sends: one rendered message in every form a channel may want."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sentinel.notify.digest import (
    SHANGHAI,
    Digest,
    DigestAlert,
    SourceNote,
    render_digest,
    render_digest_markdown,
    render_push,
    render_push_markdown,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Message:
    kind: str  # "digest" or "push"
    key: str  # idempotency key (the outbox's); the Message-ID of a mail, `key` in JSON
    subject: str
    text: str
    html: str
    markdown: str
    recipients: tuple[str, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)  # structured, for JSON webhooks


def alert_payload(a: DigestAlert) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "sources": list(a.sources),
        "severity": a.severity,
        "department": a.department,
        "state": a.state,
        "detected_at": a.detected_at.isoformat(),
        "deadlines": {name: due.isoformat() for name, due in a.deadlines.items()},
        "words": list(a.words),
        "url": a.url,
        "post_url": a.post_url,
    }


def source_payload(n: SourceNote) -> dict[str, Any]:
    return {
        "source": n.source,
        "state": n.state,
        "reason": n.reason,
        "since": n.since.isoformat() if n.since else None,
        **({"event": n.event} if n.event else {}),
    }


def digest_message(d: Digest, *, key: str = "") -> Message:
    subject, text, html = render_digest(d)
    return Message(
        kind="digest",
        key=key,
        subject=subject,
        text=text,
        html=html,
        markdown=render_digest_markdown(d),
        recipients=d.recipients,
        payload={
            "department": d.department,
            "office": d.office,
            "generated_at": d.generated_at.isoformat(),
            "alerts": [alert_payload(a) for a in d.alerts],
            **(
                {
                    "source_events": [source_payload(n) for n in d.health_events],
                    "sources_not_ok": [source_payload(n) for n in d.unhealthy],
                }
                if d.has_health
                else {}
            ),
        },
    )


def push_message(
    alert: DigestAlert,
    *,
    recipients: Sequence[str] = (),
    office: str = "舆情值班室",
    now: datetime | None = None,
    key: str = "",
    headline: str | None = None,
) -> Message:
    """`headline`: what the message asks for, when not claiming a new alert (a reminder)."""
    now = now or datetime.now(SHANGHAI)
    subject, text, html = render_push(alert, office=office, now=now, headline=headline)
    return Message(
        kind="push",
        key=key,
        subject=subject,
        text=text,
        html=html,
        markdown=render_push_markdown(alert, office=office, now=now, headline=headline),
        recipients=tuple(recipients),
        payload={"office": office, "generated_at": now.isoformat(), "alert": alert_payload(alert)},
    )
