"""Big pages extracted in a child process with bounded memory and CPU.

The bounds in extract/ (tame.py, limits.py) stop every hostile shape found so far, but lexbor
can still grow one text node by copying it in ways not yet seen (a 269 KB run of whitespace in
a <tbody>: 464 MB). A page small enough cannot cost much, whatever it holds; a page over
GUARD_BYTES is extracted in a long-lived child whose address space and CPU are limited, so a
page that would take the patrol's memory becomes that page's ExtractError instead. Small
pages, nearly all of them, pay nothing: they never leave the calling thread.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from sentinel.errors import ExtractError

# The same threshold as the move off the event loop: under it a page costs little.
GUARD_BYTES = 256 * 1024
# Address space a child may add to what it has after start-up (its imports): a real 8 MB page
# takes well under 200 MB to extract.
GUARD_MEMORY = 512 * 1024 * 1024
# CPU seconds one page may take in the child (extraction itself stops its item loop after
# PAGE_BUDGET; this is for a parse that never returns to it).
GUARD_CPU = 10

# A peak this close to the limit means an allocation failed on the way.
_NEAR_LIMIT = 32 * 1024 * 1024

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _vm_peak() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


_limit = 0  # the child's address space limit


def _limit_child(memory: int) -> None:
    global _limit
    # imported here so the limit is set above what the child needs anyway
    import sentinel.extract
    import sentinel.read.pages  # noqa: F401

    _limit = _vm_bytes() + memory
    resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))


def _timed(fn: Callable[..., T], args: tuple[object, ...]) -> tuple[T, float]:
    """fn(*args) in the child, under a CPU limit counted from now, and the CPU it took."""
    used = time.process_time()
    soft = int(used) + GUARD_CPU + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))  # SIGXCPU ends the child past it
    # lexbor reports a failed allocation as a failed parse ("Can't parse HTML"), which
    # extraction turns into another error or no items: the page ran out, whatever it says.
    # The child is replaced after that, so a peak near the limit is always this page's.
    try:
        result = fn(*args)
    except Exception as e:
        if _vm_peak() > _limit - _NEAR_LIMIT:
            raise MemoryError from e
        raise
    if _vm_peak() > _limit - _NEAR_LIMIT:
        raise MemoryError
    return result, time.process_time() - used


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the caller runs an event loop and threads
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_child,
                initargs=(GUARD_MEMORY,),
            )
        return _pool


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the child (a later big page starts a new one)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _breach(pool: ProcessPoolExecutor, e: BaseException, source_id: str, url: str) -> ExtractError:
    _drop_pool(pool)  # a child that ran out is not worth keeping, nor what lexbor left in it
    if isinstance(e, MemoryError):
        why = f"page needs more than {GUARD_MEMORY >> 20} MB to read"
    else:
        why = f"page reading stopped (over {GUARD_MEMORY >> 20} MB or {GUARD_CPU} s of CPU)"
    return ExtractError(why, url=url, source_id=source_id)


def guarded_cost(source_id: str, url: str, fn: Callable[..., T], *args: object) -> tuple[T, float]:
    """fn(*args) in the guarded child, and the CPU seconds it took there; a breach is an
    ExtractError naming the source and `url`."""
    pool = _get_pool()
    try:
        return pool.submit(_timed, fn, args).result()
    except (MemoryError, BrokenProcessPool) as e:
        raise _breach(pool, e, source_id, url) from e


def guarded(source_id: str, url: str, fn: Callable[..., T], *args: object) -> T:
    return guarded_cost(source_id, url, fn, *args)[0]


async def guarded_async(source_id: str, url: str, fn: Callable[..., T], *args: object) -> T:
    pool = _get_pool()
    try:
        result, _ = await asyncio.wrap_future(pool.submit(_timed, fn, args))
    except (MemoryError, BrokenProcessPool) as e:
        raise _breach(pool, e, source_id, url) from e
    return result
