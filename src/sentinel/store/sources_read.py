"""The Store's reads of source health: each source's state, and its raised/cleared events.
Mixed into Store (store.py)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select

from sentinel.sources.health import Health
from sentinel.sources.health import State as HealthState
from sentinel.store.engine import translate_errors
from sentinel.store.reads import Reads
from sentinel.store.records import (
    SourceEvent,
    SourceStatus,
)
from sentinel.store.schema import (
    source,
    source_event,
)


class SourceReads(Reads):
    async def source_health(self, ids: Collection[str] | None = None) -> dict[str, Health]:
        """Each known source's health (or these sources'), to fold the next patrol's
        observation into."""
        await self.flush()
        q = select(
            source.c.id,
            source.c.health,
            source.c.health_reason,
            source.c.health_failures,
            source.c.had_items,
            source.c.had_titles,
            source.c.had_dates,
        )
        if ids is not None:
            q = q.where(source.c.id.in_(list(ids)))
        with translate_errors("reading source health"):
            async with self.engine.connect() as conn:
                return {
                    sid: Health(
                        state=HealthState(state),
                        reason=reason,
                        failures=failures,
                        had_items=bool(items),
                        had_titles=bool(titles),
                        had_dates=bool(dates),
                    )
                    for sid, state, reason, failures, items, titles, dates in await conn.execute(q)
                }

    async def source_events(self, *, since: datetime | None = None) -> list[SourceEvent]:
        """Health raised and cleared, oldest first."""
        await self.flush()
        q = select(source_event).order_by(source_event.c.at, source_event.c.id)
        if since is not None:
            q = q.where(source_event.c.at >= since)
        with translate_errors("reading source events"):
            async with self.engine.connect() as conn:
                return [
                    SourceEvent(
                        source_id=m["source_id"],
                        at=m["at"],
                        kind=m["kind"],
                        state=m["state"],
                        reason=m["reason"],
                    )
                    for m in (await conn.execute(q)).mappings()
                ]

    async def sources_status(self) -> list[SourceStatus]:
        await self.flush()
        q = select(source).order_by(source.c.id)
        with translate_errors("reading source status"):
            async with self.engine.connect() as conn:
                rows = (await conn.execute(q)).mappings().all()
        return [
            SourceStatus(
                source_id=r["id"],
                kind=r["kind"],
                url=r["url"],
                last_fetch_at=r["last_fetch_at"],
                last_status=r["last_status"],
                last_error=r["last_error"],
                last_error_kind=r["last_error_kind"],
                items_last=r["items_last"],
                consecutive_failures=r["consecutive_failures"],
                last_ok_at=r["last_ok_at"],
                health=r["health"],
                health_since=r["health_since"],
                health_reason=r["health_reason"],
            )
            for r in rows
        ]
