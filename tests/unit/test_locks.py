"""PriorityLock: urgent waiters go first; order kept within each lane; cancellation is safe."""

from __future__ import annotations

import asyncio

import pytest

from sentinel.locks import PriorityLock


async def test_urgent_waiters_overtake_normal_ones_in_order() -> None:
    lock = PriorityLock()
    order: list[str] = []
    await lock.acquire()

    async def take(name: str, urgent: bool) -> None:
        async with lock.hold(urgent=urgent):
            order.append(name)

    tasks = [
        asyncio.create_task(take("n1", False)),
        asyncio.create_task(take("n2", False)),
        asyncio.create_task(take("u1", True)),
        asyncio.create_task(take("u2", True)),
    ]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["u1", "u2", "n1", "n2"]
    assert not lock.locked()


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = PriorityLock()
    await lock.acquire()
    waiting = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    lock.release()
    assert not lock.locked()
    await asyncio.wait_for(lock.acquire(urgent=True), timeout=1)
    assert lock.locked()


async def test_cancelled_just_as_the_lock_was_handed_over_passes_it_on() -> None:
    lock = PriorityLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # hands the lock to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, timeout=1)
    assert lock.locked()
    lock.release()
    assert not lock.locked()


def test_release_unlocked_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        PriorityLock().release()
