"""Cutting a patrol's reads at shutdown, and nothing else.

A hanging site holds its read for up to the HTTP deadline; a service asked to stop must not wait
for it. Reads (list pages, detail pages, the scouts' answers) run inside `reading()`; `cut()`
cancels those in flight, and every read after it fails at once, as `Interrupted`. Matching,
clustering and writes never run inside `reading()`, so a cut never interrupts a transaction:
what was read before the cut is stored whole, and the sources cut are patrolled again at the
next start (the daemon records only the sources that finished).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sentinel.errors import Interrupted

KIND = Interrupted.__name__  # the error kind a cut source is reported under


class Cut:
    def __init__(self) -> None:
        self.done = False
        self._reading: set[asyncio.Task[object]] = set()

    def cut(self) -> None:
        """Cancel the reads in flight; later reads fail at once."""
        self.done = True
        for task in list(self._reading):
            task.cancel()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        if self.done:
            raise Interrupted("not read: the service is stopping")
        task = asyncio.current_task()
        assert task is not None
        self._reading.add(task)
        try:
            yield
        except asyncio.CancelledError:
            # our own cancel becomes an ordinary failure of this source; anyone else's stands
            if self.done and task.uncancel() == 0:
                raise Interrupted("read cut short: the service is stopping") from None
            raise
        finally:
            self._reading.discard(task)
