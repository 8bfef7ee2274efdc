"""The address rule: a source reaches only public addresses unless it says otherwise.

Each hop's host is resolved (answers cached briefly per host) and refused if any address is
private, loopback, link-local, reserved, multicast or otherwise not global — a name that
resolves to both a public and a private address is refused, since the connection may use
either. The transport resolves again when it connects; a DNS answer that changes between the two
looks (rebinding) is not caught here — the check stops configuration mistakes and redirects into
the office network, not a hostile resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable

Resolver = Callable[[str], Awaitable[list[str]]]

CACHE_SECONDS = 60.0


async def system_resolver(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal(host: str) -> str | None:
    """The address itself when `host` is an IP literal (brackets allowed), else None."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return None
    return candidate


class AddressRule:
    """Answers "may we connect to this host?" for sources that do not allow private addresses."""

    def __init__(
        self, resolver: Resolver | None = None, *, clock: Callable[[], float] = time.monotonic
    ):
        self._resolve = resolver or system_resolver
        self._clock = clock
        self._cache: dict[str, tuple[bool, float]] = {}

    async def public(self, host: str) -> bool:
        """True when every address of `host` is public. Raises OSError when it does not resolve."""
        ip = literal(host)
        if ip is not None:
            return is_public(ip)
        now = self._clock()
        hit = self._cache.get(host)
        if hit is not None and hit[1] > now:
            return hit[0]
        addresses = await self._resolve(host)
        if not addresses:
            raise OSError(f"{host} has no address")
        ok = all(is_public(a) for a in addresses)
        self._cache[host] = (ok, now + CACHE_SECONDS)
        return ok
