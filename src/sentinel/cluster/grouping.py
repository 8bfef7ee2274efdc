"""The two steps that place a post in a story: near-copies first, then the same event.

The near-duplicate step (MinHash over word bigrams, index.py) is fast and sure: a repost
shares most of its text. The event step (events.py) catches what it cannot: a rewrite, a
follow-up, a letter to a bureau about the same compound. A post that neither places opens a
new story. The pipeline and the evaluation (tests, bench) both go through `Grouper`, so what is
measured is what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sentinel.cluster.events import EventIndex, EventRules
from sentinel.cluster.features import EventFeatures, extract
from sentinel.cluster.index import StoryIndex
from sentinel.cluster.minhash import Signature, signature
from sentinel.config.models import EventSettings
from sentinel.match import Hit, Matcher

REPOST = "repost"
EVENT = "event"


@dataclass(frozen=True, kw_only=True, slots=True)
class Placement:
    story_id: int
    kind: str  # REPOST or EVENT
    score: float  # text similarity for a repost, event score for an event
    why: str  # shown to people: 转载（文字相似度 0.82） or 同一事件：城东小区 · 拆迁 · 补偿款


def post_signature(matcher: Matcher, title: str, body: str) -> Signature:
    text = f"{title}\n{body}" if body else title
    return signature(matcher.tokens(text), matcher.tokens(title))


def event_features(
    matcher: Matcher,
    title: str,
    body: str,
    *,
    region: Sequence[str] = (),
    hits: Sequence[Hit] = (),
) -> EventFeatures:
    """The post's event features; `hits` are the topics it matched, whose keywords are left out
    of its salient terms."""
    text = f"{title}\n{body}" if body else title
    known = {matcher.fold(w) for h in hits for w in h.words}
    return extract(
        matcher.tagged(title),
        matcher.tagged(body),
        matcher.fold(text),
        region=region,
        known=known,
    )


def rules_of(settings: EventSettings) -> EventRules:
    return EventRules(
        window=settings.window, open_window=settings.open_window, threshold=settings.threshold
    )


class Grouper:
    def __init__(
        self,
        *,
        threshold: float = 0.5,
        events: bool = True,
        rules: EventRules | None = None,
    ) -> None:
        self.copies = StoryIndex(threshold=threshold)
        self.events = EventIndex(rules) if events else None

    def place(
        self,
        sig: Signature,
        topics: Collection[str],
        at: datetime,
        features: Callable[[], EventFeatures | None],
    ) -> tuple[Placement | None, EventFeatures | None]:
        """The story this post belongs to (None: it opens a new one), and its event features.

        The features are computed only when the near-copy step does not place the post: a
        repost adds nothing to its story's profile that the original did not, and tagging is
        most of the event step's cost.
        """
        found = self.copies.find(sig)
        if found is not None:
            story_id, score = found
            why = f"转载（文字相似度 {score:.2f}）"
            return Placement(story_id=story_id, kind=REPOST, score=round(score, 3), why=why), None
        if self.events is None:
            return None, None
        mine = features()
        if mine is None:
            return None, None
        match = self.events.find(mine, topics, at)
        if match is None:
            return None, mine
        placed = Placement(story_id=match.story_id, kind=EVENT, score=match.score, why=match.why)
        return placed, mine

    def add(
        self,
        story_id: int,
        sig: Signature | None,
        features: EventFeatures | None,
        topics: Collection[str],
        at: datetime,
        *,
        open: bool = True,
    ) -> None:
        if sig is not None:
            self.copies.add(story_id, sig)
        if self.events is not None and features is not None:
            self.events.add(story_id, features, topics, at, open=open)
