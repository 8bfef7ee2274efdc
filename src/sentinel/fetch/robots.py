"""robots.txt, fetched once per host and kept for a day.

What an answer means (RFC 9309, with one deliberate difference):
- 2xx: the rules, parsed by protego, for `TTL` (24 h).
- 4xx other than 429 (401/403/404/410 …): no rules — everything allowed, for `TTL`.
- 5xx, 429, timeout, refused connection, an oversized file: everything allowed, for `ERROR_TTL`
  (1 h), then asked again. RFC 9309 says to assume "disallow all" here; we read public pages at
  a low rate, and a site whose robots.txt is broken is far more often misconfigured than asking
  to be left alone, so a monitor that went blind on it would fail its operator. The site's own
  rate limits and 429/503 answers are still honoured by politeness.

Concurrent first requests to one host share a single robots.txt fetch. With a `SharedRobots`
(worker mode) every process shares it too: one of them fetches, the others read its answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from protego import Protego

from sentinel.errors import FetchError, HTTPStatusError
from sentinel.fetch.page import FetchPolicy, Page

log = logging.getLogger(__name__)

TTL = 24 * 3600.0
ERROR_TTL = 3600.0

Fetch = Callable[[str, FetchPolicy], Awaitable[Page]]
# robots.txt's text (None: everything allowed) and how many seconds that answer holds
Answer = tuple[str | None, float]


class SharedRobots(Protocol):
    """The robots.txt answers of every process (worker mode keeps them in PostgreSQL)."""

    async def answer(self, origin: str, fetch: Callable[[], Awaitable[Answer]]) -> Answer:
        """The origin's answer while it holds; else `fetch()`'s, by one process for all."""
        ...


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups name: "SentinelBot" in "SentinelBot/0.1 (…)"."""
    token = user_agent.split("/", 1)[0].split(None, 1)
    return token[0] if token else "SentinelBot"


class RobotsCache:
    """Parsed robots.txt per origin (scheme://host:port), with expiry."""

    def __init__(self, fetch: Fetch, *, agent: str, clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._agent = agent
        self._clock = clock
        self._rules: dict[str, tuple[Protego | None, float]] = {}
        self._pending: dict[str, asyncio.Task[Protego | None]] = {}
        self.shared: SharedRobots | None = None

    async def allowed(self, origin: str, url: str, policy: FetchPolicy) -> bool:
        rules = await self.rules(origin, policy)
        return rules is None or bool(rules.can_fetch(url, self._agent))

    async def rules(self, origin: str, policy: FetchPolicy) -> Protego | None:
        """The origin's rules; None means everything is allowed."""
        hit = self._rules.get(origin)
        if hit is not None and hit[1] > self._clock():
            return hit[0]
        task = self._pending.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._load(origin, policy))
            self._pending[origin] = task
            task.add_done_callback(lambda _t: self._pending.pop(origin, None))
        # shield: one caller giving up (cancelled) must not cancel the fetch the others await
        return await asyncio.shield(task)

    async def aclose(self) -> None:
        """Cancel robots.txt fetches still under way."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _load(self, origin: str, policy: FetchPolicy) -> Protego | None:
        if self.shared is None:
            body, ttl = await self._answer(origin, policy)
        else:
            body, ttl = await self.shared.answer(origin, lambda: self._answer(origin, policy))
        rules = Protego.parse(body) if body is not None else None
        self._rules[origin] = (rules, self._clock() + ttl)
        return rules

    async def _answer(self, origin: str, policy: FetchPolicy) -> Answer:
        url = origin + "/robots.txt"
        plain = replace(policy, robots=False, headers=())
        try:
            page = await self._fetch(url, plain)
        except HTTPStatusError as e:
            if not 400 <= e.status < 500 or e.status == 429:
                return None, ERROR_TTL
        except FetchError as e:
            log.debug("robots.txt unavailable, allowing all: %s (%s)", url, e.kind)
            return None, ERROR_TTL
        else:
            if 200 <= page.status < 300:
                return page.body.decode("utf-8", errors="replace"), TTL
        return None, TTL
