"""The courier: sends what the outbox holds beside the patrol, as soon as a push is committed.

A critical push is written in the story's own transaction (the outbox); waiting for the end of
the patrol to send it would hold it for as long as the slowest site takes, up to the HTTP
deadline. The store calls `wake()` after each commit that queued a push, and the courier runs
the dispatcher at once, while the patrol goes on. Every dispatch of the daemon (the tick's too)
goes through `deliver()`, one at a time, so two of them never fan out or send the same row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from sentinel.daemon.dispatch import DispatchReport

log = logging.getLogger(__name__)


class Courier:
    def __init__(self, dispatch: Callable[[], Awaitable[DispatchReport]]) -> None:
        self._dispatch = dispatch
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.totals = DispatchReport()  # every dispatch so far, for the ticks' reports

    def since(self, before: DispatchReport) -> DispatchReport:
        """What was dispatched since `totals` was `before` (a tick's share, its pushes too)."""
        now = self.totals
        return DispatchReport(
            sent=now.sent - before.sent,
            failed=now.failed - before.failed,
            skipped=now.skipped - before.skipped,
        )

    def wake(self) -> None:
        """A push was committed: send it now (called by the store, on the event loop)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="sentinel-courier")

    async def deliver(self) -> DispatchReport:
        """One dispatch of everything due, after the one running (if any) ends."""
        async with self._lock:
            report = await self._dispatch()
            t = self.totals
            self.totals = DispatchReport(
                sent=t.sent + report.sent,
                failed=t.failed + report.failed,
                skipped=t.skipped + report.skipped,
            )
            return report

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No dispatch runs inside the block (the daemon swaps its store there)."""
        async with self._lock:
            yield

    async def stop(self) -> None:
        """Let a running dispatch finish (each send is bounded by its channel's timeout)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        await task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                report = await self.deliver()
            except Exception:
                # the tick's dispatch and the next push try again; the row stays in the outbox
                log.exception("sending the outbox beside the patrol failed")
                continue
            if report.sent or report.failed:
                log.info("courier: sent %d, failed %d", report.sent, report.failed)
