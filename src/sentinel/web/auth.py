"""CSRF, API tokens, signed flash messages and the failed-login limit (sessions: sessions.py).

An API token is a signature over {login, password fingerprint}, so changing the password
revokes it; disabling the user refuses it too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from sentinel.store import UserRow

SESSION_COOKIE = "sentinel_session"
LOGIN_CSRF_COOKIE = "sentinel_login_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, kw_only=True, slots=True)
class Session:
    login: str
    csrf: str
    via_token: bool = False


def fingerprint(user: UserRow) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


class Signer:
    def __init__(self, secret: str) -> None:
        self._token = URLSafeSerializer(secret, salt="sentinel.api-token")
        self._flash = URLSafeSerializer(secret, salt="sentinel.flash")

    def api_token(self, user: UserRow) -> str:
        return self._token.dumps({"l": user.login, "p": fingerprint(user)})

    def read_token(self, value: str) -> dict[str, Any] | None:
        return _loads(self._token, value)

    # A message carried across a redirect is signed: a crafted link cannot put words of its
    # own on our pages ("your password expired, call …").
    def flash(self, message: str) -> str:
        return self._flash.dumps({"m": message[:300]})

    def read_flash(self, value: str) -> str:
        data = _loads(self._flash, value) if value else None
        return str(data.get("m", "")) if data else ""


def _loads(s: URLSafeSerializer, value: str) -> dict[str, Any] | None:
    try:
        data = s.loads(value)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class LoginLimiter:
    """Failed sign-ins within `window`: at most `attempts` per (login, address), and at most
    `per_address` per address whatever the login (password spraying: one common password tried
    on every login, a few tries each). Past either, sign-in is refused until they age.

    A success clears its own (login, address) count only: signing in to one's own account must
    not reset the count of tries on other people's.
    """

    # Past this many remembered keys, aged ones are dropped at the next failure (a sprayer
    # inventing logins must not grow the table without end).
    PRUNE_AT = 4096

    def __init__(
        self,
        attempts: int,
        window: timedelta,
        clock: Callable[[], datetime],
        per_address: int | None = None,
    ) -> None:
        self._attempts = attempts
        self._per_address = per_address
        self._window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._by_address: dict[str, deque[datetime]] = {}

    def _recent(self, table: dict[Any, deque[datetime]], key: Any) -> int:
        q = table.get(key)
        if q is None:
            return 0
        cutoff = self._clock() - self._window
        while q and q[0] <= cutoff:
            q.popleft()
        if not q:
            del table[key]
        return len(q)

    def blocked(self, login: str, ip: str) -> bool:
        if self._recent(self._failures, (login, ip)) >= self._attempts:
            return True
        limit = self._per_address
        return limit is not None and self._recent(self._by_address, ip) >= limit

    def failed(self, login: str, ip: str) -> None:
        for table in (self._failures, self._by_address):
            if len(table) >= self.PRUNE_AT:
                for k in list(table):
                    self._recent(table, k)
        now = self._clock()
        self._failures.setdefault((login, ip), deque()).append(now)
        self._by_address.setdefault(ip, deque()).append(now)

    def succeeded(self, login: str, ip: str) -> None:
        self._failures.pop((login, ip), None)
