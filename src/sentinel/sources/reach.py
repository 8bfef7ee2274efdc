"""A source's reach: its proxy, headers and cookies, with `{env: NAME}` values read now.

Read at patrol time rather than at load time so a secret rotated in the environment of a
running daemon is used at the next patrol, and a missing one fails that source alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sentinel.config.models import EnvRef, Reach, Source, check_proxy
from sentinel.errors import ConfigError


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceReach:
    proxy: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()


def reach(source: Source, environ: Mapping[str, str] | None = None) -> SourceReach:
    """The source's proxy, headers and cookies; ConfigError naming the source and the variable
    when one of them comes from an environment variable that is not set."""
    env = os.environ if environ is None else environ

    def value(v: Reach, what: str) -> str:
        if isinstance(v, EnvRef):
            found = env.get(v.env)
            if found is None:
                raise ConfigError(
                    f"source {source.id!r}: {what} comes from the environment variable "
                    f"{v.env}, which is not set"
                )
            return found
        return v

    proxy = value(source.proxy, "proxy") if source.proxy is not None else None
    if proxy is not None and isinstance(source.proxy, EnvRef):
        try:
            check_proxy(proxy)
        except ValueError as e:
            raise ConfigError(f"source {source.id!r}: ${source.proxy.env}: {e}") from None
    return SourceReach(
        proxy=proxy,
        headers=tuple((k, value(v, f"header {k}")) for k, v in source.headers.items()),
        cookies=tuple((k, value(v, f"cookie {k}")) for k, v in source.cookies.items()),
    )


def own_hosts(source: Source) -> frozenset[str]:
    """Hosts whose post pages the source may fetch: its list URLs' hosts and `hosts:`."""
    listed = (urlsplit(u).hostname for u in source.list_urls)
    return frozenset(h.lower() for h in listed if h) | frozenset(source.hosts)


def on_site(source: Source, url: str, hosts: frozenset[str] | None = None) -> bool:
    """Whether `url` is on one of the source's own hosts (`hosts`: own_hosts(source), when a
    caller checks many URLs of one source and has them already)."""
    return (urlsplit(url).hostname or "").lower() in (hosts or own_hosts(source))
