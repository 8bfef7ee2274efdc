"""Worker mode's shared per-host state on a real PostgreSQL: two stores stand for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise

import pytest

from sentinel.fetch.robots import Answer
from sentinel.store import Store
from sentinel.store.hostshare import SharedPace, SharedRobots

pytestmark = pytest.mark.postgres


@pytest.fixture
async def stores(db_url: str) -> AsyncIterator[tuple[Store, Store]]:
    if not db_url.startswith("postgresql"):
        pytest.skip("worker mode's shared state is PostgreSQL only")
    a = await Store.open(db_url)
    await a.upgrade()
    b = await Store.open(db_url)
    try:
        yield a, b
    finally:
        await b.close()
        await a.close()


async def test_slots_of_one_host_are_a_gap_apart_whoever_claims_them(
    stores: tuple[Store, Store],
) -> None:
    a, b = (SharedPace(s) for s in stores)
    gap = 10.0  # far above the time the claims take, so the order of the slots is plain
    waits = await asyncio.gather(*(p.reserve("forum.example", gap) for p in (a, b, a, b, a)))
    waits.sort()
    assert waits[0] < 1.0  # the first request goes at once
    # each later claim waits one more gap (less the moments between the claims)
    for before, after in pairwise(waits):
        assert gap - 1.0 < after - before <= gap + 0.001
    # another host is not held up by this one
    assert await b.reserve("other.example", gap) < 1.0


async def test_robots_txt_is_fetched_once_for_every_process(stores: tuple[Store, Store]) -> None:
    a, b = (SharedRobots(s, poll=0.02) for s in stores)
    fetched = 0

    async def fetch() -> Answer:
        nonlocal fetched
        fetched += 1
        await asyncio.sleep(0.2)  # the others arrive while it is being fetched
        return "User-agent: *\nDisallow: /private/\n", 3600.0

    answers = await asyncio.gather(*(r.answer("http://forum.example", fetch) for r in (a, b) * 4))
    assert fetched == 1
    assert {body for body, _ in answers} == {"User-agent: *\nDisallow: /private/\n"}
    assert all(0 < ttl <= 3600.0 for _, ttl in answers)
    # a host whose robots.txt is missing: kept as "everything allowed", also fetched once
    missing = await a.answer("http://other.example", lambda: _answer(None, 3600.0))
    assert missing[0] is None
    assert (await b.answer("http://other.example", fetch))[0] is None
    assert fetched == 1


async def test_a_failed_fetch_lets_the_next_process_fetch(stores: tuple[Store, Store]) -> None:
    a, b = (SharedRobots(s, poll=0.02) for s in stores)

    async def broken() -> Answer:
        raise RuntimeError("cut off")

    with pytest.raises(RuntimeError):
        await a.answer("http://forum.example", broken)
    # the claim was released: b fetches now, not after the claim's hold
    body, _ = await asyncio.wait_for(
        b.answer("http://forum.example", lambda: _answer("User-agent: *\n", 60.0)), 10
    )
    assert body == "User-agent: *\n"


async def test_an_expired_answer_is_fetched_again(stores: tuple[Store, Store]) -> None:
    a, b = (SharedRobots(s) for s in stores)
    assert (await a.answer("http://forum.example", lambda: _answer("old", 0.0)))[0] == "old"
    assert (await b.answer("http://forum.example", lambda: _answer("new", 60.0)))[0] == "new"
    assert (await a.answer("http://forum.example", lambda: _answer("newer", 60.0)))[0] == "new"


async def _answer(body: str | None, ttl: float) -> Answer:
    return body, ttl
