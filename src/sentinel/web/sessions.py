"""Desk sessions: a signed cookie that names a session row in the store.

The cookie is {secret, csrf, issued, password fingerprint}, signed. It is good only while the
store has a row for the hash of its secret, the row has not expired and its user is not
disabled, and the user's password is the one it was issued under. So signing out, disabling the
user and changing the password each end it at once, wherever the cookie was copied to.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from sentinel.store import Logins, Store, UserRow
from sentinel.web.auth import fingerprint, same


@dataclass(frozen=True, kw_only=True, slots=True)
class Live:
    """A session that holds: its user and its CSRF token."""

    user: UserRow
    csrf: str


def _row_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Sessions:
    def __init__(self, store: Store, key: str, lifetime: timedelta) -> None:
        self._logins = Logins(store)
        self._signed = URLSafeSerializer(key, salt="sentinel.session")
        self._lifetime = lifetime

    async def start(self, user: UserRow, at: datetime) -> tuple[str, str]:
        """A new session for `user`: the cookie's value and the session's CSRF token."""
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        await self._logins.open_session(
            _row_id(secret), user.login, at=at, expires_at=at + self._lifetime
        )
        value = self._signed.dumps(
            {"s": secret, "c": csrf, "t": at.timestamp(), "p": fingerprint(user)}
        )
        return value, csrf

    def _secret(self, value: str, at: datetime) -> tuple[str, dict[str, object]] | None:
        try:
            data = self._signed.loads(value)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        issued = data.get("t")
        if not isinstance(issued, int | float):
            return None
        if at.timestamp() - float(issued) > self._lifetime.total_seconds():
            return None
        return data["s"], data

    async def find(self, value: str, at: datetime) -> Live | None:
        """The session this cookie holds, if it still holds."""
        found = self._secret(value, at)
        if found is None:
            return None
        secret, data = found
        user = await self._logins.session_user(_row_id(secret), at=at)
        if user is None or not same(str(data.get("p", "")), fingerprint(user)):
            return None  # signed out, disabled, expired, or the password changed since
        return Live(user=user, csrf=str(data.get("c", "")))

    async def end(self, value: str, at: datetime) -> None:
        """Sign out: this cookie's session row is deleted, so the cookie is good for nothing."""
        found = self._secret(value, at)
        if found is not None:
            await self._logins.end_session(_row_id(found[0]))
