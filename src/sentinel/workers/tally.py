"""Worker mode's count of what was patrolled: a worker's source reports go into the store's
tally (store/worklog.py), and the leading scheduler reads them back as one PatrolReport, which
its tick reports and its metrics count as one process counts its own patrol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sentinel.pipeline import PatrolReport, SourceReport
from sentinel.store import Store
from sentinel.store.worklog import PatrolTally, count_patrols, record_patrols


async def record(store: Store, reports: Sequence[SourceReport], *, at: datetime) -> None:
    await record_patrols(
        store,
        [
            PatrolTally(
                source_id=r.source_id,
                finished_at=at,
                ok=r.ok,
                error_kind=r.error_kind,
                pages=r.pages,
                details=r.details,
                not_modified=r.not_modified,
                posts_new=r.posts_new,
                stories_new=r.stories_new,
            )
            for r in reports
        ],
    )


async def patrolled(store: Store) -> PatrolReport:
    """What the workers patrolled since the last count; counting it takes it off the tally."""
    return PatrolReport(
        sources=tuple(
            SourceReport(
                source_id=t.source_id,
                ok=t.ok,
                error_kind=t.error_kind,
                pages=t.pages,
                details=t.details,
                not_modified=t.not_modified,
                posts_new=t.posts_new,
                stories_new=t.stories_new,
            )
            for t in await count_patrols(store)
        )
    )
