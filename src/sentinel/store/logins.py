"""Who may be signed in: the desk's sessions and disabled users.

A session row is what makes a desk cookie good: signing out deletes the row, and disabling a
user deletes all of theirs, so a copied cookie is worth nothing afterwards even though its
signature is still valid. Rows are keyed by a hash of the cookie's secret, so the table alone
opens no session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from sentinel.store.engine import translate_errors
from sentinel.store.records import UserRow
from sentinel.store.schema import user, web_session
from sentinel.store.store import Store


class Logins:
    """The session and disabled-user bookkeeping of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def open_session(
        self, session_id: str, login: str, *, at: datetime, expires_at: datetime
    ) -> None:
        """Record a new session; sessions past their expiry are cleared on the way."""
        async with self.store.transaction() as tx:
            with translate_errors("recording a desk session"):
                await tx.connection.execute(
                    delete(web_session).where(web_session.c.expires_at <= at)
                )
                await tx.connection.execute(
                    web_session.insert().values(
                        id=session_id, login=login, created_at=at, expires_at=expires_at
                    )
                )

    async def session_user(self, session_id: str, *, at: datetime) -> UserRow | None:
        """The user of a live session: None when it ended, expired, or its user is disabled."""
        q = (
            select(user)
            .join(web_session, web_session.c.login == user.c.login)
            .where(web_session.c.id == session_id)
            .where(web_session.c.expires_at > at)
            .where(user.c.disabled_at.is_(None))
        )
        with translate_errors("reading a desk session"):
            async with self.store.engine.connect() as conn:
                m = (await conn.execute(q)).mappings().first()
        return None if m is None else UserRow(**dict(m))

    async def end_session(self, session_id: str) -> None:
        async with self.store.transaction() as tx:
            with translate_errors("ending a desk session"):
                await tx.connection.execute(
                    delete(web_session).where(web_session.c.id == session_id)
                )

    async def end_sessions(self, login: str) -> int:
        """End every session of this user (a password change, an administrator's order)."""
        async with self.store.transaction() as tx:
            with translate_errors("ending desk sessions"):
                result = await tx.connection.execute(
                    delete(web_session).where(web_session.c.login == login)
                )
        return int(result.rowcount or 0)

    async def set_disabled(self, login: str, at: datetime | None) -> bool:
        """Disable (at a time) or enable (None) a user; disabling ends their sessions in the
        same transaction. False when there is no such user."""
        async with self.store.transaction() as tx:
            with translate_errors("disabling a user"):
                found = await tx.connection.execute(
                    update(user).where(user.c.login == login).values(disabled_at=at)
                )
                if at is not None:
                    await tx.connection.execute(
                        delete(web_session).where(web_session.c.login == login)
                    )
        return bool(found.rowcount)
