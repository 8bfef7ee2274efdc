"""Which story a post tells the same event as, when it is no near-copy of any (index.py).

A story's profile is the union of its posts' features (features.py). A post joins the story
whose profile it matches best, if it matches at all:

1. it hits a topic of the story, and it came within the window of the story's latest post
   (longer while the story's alert is still being handled);
2. places decide first. Both name spots (a village, a compound, a road, a school) and none is
   shared: another place, another event (拆迁 in 李家村 is not 拆迁 in 王庄村). Both name towns
   and none is shared: the same. A shared spot is strong evidence.
3. then what the event is about: the cosine of the salient terms, and shared organisations,
   amounts and dates. A shared spot needs a little of that (the same compound's water cut is
   not its demolition); without a shared spot it takes a shared organisation or amount and
   clearly similar terms, or very similar terms in the same town — so a province-wide policy
   piece about compensation does not join one village's complaint.

The score in [0, 1] ranks candidates and is shown with each joined post; `Match.reasons` says
in words why it joined (同一事件：城东小区 · 拆迁 · 补偿款).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sentinel.cluster.features import EventFeatures
from sentinel.cluster.lexicon import ROAD
from sentinel.cluster.salience import cosine

T = TypeVar("T")

_PROFILE_TERMS = 40


@dataclass(frozen=True, kw_only=True, slots=True)
class Weights:
    """What each kind of shared evidence adds to the score (measured on tests/data/events)."""

    spot: float = 0.40  # a village, compound, school, market
    road: float = 0.25  # only a road
    org: float = 0.25  # a company, factory, restaurant by its trade name
    weak: float = 0.15  # a generic facility name (中心小学) without its town
    amount: float = 0.25  # a sum of money
    date: float = 0.05  # a day of the month
    area: float = 0.05  # a town or street office
    terms: float = 0.40  # salient words, at cosine `terms_full` or above
    terms_full: float = 0.5
    close: float = 0.15  # within `close` of the story's latest post


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRules:
    window: timedelta = timedelta(days=3)
    open_window: timedelta = timedelta(days=30)  # while the story's alert is still handled
    threshold: float = 0.45  # the least score that joins
    close: timedelta = timedelta(hours=24)
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    story_id: int
    score: float
    reasons: tuple[str, ...]  # what the post shares with the story, most telling first

    @property
    def why(self) -> str:
        return "同一事件：" + " · ".join(self.reasons) if self.reasons else "同一事件"


def _grown(held: frozenset[T], more: Iterable[T]) -> frozenset[T]:
    """`held` with `more`; the same object when nothing is new (a union always allocates)."""
    more = frozenset(more)
    return held if more <= held else held | more


@dataclass(kw_only=True, slots=True)
class Profile:
    story_id: int
    # Frozensets, replaced on each add: an index holds thousands of profiles, most of whose
    # sets stay empty, and the empty frozenset is one shared object where an empty set costs
    # 216 bytes (six per profile were ~8 MB of the 10,000-source patrol).
    topics: frozenset[str] = frozenset()
    spots: dict[str, str] = field(default_factory=dict)  # ident → name as first written
    weak: dict[str, str] = field(default_factory=dict)  # spots with a generic name
    areas: frozenset[str] = frozenset()
    orgs: dict[str, str] = field(default_factory=dict)
    amounts: frozenset[int] = frozenset()
    dates: frozenset[str] = frozenset()
    terms: dict[str, float] = field(default_factory=dict)
    keywords: frozenset[str] = frozenset()  # topic keywords among the terms
    last_at: datetime | None = None
    open: bool = True
    posts: int = 0

    def evidence(self) -> list[str]:
        """What a post must share with the story to join it (see `compare`'s gate): its spots,
        generic spots, firms, sums and towns."""
        return [
            *self.spots,
            *self.weak,
            *(f"o:{k}" for k in self.orgs),
            *(f"a:{a}" for a in self.amounts),
            *self.areas,
        ]

    def add(self, f: EventFeatures, topics: Iterable[str], at: datetime) -> None:
        self.topics = _grown(self.topics, topics)
        for p in f.places:
            if p.spot:
                self.spots.setdefault(p.ident, p.name)
            elif p.weak:
                self.weak.setdefault(p.ident, p.name)
        self.areas = _grown(self.areas, f.areas)
        for key, name in f.orgs:
            self.orgs.setdefault(key, name)
        self.amounts = _grown(self.amounts, f.amounts)
        self.dates = _grown(self.dates, f.dates)
        for word, weight in f.terms:
            self.terms[word] = self.terms.get(word, 0.0) + weight
        self.keywords = _grown(self.keywords, f.keywords)
        if len(self.terms) > _PROFILE_TERMS * 2:
            kept = sorted(self.terms.items(), key=lambda kv: -kv[1])[:_PROFILE_TERMS]
            self.terms = dict(kept)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        self.posts += 1


def compare(
    f: EventFeatures,
    topics: Collection[str],
    at: datetime,
    story: Profile,
    rules: EventRules,
) -> Match | None:
    """The match of a post with one story's profile, or None when they are other events."""
    if not story.topics.intersection(topics) or story.last_at is None:
        return None
    age = at - story.last_at
    if age > (rules.open_window if story.open else rules.window) or -age > rules.window:
        return None
    spots = f.spots
    shared_spots = [story.spots[s] for s in spots if s in story.spots]
    orgs = [story.orgs[k] for k, _ in f.orgs if k in story.orgs]
    amounts = [a for a in f.amounts if a in story.amounts]
    weak = [story.weak[w] for w in f.weak_spots if w in story.weak]
    # Another village, compound, road or school: another event — unless the same firm or sum
    # says otherwise (place names read from text are sometimes wrong, a firm's name rarely)
    if not shared_spots and not (orgs or amounts) and _other_place(spots, story.spots):
        return None
    areas = f.areas
    if not shared_spots and areas and story.areas and not areas & story.areas:
        return None  # another town
    terms = dict(f.terms)
    sim = cosine(terms, story.terms)
    located = bool(shared_spots or orgs or weak or amounts)
    if not located:
        # Only the town is shared: the words must agree beyond the topic's own keywords, which
        # every post of the topic in that town has (垃圾成堆 in 女山湖镇 is many events)
        common = set(f.keywords) | story.keywords
        sim = cosine(
            {w: v for w, v in terms.items() if w not in common},
            {w: v for w, v in story.terms.items() if w not in common},
        )
    dates = [d for d in f.dates if d in story.dates]
    # a road is long and many things happen along it: sharing only a road counts for less
    pinned = any(not s.startswith(ROAD + ":") for s in spots if s in story.spots)
    if not (located or areas & story.areas):
        return None  # nothing says where or who: words alone do not make one event
    if not shared_spots and _other_day(f, story):
        return None  # both say which day it happened, and the days differ
    w = rules.weights
    score = (
        (w.spot if pinned else w.road if shared_spots else 0.0)
        + w.org * bool(orgs)
        + w.weak * bool(weak)
        + w.amount * bool(amounts)
        + w.date * bool(dates)
        + w.area * bool(areas & story.areas)
        + w.terms * min(1.0, sim / w.terms_full)
        # the same day: reports of one incident rarely share their words (上吐下泻 / 呕吐腹痛),
        # and two incidents of one topic at one place or firm within hours are rare
        + w.close * (abs(age) <= rules.close and (pinned or bool(orgs) or bool(weak)))
    )
    score = min(1.0, score)
    if score < rules.threshold:
        return None
    shared_terms = sorted(
        (w for w in terms if w in story.terms), key=lambda w: -terms[w] * story.terms[w]
    )
    reasons = [*dict.fromkeys(shared_spots), *orgs[:1], *weak[:1], *shared_terms[:3]]
    reasons += [_yuan(a) for a in amounts[:1]] + [_day(d) for d in dates[:1]]
    return Match(story_id=story.story_id, score=round(score, 3), reasons=tuple(reasons))


def _other_place(mine: frozenset[str], theirs: dict[str, str]) -> bool:
    """Both name a spot of one kind (two villages, two compounds) and none is shared. Spots of
    different kinds do not exclude each other: a market stands on a road."""
    kinds = {s.split(":", 1)[0] for s in theirs}
    return any(s.split(":", 1)[0] in kinds for s in mine)


def _other_day(f: EventFeatures, story: Profile) -> bool:
    """Both say on which day it happened, and the days differ."""
    return bool(f.dates and story.dates and not story.dates.intersection(f.dates))


def _yuan(amount: int) -> str:
    if amount >= 10_000 and amount % 1_000 == 0:
        return f"{amount / 10_000:g}万元"
    return f"{amount}元"


def _day(mmdd: str) -> str:
    month, day = mmdd.split("-")
    return f"{int(month)}月{int(day)}日"


class EventIndex:
    """Stories' event profiles, looked up by shared spots, organisations, amounts and terms."""

    def __init__(self, rules: EventRules | None = None) -> None:
        self.rules = rules or EventRules()
        self._profiles: dict[int, Profile] = {}
        self._by_key: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._profiles)

    def profile(self, story_id: int) -> Profile | None:
        return self._profiles.get(story_id)

    @staticmethod
    def _keys(f: EventFeatures, topics: Iterable[str]) -> set[str]:
        """A topic with a piece of evidence: a story that shares neither with a post cannot
        take it (compare's gates), so only such stories are ever compared."""
        evidence = [
            *f.spots,
            *f.weak_spots,
            *(f"o:{k}" for k, _ in f.orgs),
            *(f"a:{a}" for a in f.amounts),
            *f.areas,
        ]
        return {f"{t}|{e}" for t in topics for e in evidence}

    def add(
        self,
        story_id: int,
        f: EventFeatures,
        topics: Iterable[str],
        at: datetime,
        *,
        open: bool = True,
    ) -> None:
        story = self._profiles.get(story_id)
        if story is None:
            story = self._profiles[story_id] = Profile(story_id=story_id, open=open)
        story.add(f, topics, at)
        for key in {f"{t}|{e}" for t in story.topics for e in story.evidence()}:
            self._by_key.setdefault(key, set()).add(story_id)

    def close(self, story_id: int) -> None:
        """The story's alert is done: it takes copies for the short window only."""
        story = self._profiles.get(story_id)
        if story is not None:
            story.open = False

    def forget(self, story_id: int) -> None:
        """A story merged away or emptied: it joins nothing any more."""
        self._profiles.pop(story_id, None)

    def find(self, f: EventFeatures, topics: Collection[str], at: datetime) -> Match | None:
        candidates: set[int] = set()
        for key in self._keys(f, topics):
            candidates.update(self._by_key.get(key, ()))
        best: Match | None = None
        for story_id in sorted(candidates):  # sorted: ties go to the oldest story
            story = self._profiles.get(story_id)
            if story is None:
                continue
            found = compare(f, topics, at, story, self.rules)
            if found is not None and (best is None or found.score > best.score):
                best = found
        return best
