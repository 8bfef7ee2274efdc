"""Per-host politeness: how many requests at once, how often, and when the host said "later".

One `HostState` per host (host:port), shared by every source on it, so two sources on one forum
together stay within its limits. A request waits only on its own host's state; other hosts are
never held up.

- Concurrency: at most `policy.concurrency` requests in flight to the host. The limit is read per
  request (sources on one host may differ); a request waits while the host has that many or more.
- Rate: request starts are spaced at least `1 / policy.rate` seconds apart (a token bucket of
  depth one). Each request reserves the next free start slot, so a queue of N requests costs one
  arithmetic step each, not N timers re-polling.
- Backoff: a 429 or 503 sets a "not before" time on the host — `Retry-After` when given (seconds
  or an HTTP date, capped at a day), else 1, 2, 4 … 300 s for consecutive refusals. Later
  requests to the host wait for it when the wait fits within `max_wait` (the fetch timeout);
  longer waits fail fast with `Backoff`, so a patrol never sits for an hour on a sulking host,
  and the host sees no request before the time it asked for.
- Shared pace (worker mode): with a `SharedPace`, each request also claims the host's next start
  slot from one record every process shares, so the rate holds across workers and machines.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

MAX_RETRY_AFTER = 86_400.0
MAX_BACKOFF = 300.0


class Backoff(Exception):
    """The host asked us to wait longer than we are willing to wait now."""

    def __init__(self, remaining: float, status: int) -> None:
        self.remaining = remaining
        self.status = status
        super().__init__(f"host backing off for {remaining:.1f}s after HTTP {status}")


class SharedPace(Protocol):
    """The per-host start slots of every process (worker mode keeps them in PostgreSQL)."""

    async def reserve(self, host: str, gap: float) -> float:
        """Claim the host's next start slot, `gap` seconds after the last one; the seconds to
        wait for it."""
        ...


class HostState:
    """Everything politeness knows about one host."""

    __slots__ = ("active", "backoff_status", "next_start", "not_before", "strikes", "waiters")

    def __init__(self) -> None:
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.next_start = 0.0  # earliest start the rate allows the next request
        self.not_before = 0.0  # earliest start the host allows (Retry-After / backoff)
        self.backoff_status = 0
        self.strikes = 0  # consecutive 429/503 answers


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class Politeness:
    """The per-host states and the rules that use them. `clock` and `sleep` are injectable."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._hosts: dict[str, HostState] = {}
        self._clock = clock
        self._sleep = sleep
        self.shared: SharedPace | None = None

    def state(self, host: str) -> HostState:
        st = self._hosts.get(host)
        if st is None:
            st = self._hosts[host] = HostState()
        return st

    # -- rules (pure but for the state they update) ----------------------------------------------

    def reserve(self, st: HostState, rate: float, now: float, max_wait: float) -> float:
        """Claim the next start slot; return how long to wait for it.

        Raises Backoff (claiming nothing) when the host's "not before" is more than `max_wait` away.
        """
        remaining = st.not_before - now
        if remaining > max_wait:
            raise Backoff(remaining, st.backoff_status)
        start = max(now, st.next_start, st.not_before)
        st.next_start = start + 1.0 / rate
        return start - now

    def refused(self, st: HostState, status: int, retry_after: float | None, now: float) -> float:
        """Record a 429/503; return the seconds the host is now off limits."""
        st.strikes += 1
        wait = retry_after
        if wait is None:
            wait = min(2.0 ** (st.strikes - 1), MAX_BACKOFF)
        st.not_before = max(st.not_before, now + wait)
        st.backoff_status = status
        return wait

    @staticmethod
    def answered(st: HostState) -> None:
        """Any non-refusal answer ends the run of consecutive refusals."""
        st.strikes = 0

    # -- the gate ------------------------------------------------------------------------------

    async def acquire(
        self, host: str, *, rate: float, concurrency: int, max_wait: float
    ) -> HostState:
        """Wait for a concurrency slot, then for the rate/backoff slot. Pair with release()."""
        st = self.state(host)
        while st.active >= concurrency:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            st.waiters.append(fut)
            try:
                await fut
            except BaseException:
                if fut.done() and not fut.cancelled():
                    self._wake(st)  # we were handed the slot but will not use it: pass it on
                else:
                    st.waiters.remove(fut)
                raise
        st.active += 1
        try:
            delay = self.reserve(st, rate, self._clock(), max_wait)
            if delay > 0:
                await self._sleep(delay)
            if self.shared is not None:
                # after the local slot, so this process's own queue claims no shared slots early
                delay = await self.shared.reserve(host, 1.0 / rate)
                if delay > 0:
                    await self._sleep(delay)
        except BaseException:
            self.release(st)
            raise
        return st

    def release(self, st: HostState) -> None:
        st.active -= 1
        self._wake(st)

    @staticmethod
    def _wake(st: HostState) -> None:
        while st.waiters:
            fut = st.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
