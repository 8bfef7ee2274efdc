"""Typed model of the duty desk's part of `sentinel.yaml` (mounted as `web:`).

    web:
      secure_cookies: true            # the desk is reached over https (also --secure-cookies)
      trusted_proxies: [10.0.0.7]     # the reverse proxy in front of it (addresses or networks)

X-Forwarded-For and X-Forwarded-Proto are believed only from the trusted proxies: from anyone
else they are whatever the client chose to send, and an address taken from them would let one
client pass for many and walk around the failed sign-in limits.
"""

from __future__ import annotations

from pydantic import Field, IPvAnyNetwork

from sentinel.config.base import Strict


class WebConfig(Strict):
    secure_cookies: bool = Field(
        False, description="mark the desk's cookies Secure (whenever it is served over https)"
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="reverse proxies whose X-Forwarded-For/-Proto are believed (default: none)",
    )
