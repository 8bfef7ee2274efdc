"""The dispatcher: sends what the outbox and the digest table hold, once each, with retries.

Write, then send, then mark sent. Delivery is at-least-once, not exactly-once: a crash (or a
lost SMTP reply) after a channel accepted a message and before `sent_at` is written resends
that one row after restart; nothing else is resent, and nothing written is ever lost. A row
goes to every channel of its department; when one channel fails, the row is retried on all of
them, so a department with a mailbox and a bot may see one message twice on the working one.
The mail's Message-ID carries the row's key, which lets mail clients drop such a copy.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sentinel.config.models import SentinelFile
from sentinel.daemon.digests import digest_alerts, health_notes, lead_office
from sentinel.daemon.notices import designation_notice
from sentinel.errors import ConfigError
from sentinel.notify import (
    Channel,
    DeliveryError,
    Digest,
    Message,
    department_channels,
    digest_message,
    push_message,
)
from sentinel.notify.digest import DEADLINE_LABELS, SourceNote, local_time, one_line
from sentinel.store import AlertRow, Deliveries, DigestItem, OutboxItem, Store
from sentinel.workflow.charges import DESIGNATED

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


def backoff(attempt: int) -> timedelta:
    """Wait after the `attempt`-th try (1-based): 30 s, 1 min, 2 min, … at most an hour."""
    wait: timedelta = FIRST_RETRY * (2 ** max(0, min(attempt - 1, 20)))
    return min(wait, LAST_RETRY)


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


class Dispatcher:
    def __init__(
        self,
        store: Store,
        settings: SentinelFile,
        *,
        clock: Callable[[], datetime],
        env: Mapping[str, str] | None = None,
        source_names: Mapping[str, str] | None = None,
        topic_names: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.source_names = dict(source_names or {})  # digests name sources, not ids
        self.topic_names = dict(topic_names or {})
        self.clock = clock
        self.env = os.environ if env is None else env
        self.deliveries = Deliveries(store)
        self._sent = self._failed = self._skipped = 0

    def lead_office(self) -> str | None:
        return lead_office(self.settings)

    def channels(self, department: str) -> tuple[list[Channel], tuple[str, ...]]:
        return department_channels(self.settings.notify, department, self.env)

    async def run(self) -> DispatchReport:
        """Send every due row once; failures are rescheduled with backoff, never raised."""
        self._sent = self._failed = self._skipped = 0
        now = self.clock()
        items = await self.deliveries.due_outbox(now)
        alerts: dict[int, AlertRow] = {}
        if items:
            alerts = {a.story_id: a for a in await self.store.alerts()}
        for item in [i for i in items if i.recipient == ""]:
            await self._fan_out(item, alerts.get(item.story_id), now)
        if any(i.recipient == "" for i in items):
            items = await self.deliveries.due_outbox(now)
        for item in items:
            await self._send_outbox(item, alerts.get(item.story_id))
        for d in await self.deliveries.digests(pending=True, now=now):
            await self._send_digest(d)
        return DispatchReport(sent=self._sent, failed=self._failed, skipped=self._skipped)

    async def _fan_out(self, item: OutboxItem, alert: AlertRow | None, now: datetime) -> None:
        # a critical push goes to the department in charge and to the lead office at once
        recipients = [r for r in (alert.department if alert else None, self.lead_office()) if r]
        await self.deliveries.fan_out(item, recipients, at=now)

    async def _send_outbox(self, item: OutboxItem, alert: AlertRow | None) -> None:
        if alert is None:
            await self._skip("outbox", item.id, f"story {item.story_id} has no alert")
            return
        channels, emails = self._channels_or_none(item.recipient)
        if not channels:
            await self._skip("outbox", item.id, f"no channel for department {item.recipient}")
            return
        [shown] = await digest_alerts(
            self.store,
            self.settings,
            [alert],
            source_names=self.source_names,
            topic_names=self.topic_names,
        )
        key = f"{item.kind}-{item.story_id}-{item.recipient}-{item.step or 'now'}"
        office = self.settings.notify.office
        if item.kind == "reminder" and item.step == DESIGNATED:
            names = {d.id: d.name for d in self.settings.departments}
            message = designation_notice(
                alert,
                shown,
                left=names.get(item.recipient, item.recipient),
                office=office,
                recipients=emails,
                now=self.clock(),
                key=key,
            )
        elif item.kind == "reminder":
            # a reminder asks for the overdue step, not for claiming a new alert
            label = DEADLINE_LABELS.get(item.step, item.step)
            due = getattr(alert, f"{item.step}_due", None)
            when = f"（期限 {local_time(due)}）" if isinstance(due, datetime) else ""
            message = push_message(
                shown,
                recipients=emails,
                office=office,
                now=self.clock(),
                key=key,
                headline=f"提醒：{label}已超期{when}，请尽快办理",
            )
            subject = f"【{office}】提醒：{label}已超期：{alert.title}"
            message = dataclasses.replace(message, subject=one_line(subject)[:200])
        else:
            message = push_message(
                shown, recipients=emails, office=office, now=self.clock(), key=key
            )
        await self._deliver("outbox", item.id, item.attempts, channels, message, alert.id)

    async def _send_digest(self, d: DigestItem) -> None:
        channels, emails = self._channels_or_none(d.department)
        if not channels:
            await self._skip("digest", d.id, f"no channel for department {d.department}")
            return
        wanted = set(d.alert_ids)
        rows = [a for a in await self.store.alerts() if a.id in wanted]
        open_rows = [a for a in rows if a.state not in ("closed", "dismissed", "merged")]
        events: tuple[SourceNote, ...] = ()
        unhealthy: tuple[SourceNote, ...] = ()
        queued = await self.deliveries.digests()
        # what is new or changed is counted from this department's previous digest
        earlier = [q.created_at for q in queued if q.department == d.department and q.id < d.id]
        since = max(earlier, default=None)
        if d.department == self.lead_office():
            events, unhealthy = await health_notes(self.store, d, queued)
        if not open_rows and not events:
            await self._skip("digest", d.id, "every alert in it was closed meanwhile")
            return
        names = {dep.id: dep.name for dep in self.settings.departments}
        digest = Digest(
            department=names.get(d.department, d.department),
            recipients=emails,
            alerts=tuple(
                await digest_alerts(
                    self.store,
                    self.settings,
                    open_rows,
                    since=since,
                    source_names=self.source_names,
                    topic_names=self.topic_names,
                )
            ),
            generated_at=self.clock(),
            office=self.settings.notify.office,
            health_events=events,
            unhealthy=unhealthy,
        )
        key = f"digest-{d.department}-{d.duty_at:%Y%m%d%H%M}"
        await self._deliver("digest", d.id, d.attempts, channels, digest_message(digest, key=key))

    def _channels_or_none(self, department: str) -> tuple[list[Channel], tuple[str, ...]]:
        try:
            return self.channels(department)
        except ConfigError as e:  # a secret missing from the environment: retried, shown
            log.error("department %s: %s", department, e)
            return [], ()

    async def _skip(self, table: str, row_id: int, why: str) -> None:
        self._skipped += 1
        log.warning("%s row %d not sent: %s", table, row_id, why)
        await self.deliveries.mark_sent(table, row_id, at=self.clock(), note=f"not sent: {why}")

    async def _deliver(
        self,
        table: str,
        row_id: int,
        attempts: int,
        channels: list[Channel],
        message: Message,
        alert_id: int | None = None,
    ) -> None:
        now = self.clock()
        retry_at = now + backoff(attempts + 1)
        if not await self.deliveries.claim(table, row_id, now=now, until=retry_at):
            return  # sent by someone else meanwhile
        extra = {"alert_id": alert_id} if alert_id is not None else {}
        try:
            for channel in channels:
                await channel.send(message)
        except DeliveryError as e:
            self._failed += 1
            log.warning("%s row %d: %s; retry at %s", table, row_id, e, retry_at, extra=extra)
            await self.deliveries.mark_failed(table, row_id, error=str(e), next_attempt_at=retry_at)
            return
        self._sent += 1
        log.info("%s row %d sent: %s", table, row_id, message.subject, extra=extra)
        await self.deliveries.mark_sent(table, row_id, at=self.clock())
