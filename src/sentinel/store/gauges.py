"""What a metrics scrape reads from the database: counts now, not counters since a start.

Sources by health, alerts by state and overdue, the outbox and digest queues. Read at each
scrape, so every process that serves /metrics (the daemon's desk, `sentinel web`) reports the
same figures whoever did the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from sentinel.store.engine import translate_errors
from sentinel.store.schema import alert, digest, outbox, source
from sentinel.store.store import Store
from sentinel.store.tx import TERMINAL_STATES


@dataclass(frozen=True, slots=True)
class Reading:
    sources_by_health: dict[str, int] = field(default_factory=dict)
    sources_failing: int = 0  # at least one failure since their last success
    alerts_by_state: dict[str, int] = field(default_factory=dict)
    alerts_overdue: int = 0  # open alerts with a step the last sweep found past its deadline
    queued: dict[str, int] = field(default_factory=dict)  # not sent yet, per table
    failing: dict[str, int] = field(default_factory=dict)  # not sent, and the last try failed


async def read(store: Store) -> Reading:
    await store.flush()
    with translate_errors("reading figures for /metrics"):
        async with store.engine.connect() as conn:
            q = select(source.c.health, func.count()).group_by(source.c.health)
            health = {str(k): int(v) for k, v in (await conn.execute(q)).all()}
            failing_sources = (
                await conn.execute(select(func.count()).where(source.c.consecutive_failures > 0))
            ).scalar_one()
            q = select(alert.c.state, func.count()).group_by(alert.c.state)
            states = {str(k): int(v) for k, v in (await conn.execute(q)).all()}
            # the overdue steps are a JSON list: counted here, the same on every backend
            overdue_lists = (
                await conn.execute(
                    select(alert.c.overdue).where(alert.c.state.not_in(TERMINAL_STATES))
                )
            ).scalars()
            overdue = sum(1 for steps in overdue_lists if steps)
            queued: dict[str, int] = {}
            failing: dict[str, int] = {}
            for name, table in (("outbox", outbox), ("digest", digest)):
                pending = table.c.sent_at.is_(None)
                queued[name] = (
                    await conn.execute(select(func.count()).where(pending))
                ).scalar_one()
                failing[name] = (
                    await conn.execute(
                        select(func.count()).where(pending, table.c.last_error.is_not(None))
                    )
                ).scalar_one()
    return Reading(
        sources_by_health=health,
        sources_failing=int(failing_sources),
        alerts_by_state=states,
        alerts_overdue=overdue,
        queued=queued,
        failing=failing,
    )


async def reachable(store: Store) -> None:
    """Raise StoreError when the database does not answer a trivial query."""
    with translate_errors("checking the database"):
        async with store.engine.connect() as conn:
            await conn.execute(select(1))
