"""The base of the Store's read mixins (posts.py, alerts.py): what they need of the Store."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Reads:
    """What the read mixins need of the Store they are mixed into."""

    engine: AsyncEngine

    def _write(
        self, urgent: bool = False, *, carry: bool = True
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        raise NotImplementedError

    async def flush(self) -> None:
        raise NotImplementedError
