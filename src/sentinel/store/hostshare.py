"""Per-host state every worker-mode process shares through PostgreSQL: the politeness rate and
robots.txt (the fetcher's `SharedPace` and `SharedRobots`).

Times are the database's (`clock_timestamp()`), never a process's: the workers' clocks may
disagree, the one database does not. Each statement runs on its own (autocommit), one round
trip, and no row stays locked while anything is fetched.

- Pace: one row per host holds its next free start. A request claims it with one upsert that
  moves it `1/rate` on and answers how long to wait, so requests from any number of processes
  start at least `1/rate` apart, whichever lock the jobs have. One claim costs ~0.3 ms of CPU
  (~0.8 ms wall) here; carrying the next start in the job instead (read when a job starts,
  written when it ends) costs ~0.7 ms a job and holds only while one job of a host runs at a
  time (`workers.lock: host`). Most jobs are a feed's one request, so the claim costs less.
- robots.txt: one row per origin with its text and expiry. A process finding none (or an expired
  one) claims the row for `HOLD` and fetches; the others poll the row until the answer is there.
  A claimant that dies leaves a claim that lapses after `HOLD`, and the next process fetches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from sentinel.fetch.robots import Answer
from sentinel.store.engine import translate_errors
from sentinel.store.store import Store

HOLD = 60.0  # seconds a robots.txt claim lasts (a fetch takes far less): what a dead claimant costs
POLL = 0.2  # seconds between looks at a robots.txt another process is fetching

_RESERVE = text(
    "INSERT INTO host_pace AS p (host, next_start) "
    "VALUES (:host, clock_timestamp() + make_interval(secs => CAST(:gap AS float8))) "
    "ON CONFLICT (host) DO UPDATE SET next_start = greatest(p.next_start, clock_timestamp()) "
    "+ make_interval(secs => CAST(:gap AS float8)) "
    "RETURNING CAST(extract(epoch FROM p.next_start - clock_timestamp()) AS float8) "
    "- CAST(:gap AS float8)"
)

_READ = text(
    "SELECT body, CAST(extract(epoch FROM expires_at - clock_timestamp()) AS float8) "
    "FROM robots_cache WHERE origin = :origin AND expires_at > clock_timestamp()"
)
_CLAIM = text(
    "INSERT INTO robots_cache AS r (origin, claimed_until) "
    "VALUES (:origin, clock_timestamp() + make_interval(secs => CAST(:hold AS float8))) "
    "ON CONFLICT (origin) DO UPDATE SET claimed_until = excluded.claimed_until "
    "WHERE (r.expires_at IS NULL OR r.expires_at <= clock_timestamp()) "
    "AND (r.claimed_until IS NULL OR r.claimed_until <= clock_timestamp()) "
    "RETURNING origin"
)
_KEEP = text(
    "UPDATE robots_cache SET body = :body, fetched_at = clock_timestamp(), "
    "expires_at = clock_timestamp() + make_interval(secs => CAST(:ttl AS float8)), "
    "claimed_until = NULL WHERE origin = :origin"
)
_UNCLAIM = text("UPDATE robots_cache SET claimed_until = NULL WHERE origin = :origin")


def _autocommit(store: Store) -> AsyncEngine:
    return store.engine.execution_options(isolation_level="AUTOCOMMIT")


class SharedPace:
    """Each host's next start slot, claimed by every process."""

    def __init__(self, store: Store) -> None:
        self._engine = _autocommit(store)

    async def reserve(self, host: str, gap: float) -> float:
        with translate_errors(f"claiming a request slot on {host}"):
            async with self._engine.connect() as conn:
                wait = (await conn.execute(_RESERVE, {"host": host, "gap": gap})).scalar_one()
        return max(float(wait), 0.0)


class SharedRobots:
    """robots.txt per origin, fetched by one process for all of them."""

    def __init__(self, store: Store, *, hold: float = HOLD, poll: float = POLL) -> None:
        self._engine = _autocommit(store)
        self._hold = hold
        self._poll = poll

    async def answer(self, origin: str, fetch: Callable[[], Awaitable[Answer]]) -> Answer:
        while True:
            with translate_errors(f"reading robots.txt of {origin}"):
                async with self._engine.connect() as conn:
                    row = (await conn.execute(_READ, {"origin": origin})).first()
                    if row is not None:
                        return row[0], max(float(row[1]), 0.0)
                    claimed = (
                        await conn.execute(_CLAIM, {"origin": origin, "hold": self._hold})
                    ).first()
            if claimed is not None:
                return await self._fetch(origin, fetch)
            await asyncio.sleep(self._poll)  # another process is fetching it

    async def _fetch(self, origin: str, fetch: Callable[[], Awaitable[Answer]]) -> Answer:
        try:
            body, ttl = await fetch()
        except BaseException:
            # let the next process fetch at once rather than after the claim lapses
            with translate_errors(f"releasing robots.txt of {origin}"):
                async with self._engine.connect() as conn:
                    await conn.execute(_UNCLAIM, {"origin": origin})
            raise
        with translate_errors(f"keeping robots.txt of {origin}"):
            async with self._engine.connect() as conn:
                await conn.execute(_KEEP, {"origin": origin, "body": body, "ttl": ttl})
        return body, ttl
