"""The lead office corrects the grouping: merge two alerts of one event, split a post out.

Merge: one alert survives — the one claimed first (else the one detected first) — with its
claim, owner and deadlines; its severity becomes the higher of the two. The other alert is
closed as `merged`, with a link to the survivor; its story's posts move to the survivor's
story; its messages not yet sent are dropped, so nothing goes out twice for one event.

Split: a post leaves its story for a new one, with a new alert and fresh deadlines from now,
in the department the lead office names (by default the one that had it).

Both are one transaction, recorded in the audit of every alert they touch, and only the lead
office (or an admin) may do them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sentinel.config.models import Severity
from sentinel.errors import NotFound
from sentinel.store import AlertRow, Store
from sentinel.store import regroup as rows
from sentinel.workflow.alerts import open_alert
from sentinel.workflow.deadlines import DeadlinePolicy
from sentinel.workflow.states import TERMINAL, Actor, Role, State, TransitionError

MERGE = "merge"  # on the alert closed as merged
ABSORB = "absorb"  # on the alert that carries the event on
SPLIT = "split"  # on the alert a post left
SPLIT_FROM = "split_from"  # on the new alert


@dataclass(frozen=True, kw_only=True, slots=True)
class Merged:
    survivor: AlertRow
    merged: AlertRow
    posts_moved: int
    dropped: int  # queued messages of the merged alert not sent


def _lead_only(actor: Actor, what: str) -> None:
    if actor.role not in (Role.lead, Role.admin):
        raise TransitionError(f"only the lead office may {what} (you are {actor.role.value})")


def survivor_of(a: AlertRow, b: AlertRow) -> tuple[AlertRow, AlertRow]:
    """(the one kept, the one merged into it): the earlier claim, else the earlier detection."""

    def key(r: AlertRow) -> tuple[int, datetime, datetime, int]:
        claimed = r.claimed_at is not None
        return (0 if claimed else 1, r.claimed_at or r.detected_at, r.detected_at, r.id)

    keep, gone = sorted((a, b), key=key)
    return keep, gone


def _higher(a: str, b: str) -> str:
    return max(Severity(a), Severity(b), key=lambda s: s.rank).value


async def merge(
    store: Store, actor: Actor, a_id: int, b_id: int, *, at: datetime, note: str = ""
) -> Merged:
    _lead_only(actor, "merge alerts")
    if a_id == b_id:
        raise TransitionError(f"alert {a_id} cannot be merged with itself")
    async with store.transaction() as tx:
        found = await rows.alerts_of(tx, [a_id, b_id])
        for alert_id in (a_id, b_id):
            if alert_id not in found:
                raise NotFound(f"no alert {alert_id}")
            if State(found[alert_id].state) in TERMINAL:
                raise TransitionError(
                    f"alert {alert_id} is {found[alert_id].state}: only open alerts are merged"
                )
        keep, gone = survivor_of(found[a_id], found[b_id])
        why = f"人工合并：预警 #{gone.id} 并入 #{keep.id}（{actor.login}）"
        moved = await rows.move_posts(
            tx, from_story=gone.story_id, to_story=keep.story_id, placed_by="merge", why=why
        )
        await rows.mark_merged(tx, gone.story_id, keep.story_id)
        await tx.touch_stories([keep.story_id])
        dropped = await rows.drop_pending(
            tx, gone.story_id, at=at, why=f"alert #{gone.id} merged into #{keep.id}"
        )
        severity = _higher(keep.severity, gone.severity)
        gone_ok = await tx.change_alert(
            gone.id,
            gone.version,
            {"state": State.merged.value, "merged_into": keep.id, "closed_at": at, "overdue": []},
        )
        keep_ok = await tx.change_alert(keep.id, keep.version, {"severity": severity})
        if not (gone_ok and keep_ok):
            from sentinel.workflow.service import ConflictError

            raise ConflictError("an alert was changed by someone else meanwhile; try again")
        if severity != keep.severity:
            await tx.set_story_severity(keep.story_id, severity)
        base = {"at": at, "actor": actor.login, "note": note, "link": None}
        await tx.add_events(
            [
                {
                    **base,
                    "alert_id": gone.id,
                    "action": MERGE,
                    "from_state": gone.state,
                    "to_state": State.merged.value,
                    "data": {"into": keep.id, "posts": moved, "dropped": dropped},
                },
                {
                    **base,
                    "alert_id": keep.id,
                    "action": ABSORB,
                    "from_state": keep.state,
                    "to_state": keep.state,
                    "data": {
                        "alert": gone.id,
                        "posts": moved,
                        "severity": {"from": keep.severity, "to": severity},
                    },
                },
            ]
        )
        await rows.stamp(tx, at)
    return Merged(
        survivor=await store.alert(keep.id),
        merged=await store.alert(gone.id),
        posts_moved=moved,
        dropped=dropped,
    )


async def split(
    store: Store,
    policy: DeadlinePolicy,
    actor: Actor,
    post_id: int,
    *,
    at: datetime,
    department: str | None = None,
    note: str = "",
) -> AlertRow:
    """Split a post out of its story into a new story and alert; the new alert."""
    _lead_only(actor, "split stories")
    async with store.transaction() as tx:
        found = await rows.story_of_post(tx, post_id)
        if found is None:
            raise NotFound(f"no post {post_id}")
        story_id, title, first_seen = found
        if story_id is None:
            raise TransitionError(f"post {post_id} is in no story: there is nothing to split")
        owned = await tx.alerts_for_stories([story_id])
        if not owned:
            raise NotFound(f"the story of post {post_id} has no alert")
        old = owned[0]
        if State(old.state) in TERMINAL:
            raise TransitionError(f"alert {old.id} is {old.state}: reopen nothing, split nothing")
        if await rows.story_size(tx, story_id) < 2:
            raise TransitionError(
                f"post {post_id} is alone in alert {old.id}'s story: there is nothing to split"
            )
        topics = await rows.post_topics(tx, post_id)
        owner = department or old.department
        new_story = await tx.create_story(
            topic_id=topics[0] if topics else old.topic_id,
            title=title,
            severity=old.severity,
            department=owner,
            first_seen_at=first_seen,
        )
        await rows.move_posts(
            tx,
            post_ids=[post_id],
            to_story=new_story,
            placed_by="split",
            why=f"人工拆分：自预警 #{old.id} 拆出（{actor.login}）",
        )
        await tx.touch_stories([story_id, new_story])
        new_id = await open_alert(
            tx,
            policy,
            story_id=new_story,
            department=owner,
            severity=old.severity,
            board=old.board,
            detected_at=at,  # fresh deadlines: the new alert is new to whoever must claim it
        )
        assert new_id is not None  # a story created in this transaction has no alert yet
        if old.severity == Severity.critical.value:
            await tx.enqueue_push(story_id=new_story, fetched_at=at, created_at=at)
        base = {"at": at, "actor": actor.login, "note": note, "link": None}
        await tx.add_events(
            [
                {
                    **base,
                    "alert_id": old.id,
                    "action": SPLIT,
                    "from_state": old.state,
                    "to_state": old.state,
                    "data": {"post": post_id, "alert": new_id},
                },
                {
                    **base,
                    "alert_id": new_id,
                    "action": SPLIT_FROM,
                    "from_state": State.new.value,
                    "to_state": State.new.value,
                    "data": {"post": post_id, "alert": old.id},
                },
            ]
        )
        await rows.stamp(tx, at)
    return await store.alert(new_id)
