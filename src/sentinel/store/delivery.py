"""Delivery bookkeeping: the outbox's retries, digests, and the daemon's schedule state.

Every notification is a row before it is sent (write, then send, then mark sent). A row is
claimed before sending by pushing its `next_attempt_at` into the future, so that two daemons
on one database do not send it twice at once and a crash loop backs off too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Table, or_, select, update
from sqlalchemy.engine import RowMapping

from sentinel.store.engine import dialect_insert, translate_errors
from sentinel.store.records import DigestItem, OutboxItem
from sentinel.store.schema import digest, outbox, schedule_state
from sentinel.store.store import Store

_TABLES: dict[str, Table] = {"outbox": outbox, "digest": digest}


def _digest_item(m: RowMapping) -> DigestItem:
    return DigestItem(
        id=m["id"],
        department=m["department"],
        duty_at=m["duty_at"],
        alert_ids=tuple(int(i) for i in m["alert_ids"]),
        created_at=m["created_at"],
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        last_error=m["last_error"],
        sent_at=m["sent_at"],
    )


class Deliveries:
    """The delivery tables of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ reads

    async def due_outbox(self, now: datetime) -> list[OutboxItem]:
        """Unsent outbox rows whose next attempt is due, oldest first."""
        q = (
            select(outbox)
            .where(outbox.c.sent_at.is_(None))
            .where(or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
            .order_by(outbox.c.id)
        )
        with translate_errors("reading the outbox"):
            async with self.store.engine.connect() as conn:
                return [OutboxItem(**dict(m)) for m in (await conn.execute(q)).mappings()]

    async def digests(
        self, *, pending: bool = False, now: datetime | None = None
    ) -> list[DigestItem]:
        """Queued digests, oldest first; with `pending`, the unsent ones due at `now`."""
        q = select(digest).order_by(digest.c.id)
        if pending:
            q = q.where(digest.c.sent_at.is_(None))
            if now is not None:
                q = q.where(
                    or_(digest.c.next_attempt_at.is_(None), digest.c.next_attempt_at <= now)
                )
        with translate_errors("reading digests"):
            async with self.store.engine.connect() as conn:
                return [_digest_item(m) for m in (await conn.execute(q)).mappings()]

    async def schedule_state(self) -> dict[str, datetime]:
        with translate_errors("reading the schedule state"):
            async with self.store.engine.connect() as conn:
                rows = await conn.execute(select(schedule_state.c.key, schedule_state.c.at))
                return {k: at for k, at in rows}

    # ----------------------------------------------------------------- writes

    async def set_schedule_state(self, values: Mapping[str, datetime]) -> None:
        if not values:
            return
        async with self.store.transaction() as tx:
            await tx.set_schedule_state(values)

    async def enqueue_digest(
        self, *, department: str, duty_at: datetime, alert_ids: Sequence[int], at: datetime
    ) -> bool:
        """Queue one department's digest for a duty patrol; False if it was queued already."""
        async with self.store.transaction() as tx:
            stmt = (
                dialect_insert(tx.connection.dialect.name, digest)
                .values(
                    department=department,
                    duty_at=duty_at,
                    alert_ids=sorted(alert_ids),
                    created_at=at,
                    attempts=0,
                )
                .on_conflict_do_nothing(index_elements=[digest.c.department, digest.c.duty_at])
            )
            with translate_errors("queueing a digest"):
                return bool((await tx.connection.execute(stmt)).rowcount)

    async def fan_out(self, item: OutboxItem, recipients: Sequence[str], *, at: datetime) -> None:
        """Replace a push queued for nobody in particular ("") by one row per recipient.

        In one transaction: the wildcard row is marked sent exactly when its rows exist. Like
        `claim`, in the urgent lane: a push must not queue behind a patrol's writes.
        """
        async with self.store.transaction(urgent=True) as tx:
            conn = tx.connection
            if recipients:
                stmt = dialect_insert(conn.dialect.name, outbox).on_conflict_do_nothing(
                    index_elements=[
                        outbox.c.story_id,
                        outbox.c.recipient,
                        outbox.c.kind,
                        outbox.c.step,
                    ]
                )
                rows = [
                    {
                        "story_id": item.story_id,
                        "kind": item.kind,
                        "recipient": r,
                        "step": item.step,
                        "fetched_at": item.fetched_at,
                        "created_at": at,
                        "attempts": 0,
                    }
                    for r in dict.fromkeys(recipients)
                ]
                with translate_errors("fanning out a push"):
                    await conn.execute(stmt, rows)
            with translate_errors("fanning out a push"):
                await conn.execute(
                    update(outbox).where(outbox.c.id == item.id).values(sent_at=at, last_error=None)
                )

    async def claim(self, table: str, row_id: int, *, now: datetime, until: datetime) -> bool:
        """Count an attempt and hold the row until `until`; False if it was sent or claimed
        meanwhile. The row must still be due at `now`: of two processes claiming it at once,
        the second's update finds it held (PostgreSQL re-reads the row after the first
        commits), so two schedulers never send one row twice."""
        t = _TABLES[table]
        async with self.store.transaction(urgent=True) as tx:
            with translate_errors(f"claiming a {table} row"):
                result = await tx.connection.execute(
                    update(t)
                    .where(t.c.id == row_id, t.c.sent_at.is_(None))
                    .where(or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now))
                    .values(attempts=t.c.attempts + 1, next_attempt_at=until)
                )
                return bool(result.rowcount)

    async def mark_sent(self, table: str, row_id: int, *, at: datetime, note: str = "") -> None:
        t = _TABLES[table]
        async with self.store.transaction() as tx:
            with translate_errors(f"marking a {table} row sent"):
                await tx.connection.execute(
                    update(t)
                    .where(t.c.id == row_id)
                    .values(sent_at=at, next_attempt_at=None, last_error=note or None)
                )

    async def mark_failed(
        self, table: str, row_id: int, *, error: str, next_attempt_at: datetime
    ) -> None:
        t = _TABLES[table]
        async with self.store.transaction() as tx:
            with translate_errors(f"recording a failed {table} delivery"):
                await tx.connection.execute(
                    update(t)
                    .where(t.c.id == row_id)
                    .values(last_error=error[:2000], next_attempt_at=next_attempt_at)
                )
