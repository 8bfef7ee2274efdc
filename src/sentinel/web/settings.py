"""The web desk's own settings: built by the caller (CLI, daemon, tests), never at import time."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

SECRET_ENV = "SENTINEL_WEB_SECRET"
# set to 1 when users reach the desk over https (a container behind the office's proxy)
SECURE_ENV = "SENTINEL_WEB_SECURE_COOKIES"


@dataclass(frozen=True, kw_only=True, slots=True)
class WebSettings:
    secret: str  # signs session cookies and API tokens; from the environment in production
    secure_cookies: bool = False  # set Secure on cookies: true whenever served over https
    session_lifetime: timedelta = timedelta(hours=12)
    login_attempts: int = 5  # failed sign-ins per login+IP before a pause
    # failed sign-ins per IP across all logins (one password sprayed over many logins); a whole
    # office behind one NAT address shares it, hence well above login_attempts
    address_attempts: int = 30
    login_window: timedelta = timedelta(minutes=15)
    # addresses or networks whose X-Forwarded-For/-Proto are believed (config: web.trusted_proxies)
    trusted_proxies: tuple[str, ...] = ()
    locale: str = "zh"

    @classmethod
    def from_env(
        cls, *, secure_cookies: bool = False, trusted_proxies: Sequence[object] = ()
    ) -> WebSettings:
        # Without a configured secret every restart signs everyone out: safe, and loud enough.
        secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
        return cls(
            secret=secret,
            secure_cookies=secure_cookies
            or os.environ.get(SECURE_ENV, "").strip().lower() in ("1", "true", "yes"),
            trusted_proxies=tuple(str(p) for p in trusted_proxies),
        )
