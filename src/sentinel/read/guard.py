"""Big pages extracted in a child process with bounded memory and CPU.

The bounds in extract/ (tame.py, limits.py) stop every hostile shape found so far, but lexbor
can still grow one text node by copying it in ways not yet seen (a 269 KB run of whitespace in
a <tbody>: 464 MB). A page small enough cannot cost much, whatever it holds; a page over
GUARD_BYTES is extracted by a Guard: in a long-lived child whose address space and CPU are
limited for each page, so a page that would take the patrol's memory or stall it becomes that
page's ExtractError instead. Small pages, nearly all of them, pay nothing: they never leave the
calling thread.

One Guard serves the whole process (`default_guard()`); whatever runs an event loop stops it
when it ends (`shutdown()`, from cli_common.run and the scout), and Linux ends the child with
its parent when that one is killed, so no child outlives the process that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from sentinel.errors import ExtractError
from sentinel.read.procmem import reset_peak, sizes

# The same threshold as the move off the event loop: under it a page costs little.
GUARD_BYTES = 256 * 1024
# Memory one page may add to the child (issue 15: no call over 300 MB). It is counted from
# what the child holds when the page arrives (its imports, and whatever earlier pages left in
# its heap), not from its start, so the child's own size never eats a page's budget: each
# page's address space limit is set to the child's size at that moment plus this. Address
# space, not resident memory, is what Linux can refuse an allocation on; it counts what the
# page maps whether or not it touches it, so resident growth stays under it. A real 8 MB page
# takes well under 200 MB to extract.
GUARD_MEMORY = 300 * 1024 * 1024
# CPU seconds one page may take in the child (extraction itself stops its item loop after
# PAGE_BUDGET; this is for a parse that never returns to it).
GUARD_CPU = 10.0

# A peak this close to the limit means an allocation failed on the way.
_NEAR_LIMIT = 32 * 1024 * 1024
_PR_SET_PDEATHSIG = 1  # linux/prctl.h

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cost:
    """What one page took in the child."""

    cpu: float  # seconds
    peak: int | None  # bytes of resident memory at its peak over what the child held before


class PageTooBig(MemoryError):
    """The page needed more than a page's memory (raised in the child, with what it took)."""

    def __init__(self, cost: Cost) -> None:
        super().__init__(cost)
        self.cost = cost


# ------------------------------------------------------------------ in the child


_running: Any = None  # shared with the caller: the token of the page this child reads
_started = 0  # the child's size once its imports are done


def _start_child(parent: int, running: Any) -> None:
    global _running, _started
    _running = running
    # Linux kills this child when the thread that started it ends, however it ends (the
    # process killed, a crash): an idle child would otherwise wait on its queue forever. The
    # pool is started by whoever submits first, the event loop's thread in the service.
    with contextlib.suppress(OSError, AttributeError):  # no prctl: not Linux
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(0)
    # imported here so that the child's size counts them before its first page
    import sentinel.extract
    import sentinel.read.pages  # noqa: F401

    _started = sizes()["VmSize"]


def _read(
    token: int, fn: Callable[..., T], args: tuple[object, ...], memory: int, cpu: float
) -> tuple[T, Cost, bool]:
    """fn(*args) under this page's limits: its result, what it took, and whether the child
    should be replaced before the next page (see below)."""
    from sentinel.extract.html import forget_parsed

    assert _running is not None
    _running.value = token
    before = sizes()
    limit = before["VmSize"] + memory
    reset = reset_peak()
    given = resource.getrlimit(resource.RLIMIT_AS)
    for bound in given:  # a lower limit set by whoever started the service holds
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    resource.setrlimit(resource.RLIMIT_AS, (limit, given[1]))
    used = time.process_time()
    # SIGPROF's default action ends the process: past `cpu` seconds, wherever it is (a parse
    # in C never returns to Python to be interrupted otherwise)
    signal.setitimer(signal.ITIMER_PROF, cpu)
    try:
        result = fn(*args)
    except Exception as e:
        failure: Exception | None = e
    else:
        failure = None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_AS, given)
        forget_parsed()  # the page's tree: no later page of this child is the same Page
        _running.value = 0
    after = sizes()
    cost = Cost(
        cpu=time.process_time() - used,
        peak=after["VmHWM"] - before["VmRSS"] if reset else None,
    )
    # lexbor reports a failed allocation as a failed parse ("Can't parse HTML"), which
    # extraction turns into another error or no items: a page whose address space came near
    # the limit ran out, whatever it says. VmPeak is the child's peak since it started, so it
    # tells of this page only when it rose during it.
    if after["VmPeak"] > max(limit - _NEAR_LIMIT, before["VmPeak"]):
        raise PageTooBig(cost) from failure
    if failure is not None:
        raise failure
    # Replaced: a child whose past peak stands so far above its size that the next page's
    # limit would lie below it (that page's breach would not show in VmPeak), or that keeps
    # more than a page's memory over what it started with (its heap broken up by big pages).
    retire = (
        after["VmPeak"] > after["VmSize"] + memory - _NEAR_LIMIT
        or after["VmSize"] > _started + memory
    )
    return result, cost, retire


