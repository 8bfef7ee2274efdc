"""Worker mode's tally: what the workers' source patrols found, until a scheduler counts it.

A worker adds one row per source patrol when its job ends (after the job's fetch records).
The leading scheduler counts them at each tick for its report, its log line and its metrics,
and counting deletes what it returns: a row is counted once, by whichever scheduler leads,
and a new leader takes up what the last one left. Time windows over the fetch or post tables
could not give that: their rows are written after the times they carry (a fetch record when
its job ends, a post when its transaction commits), so a window closed meanwhile misses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy import delete

from sentinel.store.engine import translate_errors
from sentinel.store.schema import patrol_tally
from sentinel.store.store import Store


@dataclass(frozen=True, kw_only=True, slots=True)
class PatrolTally:
    """One source patrol, as a worker finished it."""

    source_id: str
    finished_at: datetime
    ok: bool
    error_kind: str | None
    pages: int
    details: int
    not_modified: int
    posts_new: int
    stories_new: int


_CLAIM = (
    delete(patrol_tally)
    .returning(*(patrol_tally.c[f.name] for f in fields(PatrolTally)))
    .execution_options(synchronize_session=False)
)


async def record_patrols(store: Store, rows: Sequence[PatrolTally]) -> None:
    if not rows:
        return
    async with store.transaction() as tx:
        with translate_errors("recording the patrols' tally"):
            await tx.connection.execute(patrol_tally.insert(), [asdict(r) for r in rows])


async def count_patrols(store: Store) -> list[PatrolTally]:
    """The patrols finished since the last count (by any scheduler), in the order finished."""
    async with store.transaction() as tx:
        with translate_errors("counting the workers' patrols"):
            result = await tx.connection.execute(_CLAIM)
            rows = [PatrolTally(**row._mapping) for row in result]
    return sorted(rows, key=lambda r: r.finished_at)
