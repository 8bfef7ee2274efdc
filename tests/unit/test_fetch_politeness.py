"""Per-host politeness rules, on an injected clock: no timing in these tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from sentinel.fetch.politeness import Backoff, HostState, Politeness, parse_retry_after


class FakeTime:
    def __init__(self, start: float = 50.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))


def test_reserve_spaces_starts_by_the_rate() -> None:
    gate = Politeness()
    st = HostState()
    assert [gate.reserve(st, 5.0, 10.0, 30.0) for _ in range(4)] == pytest.approx(
        [0.0, 0.2, 0.4, 0.6]
    )
    # After a quiet spell the next request goes at once: no burst credit is stored up.
    assert gate.reserve(st, 5.0, 20.0, 30.0) == 0.0
    assert gate.reserve(st, 5.0, 20.0, 30.0) == pytest.approx(0.2)


async def test_acquire_queues_slots_for_waiting_requests() -> None:
    t = FakeTime()
    gate = Politeness(clock=t.clock, sleep=t.sleep)
    states = await asyncio.gather(
        *(gate.acquire("a.example", rate=4.0, concurrency=10, max_wait=5.0) for _ in range(5))
    )
    assert sorted(t.sleeps) == pytest.approx([0.25, 0.5, 0.75, 1.0])
    for st in states:
        gate.release(st)
    assert gate.state("a.example").active == 0


async def test_hosts_are_independent() -> None:
    t = FakeTime()
    gate = Politeness(clock=t.clock, sleep=t.sleep)
    await gate.acquire("a.example", rate=1.0, concurrency=1, max_wait=5.0)
    # a.example is full and its next slot is a second away; b.example does not wait.
    await gate.acquire("b.example", rate=1.0, concurrency=1, max_wait=5.0)
    assert t.sleeps == []


async def test_concurrency_limit_blocks_until_release() -> None:
    gate = Politeness()
    first = await gate.acquire("h", rate=1e6, concurrency=2, max_wait=5.0)
    await gate.acquire("h", rate=1e6, concurrency=2, max_wait=5.0)
    third = asyncio.ensure_future(gate.acquire("h", rate=1e6, concurrency=2, max_wait=5.0))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done() and gate.state("h").active == 2
    gate.release(first)
    await asyncio.wait_for(third, 1)
    assert gate.state("h").active == 2


async def test_cancelled_waiter_passes_its_turn_on() -> None:
    gate = Politeness()
    held = await gate.acquire("h", rate=1e6, concurrency=1, max_wait=5.0)
    a = asyncio.ensure_future(gate.acquire("h", rate=1e6, concurrency=1, max_wait=5.0))
    b = asyncio.ensure_future(gate.acquire("h", rate=1e6, concurrency=1, max_wait=5.0))
    await asyncio.sleep(0)
    gate.release(held)  # hands the slot to a …
    a.cancel()  # … which gives up before it runs
    with pytest.raises(asyncio.CancelledError):
        await a
    await asyncio.wait_for(b, 1)
    assert gate.state("h").active == 1 and not gate.state("h").waiters


def test_refusal_sets_not_before() -> None:
    gate = Politeness()
    st = HostState()
    assert gate.refused(st, 429, 30.0, 100.0) == 30.0
    assert gate.reserve(st, 10.0, 110.0, 60.0) == pytest.approx(20.0)
    with pytest.raises(Backoff) as e:
        gate.reserve(st, 10.0, 110.0, 5.0)
    assert e.value.status == 429 and e.value.remaining == pytest.approx(20.0)


def test_refusal_without_retry_after_backs_off_exponentially() -> None:
    gate = Politeness()
    st = HostState()
    assert [gate.refused(st, 503, None, 0.0) for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    for _ in range(20):
        gate.refused(st, 503, None, 0.0)
    assert gate.refused(st, 503, None, 0.0) == 300.0
    gate.answered(st)
    assert gate.refused(st, 503, None, 0.0) == 1.0


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Fri, 20 Nov 2026 08:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Fri, 20 Nov 2026 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("9999999") == 86_400.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