# ------------------------------------------------------------------ in the caller


@dataclass(eq=False)
class _Child:
    pool: ProcessPoolExecutor
    running: Any  # a shared c_int64: the token of the page the child reads, 0 between pages


class Guard:
    """Extracts pages in a child process, each page within `memory` bytes and `cpu` seconds.

    A page past either is that page's ExtractError (naming the source and URL), and the child
    is replaced; the pages queued behind it are read by the next one.
    """

    def __init__(self, *, memory: int = GUARD_MEMORY, cpu: float = GUARD_CPU) -> None:
        self.memory = memory
        self.cpu = cpu
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._tokens = itertools.count(1)

    def _get_child(self) -> _Child:
        with self._lock:
            if self._child is None:
                # spawn, not fork: the caller runs an event loop and threads
                ctx = multiprocessing.get_context("spawn")
                running = ctx.RawValue("q", 0)
                pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=ctx,
                    initializer=_start_child,
                    initargs=(os.getpid(), running),
                )
                self._child = _Child(pool, running)
            return self._child

    def _drop(self, child: _Child) -> None:
        """The next page starts a new child; this one finishes the pages it has queued (a
        broken one has failed them already) and ends."""
        with self._lock:
            if self._child is child:
                self._child = None
        child.pool.shutdown(wait=False)

    def shutdown(self) -> None:
        """Stop the child, once the page it reads is done (a later page starts a new one)."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.pool.shutdown(wait=True, cancel_futures=True)

    def _submit(
        self, fn: Callable[..., T], args: tuple[object, ...]
    ) -> tuple[_Child, int, Future[Any]]:
        token = next(self._tokens)
        while True:
            child = self._get_child()
            try:
                return (
                    child,
                    token,
                    child.pool.submit(_read, token, fn, args, self.memory, self.cpu),
                )
            except (BrokenProcessPool, RuntimeError):  # broken or dropped by another page
                self._drop(child)

    def _breach(self, child: _Child, token: int, e: BaseException, retried: bool) -> str | None:
        """Why the page is refused, or None when it only queued behind the page that broke the
        child (it is read again, once, by the next)."""
        self._drop(child)  # a child that ran out is not worth keeping, nor what lexbor left in it
        if isinstance(e, MemoryError):
            return f"page needs more than {self.memory >> 20} MB to read"
        if child.running.value == token or retried:
            return f"page reading stopped (over {self.memory >> 20} MB or {self.cpu:g} s of CPU)"
        return None

    def cost(self, source_id: str, url: str, fn: Callable[..., T], *args: object) -> tuple[T, Cost]:
        """fn(*args) in the child, and what it took there. A breach is an ExtractError naming
        the source and `url`, caused by a PageTooBig (with what it took) or a BrokenProcessPool.
        """
        retried = False
        while True:
            child, token, future = self._submit(fn, args)
            try:
                result, cost, retire = future.result()
            except (MemoryError, BrokenProcessPool) as e:
                why = self._breach(child, token, e, retried)
                if why is not None:
                    raise ExtractError(why, url=url, source_id=source_id) from e
                retried = True
                continue
            if retire:
                self._drop(child)
            return result, cost

    async def run(self, source_id: str, url: str, fn: Callable[..., T], *args: object) -> T:
        """fn(*args) in the child, the event loop free meanwhile; a breach as in cost()."""
        retried = False
        while True:
            child, token, future = self._submit(fn, args)
            try:
                result, _, retire = await asyncio.wrap_future(future)
            except (MemoryError, BrokenProcessPool) as e:
                why = self._breach(child, token, e, retried)
                if why is not None:
                    raise ExtractError(why, url=url, source_id=source_id) from e
                retried = True
                continue
            if retire:
                self._drop(child)
            return result  # type: ignore[no-any-return]


_default: Guard | None = None
_default_lock = threading.Lock()


def default_guard() -> Guard:
    """The process's Guard, with the default limits."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Guard()
        return _default


def shutdown() -> None:
    """Stop the process's Guard's child, if it has one (a later big page starts a new one)."""
    with _default_lock:
        guard = _default
    if guard is not None:
        guard.shutdown()
