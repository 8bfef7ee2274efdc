"""The Store's reads of alerts, their audit trail, the outbox and users.
Mixed into Store (store.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from sentinel.errors import NotFound
from sentinel.store.engine import dialect_insert, translate_errors
from sentinel.store.reads import Reads
from sentinel.store.records import (
    AlertEventRow,
    AlertRow,
    OutboxItem,
    UserRow,
)
from sentinel.store.schema import (
    alert,
    alert_event,
    outbox,
    user,
)
from sentinel.store.tx import TERMINAL_STATES, Tx, alert_row, alert_select, event_row


class AlertReads(Reads):
    async def outbox(self, *, pending: bool = False) -> list[OutboxItem]:
        """Queued notifications, oldest first (only the unsent ones with pending=True)."""
        q = select(outbox).order_by(outbox.c.id)
        if pending:
            q = q.where(outbox.c.sent_at.is_(None))
        with translate_errors("reading the outbox"):
            async with self.engine.connect() as conn:
                return [OutboxItem(**dict(m)) for m in (await conn.execute(q)).mappings()]

    async def pushed(self, story_ids: Sequence[int]) -> set[int]:
        """Those of these stories whose push has gone out."""
        if not story_ids:
            return set()
        q = select(outbox.c.story_id).where(
            outbox.c.story_id.in_(sorted(set(story_ids))),
            outbox.c.kind == "push",
            outbox.c.sent_at.is_not(None),
        )
        with translate_errors("reading the outbox"):
            async with self.engine.connect() as conn:
                return {int(s) for (s,) in await conn.execute(q)}

    async def alerts(
        self,
        *,
        department: str | None = None,
        state: str | None = None,
        open_only: bool = False,
        overdue: bool = False,
        detected_from: datetime | None = None,
        detected_to: datetime | None = None,
    ) -> list[AlertRow]:
        """Alerts with their story's title, oldest first, in one query."""
        q = alert_select().order_by(alert.c.id)
        if department is not None:
            q = q.where(alert.c.department == department)
        if state is not None:
            q = q.where(alert.c.state == state)
        if open_only:
            q = q.where(alert.c.state.not_in(TERMINAL_STATES))
        if detected_from is not None:
            q = q.where(alert.c.detected_at >= detected_from)
        if detected_to is not None:
            q = q.where(alert.c.detected_at < detected_to)
        with translate_errors("reading alerts"):
            async with self.engine.connect() as conn:
                rows = [alert_row(m) for m in (await conn.execute(q)).mappings()]
        # the overdue steps are a JSON list: filtered here, the same on every backend
        return [r for r in rows if r.overdue] if overdue else rows

    async def alert(self, alert_id: int) -> AlertRow:
        with translate_errors("reading an alert"):
            async with self.engine.connect() as conn:
                found = await Tx(conn).alert(alert_id)
        if found is None:
            raise NotFound(f"no alert {alert_id}")
        return found

    async def alert_events(self, alert_ids: Sequence[int]) -> list[AlertEventRow]:
        """The audit trail of these alerts, in the order it was written."""
        if not alert_ids:
            return []
        q = (
            select(alert_event)
            .where(alert_event.c.alert_id.in_(sorted(set(alert_ids))))
            .order_by(alert_event.c.id)
        )
        with translate_errors("reading alert events"):
            async with self.engine.connect() as conn:
                return [event_row(m) for m in (await conn.execute(q)).mappings()]

    async def add_user(
        self,
        *,
        login: str,
        name: str,
        role: str,
        department: str | None,
        password_hash: str,
        at: datetime,
    ) -> bool:
        """False when the login is taken."""
        stmt = (
            dialect_insert(self.engine.dialect.name, user)
            .values(
                login=login,
                name=name,
                role=role,
                department=department,
                password_hash=password_hash,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=[user.c.login])
        )
        async with self._write() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def set_password(self, login: str, password_hash: str) -> bool:
        stmt = update(user).where(user.c.login == login).values(password_hash=password_hash)
        async with self._write() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def users(self) -> list[UserRow]:
        q = select(user).order_by(user.c.login)
        with translate_errors("reading users"):
            async with self.engine.connect() as conn:
                return [UserRow(**dict(m)) for m in (await conn.execute(q)).mappings()]

    async def user(self, login: str) -> UserRow | None:
        q = select(user).where(user.c.login == login)
        with translate_errors("reading a user"):
            async with self.engine.connect() as conn:
                m = (await conn.execute(q)).mappings().first()
        return None if m is None else UserRow(**dict(m))
