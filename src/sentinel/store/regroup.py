"""The writes of merging two stories and splitting a post out of one, inside a transaction.

The workflow (workflow/regroup.py) decides which alert survives and writes the audit; this
module only moves rows. A regrouping also stamps `schedule_state["regroup"]`, so that a running
patrol, whose in-memory story index still holds the old grouping, rebuilds it at its next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from sentinel.store.engine import translate_errors
from sentinel.store.records import AlertRow
from sentinel.store.schema import hit, outbox, post, schedule_state, story
from sentinel.store.tx import Tx

REGROUP_KEY = "regroup"
_MAX_HOPS = 8  # a story merged into one merged into another…: far more than people make


async def story_of_post(tx: Tx, post_id: int) -> tuple[int | None, str, datetime] | None:
    """(story id, title, first seen) of a post; None when there is no such post."""
    q = select(post.c.story_id, post.c.title, post.c.first_seen_at).where(post.c.id == post_id)
    with translate_errors("reading a post"):
        row = (await tx.connection.execute(q)).first()
    if row is None:
        return None
    return (None if row[0] is None else int(row[0])), str(row[1]), row[2]


async def story_size(tx: Tx, story_id: int) -> int:
    q = select(func.count()).select_from(post).where(post.c.story_id == story_id)
    with translate_errors("counting a story's posts"):
        return int((await tx.connection.execute(q)).scalar_one())


async def post_topics(tx: Tx, post_id: int) -> list[str]:
    q = select(hit.c.topic_id).where(hit.c.post_id == post_id).order_by(hit.c.topic_id)
    with translate_errors("reading a post's hits"):
        return [str(t) for (t,) in await tx.connection.execute(q)]


async def move_posts(
    tx: Tx,
    *,
    to_story: int,
    placed_by: str,
    why: str,
    from_story: int | None = None,
    post_ids: Sequence[int] = (),
) -> int:
    """Move every post of `from_story`, or the given posts, to `to_story`; how many moved."""
    cond = post.c.story_id == from_story if from_story is not None else post.c.id.in_(post_ids)
    stmt = (
        update(post)
        .where(cond)
        .values(story_id=to_story, placed_by=placed_by, why=why, similarity=None)
    )
    with translate_errors("moving posts between stories"):
        return int((await tx.connection.execute(stmt)).rowcount)


async def mark_merged(tx: Tx, story_id: int, into: int) -> None:
    with translate_errors("merging stories"):
        await tx.connection.execute(
            update(story).where(story.c.id == story_id).values(merged_into=into)
        )


async def live_story(tx: Tx, story_id: int) -> int:
    """The story that carries `story_id` on: itself, or the one it was merged into."""
    for _ in range(_MAX_HOPS):
        q = select(story.c.merged_into).where(story.c.id == story_id)
        with translate_errors("reading a story"):
            into = (await tx.connection.execute(q)).scalar_one_or_none()
        if into is None:
            return story_id
        story_id = int(into)
    return story_id


async def drop_pending(tx: Tx, story_id: int, *, at: datetime, why: str) -> int:
    """Mark the story's unsent outbox rows done without sending them (`why` is kept as their
    last error, which `outbox list` shows); how many."""
    stmt = (
        update(outbox)
        .where(outbox.c.story_id == story_id, outbox.c.sent_at.is_(None))
        .values(sent_at=at, next_attempt_at=None, last_error=f"not sent: {why}")
    )
    with translate_errors("dropping queued messages"):
        return int((await tx.connection.execute(stmt)).rowcount)


async def stamp(tx: Tx, at: datetime) -> None:
    """Tell running patrols that the grouping changed (see the module docstring)."""
    await tx.set_schedule_state({REGROUP_KEY: at})


async def regrouped_at(tx: Tx) -> datetime | None:
    q = select(schedule_state.c.at).where(schedule_state.c.key == REGROUP_KEY)
    with translate_errors("reading the schedule state"):
        found = (await tx.connection.execute(q)).scalar_one_or_none()
    return found


async def alerts_of(tx: Tx, alert_ids: Sequence[int]) -> dict[int, AlertRow]:
    """The alerts, read inside this transaction."""
    out: dict[int, AlertRow] = {}
    for alert_id in alert_ids:
        row = await tx.alert(alert_id)
        if row is not None:
            out[alert_id] = row
    return out
