"""Stories from a page's matched posts: clustering, alerts, escalation (Art. 7)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sentinel.cluster import from_bytes, signature, to_bytes
from sentinel.cluster.features import EventFeatures
from sentinel.cluster.grouping import Grouper, Placement, event_features
from sentinel.config import Config, Severity, Source
from sentinel.extract.post import Post
from sentinel.fetch.page import Page
from sentinel.match import Hit, Matcher
from sentinel.pipeline.records import Clock, Tally
from sentinel.pipeline.rules import route, story_severity
from sentinel.store import KnownPost, PostLink, Store, Tx
from sentinel.workflow.alerts import escalate, open_alert
from sentinel.workflow.deadlines import DeadlinePolicy


class StoryWriter:
    """The part of a patrol that turns a page's matched posts into stories, alerts and
    escalations, in one transaction (Patrol inherits it)."""

    cfg: Config
    store: Store
    matcher: Matcher
    clock: Clock
    grouper: Grouper
    policy: DeadlinePolicy
    _region: tuple[str, ...]  # region words, folded: places the event step always knows
    _index_loaded: bool
    _post_mark: int
    duty_at: datetime | None  # the duty patrol this run is, whose digest delivers its stories

    async def _store_with_hits(
        self,
        src: Source,
        page: Page,
        fresh: Sequence[Post],
        hits: dict[str, tuple[Hit, ...]],
        pages: dict[str, Page],
        now: datetime,
        tally: Tally,
        urgent: bool,
    ) -> int:
        added = 0
        try:
            async with self.store.transaction(urgent=urgent) as tx:
                # Other processes may have opened stories since the index was loaded: decide
                # under the cross-process lock, after reading theirs.
                await tx.lock_stories()
                mark = self._post_mark
                for known_id, known_story, known_sig, known in await tx.signatures_after(mark):
                    self._learn(known_story, known_sig, known)
                    mark = max(mark, known_id)
                inserted = await tx.insert_posts(fresh, seen_at=now)
                links: list[PostLink] = []
                evidence: dict[str, str] = {}
                born: set[int] = set()  # stories opened in this transaction
                for post in fresh:
                    post_id = inserted.get(post.url)
                    post_hits = hits[post.url]
                    if post_id is None or not post_hits:
                        continue
                    proof = pages.get(post.url, page)
                    if proof.url not in evidence:
                        evidence[proof.url] = await tx.put_evidence(
                            body=proof.body,
                            url=proof.url,
                            content_type=proof.content_type,
                            fetched_at=proof.fetched_at,
                        )
                    sig = signature(self.matcher.tokens(post.text), self.matcher.tokens(post.title))
                    topics = [h.topic_id for h in post_hits]
                    at = event_time(post, now)
                    placed, features = self.grouper.place(
                        sig, topics, at, functools.partial(self._features, post, post_hits)
                    )
                    if placed is not None:
                        story_id = placed.story_id
                    else:
                        severity = story_severity(self.cfg, post_hits)
                        department = route(self.cfg, src, post_hits)
                        story_id = await tx.create_story(
                            topic_id=post_hits[0].topic_id,
                            title=post.title,
                            severity=severity.value,
                            department=department,
                            first_seen_at=now,
                        )
                        # every new story opens its one alert in the same transaction
                        await open_alert(
                            tx,
                            self.policy,
                            story_id=story_id,
                            department=department or self._fallback_department(),
                            severity=severity.value,
                            board=src.board,
                            detected_at=now,
                            delivered_by=self.duty_at,
                        )
                        tally.stories_new += 1
                        born.add(story_id)
                        if severity is Severity.critical:
                            # Critical events are pushed at once: the push is queued in the
                            # same transaction as the story, so neither exists without the other.
                            await tx.enqueue_push(
                                story_id=story_id,
                                fetched_at=proof.fetched_at,
                                created_at=self.clock(),
                            )
                    self.grouper.add(story_id, sig, features, topics, at)
                    added += 1
                    links.append(
                        PostLink(
                            post_id=post_id,
                            story_id=story_id,
                            signature=to_bytes(sig),
                            evidence_hash=evidence[proof.url],
                            hits=post_hits,
                            **placement_columns(placed, features, topics, at),
                        )
                    )
                    tally.hits_new += len(post_hits)
                await tx.attach(links)
                mark = max([mark, *(link.post_id for link in links)])
                await self._escalate(
                    tx,
                    await self._spread_signals(tx, src, [link.story_id for link in links], born),
                    at=now,
                    fetched_at=page.fetched_at,
                )
        except BaseException:
            # The index may now name stories that were rolled back: rebuild it from the store.
            if added:
                self._index_loaded = False
            raise
        self._post_mark = max(self._post_mark, mark)
        tally.posts_new += len(inserted)
        return len(inserted)

    def _features(self, post: Post, hits: Sequence[Hit]) -> EventFeatures | None:
        if not self.cfg.settings.cluster.events.enabled:
            return None
        return event_features(self.matcher, post.title, post.body, region=self._region, hits=hits)

    def _learn(self, story_id: int, sig: bytes | None, stored: Any, *, open: bool = True) -> None:
        """Put a stored story post into the grouper (from the store, after a restart or
        another process's write)."""
        features, topics, at = stored_features(stored)
        self.grouper.add(
            story_id,
            from_bytes(sig) if sig is not None else None,
            features,
            topics,
            at or self.clock(),
            open=open,
        )

    def _fallback_department(self) -> str:
        # a story no topic or territory places goes to the lead office, which designates
        lead = self.cfg.settings.lead_department
        return lead.id if lead else ""

    async def _spread_signals(
        self, tx: Tx, src: Source, story_ids: Sequence[int], born: set[int]
    ) -> dict[int, list[tuple[str, str]]]:
        """Art. 7 evidence in this page: a news outlet carries the story, or it spread wide."""
        if not story_ids:
            return {}
        rules = self.cfg.settings.escalation
        signals: dict[int, list[tuple[str, str]]] = {}
        # A story born in this page is carried by this source alone, below any spread threshold
        # (at least 2): only stories that were there before are counted.
        grown = [story_id for story_id in story_ids if story_id not in born]
        counts = await tx.story_source_counts(grown) if grown else {}
        for story_id, n in counts.items():
            if n >= rules.spread_sources:
                signals.setdefault(story_id, []).append(("spread", f"由 {n} 个来源转载"))
        if src.media:
            for story_id in dict.fromkeys(story_ids):
                signals.setdefault(story_id, []).append(
                    ("media", f"新闻媒体报道（{src.name or src.id}）")
                )
        return signals

    def _reply_surges(
        self, posts: Sequence[Post], known: dict[str, KnownPost]
    ) -> dict[int, list[tuple[str, str]]]:
        rules = self.cfg.settings.escalation
        signals: dict[int, list[tuple[str, str]]] = {}
        for p in posts:
            k = known.get(p.url)
            if k is None or k.story_id is None or p.replies is None or k.replies is None:
                continue
            grown = p.replies - k.replies
            doubled = p.replies >= k.replies * rules.reply_factor
            if grown >= rules.reply_growth or (doubled and grown >= rules.reply_factor_min):
                signals.setdefault(k.story_id, []).append(
                    ("replies", f"跟帖由 {k.replies} 增至 {p.replies}（自上次巡查）")
                )
        return signals

    async def _escalate(
        self,
        tx: Tx,
        signals: dict[int, list[tuple[str, str]]],
        *,
        at: datetime,
        fetched_at: datetime,
    ) -> None:
        if not signals:
            return
        for story_id in await escalate(tx, self.policy, signals, at=at):
            # raised to critical: pushed at once, like a story born critical
            await tx.enqueue_push(story_id=story_id, fetched_at=fetched_at, created_at=at)


def event_time(post: Post, now: datetime) -> datetime:
    """When the post says it was published, if that is believable; else when it was found."""
    at = post.published_at
    if at is None or at > now or now - at > timedelta(days=30):
        return now
    return at


def placement_columns(
    placed: Placement | None, features: EventFeatures | None, topics: Sequence[str], at: datetime
) -> dict[str, Any]:
    """What a post link stores about how the post was placed (see schema.post)."""
    stored = None
    if features is not None:
        stored = {**features.to_json(), "topics": list(topics), "at": at.isoformat()}
    if placed is None:
        return {"features": stored, "placed_by": "first", "similarity": None, "why": ""}
    return {
        "features": stored,
        "placed_by": placed.kind,
        "similarity": placed.score,
        "why": placed.why,
    }


def stored_features(stored: Any) -> tuple[EventFeatures | None, list[str], datetime | None]:
    """The features, topics and event time a post link stored; (None, [], None) if none."""
    if not isinstance(stored, dict):
        return None, [], None
    topics = [str(t) for t in stored.get("topics") or () if isinstance(t, str)]
    try:
        at = datetime.fromisoformat(str(stored.get("at")))
    except ValueError:
        at = None
    if at is not None and at.tzinfo is None:
        at = None
    return EventFeatures.from_json(stored), topics, at
