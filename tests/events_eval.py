"""Event grouping measured on the labelled set in tests/data/events/ (see its README).

The posts are placed in time order by `Grouper`, exactly as the patrol places them (near-copy
step, then event step), after the same matcher finds their topics. Used by the tests (which hold
the goals) and by the bench (which prints the figures).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from sentinel.cluster.grouping import EVENT, REPOST, Grouper, event_features, post_signature
from sentinel.config.models import KeywordsFile
from sentinel.match import Matcher

DATA = Path(__file__).parent / "data" / "events"


@dataclass(frozen=True, kw_only=True)
class LabelledPost:
    id: str
    event: str
    kind: str
    site: str
    role: str
    published: datetime
    title: str
    body: str


@dataclass(frozen=True, kw_only=True)
class Labelled:
    posts: tuple[LabelledPost, ...]
    hard_negatives: tuple[tuple[str, str, str], ...]  # (post a, post b, kind)
    keywords: KeywordsFile
    territorial: dict[str, bool]  # site → its posts need no region word (the county's own)


def load(directory: Path = DATA) -> Labelled:
    doc: dict[str, Any] = yaml.safe_load((directory / "labelled.yaml").read_text("utf-8"))
    posts = [
        LabelledPost(
            id=str(p["id"]),
            event=str(e["id"]),
            kind=str(p["kind"]),
            site=str(p["site"]),
            role=str(p.get("role", "")),
            published=datetime.fromisoformat(str(p["published"])),
            title=str(p["title"]).strip(),
            body=str(p.get("body") or "").strip(),
        )
        for e in doc["events"]
        for p in e["posts"]
    ]
    posts.sort(key=lambda p: (p.published, p.id))
    negatives = tuple(
        (str(n["a"]), str(n["b"]), str(n.get("kind", ""))) for n in doc.get("hard_negatives", ())
    )
    keywords = KeywordsFile.model_validate(
        yaml.safe_load((directory / "keywords.yaml").read_text("utf-8"))
    )
    sources = yaml.safe_load((directory / "sources.yaml").read_text("utf-8"))["sources"]
    territorial = {str(s["id"]): bool(s.get("territorial")) for s in sources}
    return Labelled(
        posts=tuple(posts), hard_negatives=negatives, keywords=keywords, territorial=territorial
    )


@dataclass(frozen=True, kw_only=True)
class Outcome:
    story_of: dict[str, int]  # post id → story id
    how: dict[str, str]  # post id → "", REPOST or EVENT
    why: dict[str, str]
    unmatched: tuple[str, ...]  # posts no topic matched (they are left out)


def group(data: Labelled, *, events: bool = True, matcher: Matcher | None = None) -> Outcome:
    matcher = matcher or Matcher(data.keywords)
    region = [matcher.fold(w) for w in data.keywords.region]
    grouper = Grouper(events=events)
    story_of: dict[str, int] = {}
    how: dict[str, str] = {}
    why: dict[str, str] = {}
    unmatched: list[str] = []
    next_id = 1
    for p in data.posts:
        text = f"{p.title}\n{p.body}" if p.body else p.title
        hits = matcher.match(text, territorial=data.territorial.get(p.site, False))
        if not hits:
            unmatched.append(p.id)
            continue
        topics = [h.topic_id for h in hits]
        sig = post_signature(matcher, p.title, p.body)
        placed, features = grouper.place(
            sig,
            topics,
            p.published,
            lambda p=p, hits=hits: event_features(
                matcher, p.title, p.body, region=region, hits=hits
            ),
        )
        if placed is None:
            story_id, next_id = next_id, next_id + 1
            how[p.id], why[p.id] = "", ""
        else:
            story_id = placed.story_id
            how[p.id], why[p.id] = placed.kind, placed.why
        story_of[p.id] = story_id
        grouper.add(story_id, sig, features, topics, p.published)
    return Outcome(story_of=story_of, how=how, why=why, unmatched=tuple(unmatched))


@dataclass(frozen=True, kw_only=True)
class Scores:
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pair_precision: float
    pair_recall: float
    events_whole: float  # share of events that came out as exactly one story of their own
    negatives_merged: tuple[tuple[str, str, str], ...]
    verbatim_missed: tuple[str, ...]  # near-verbatim reposts not joined to their event's story
    stories: int
    events: int


def score(data: Labelled, out: Outcome) -> Scores:
    event_of = {p.id: p.event for p in data.posts if p.id in out.story_of}
    by_story: dict[int, set[str]] = defaultdict(set)
    by_event: dict[str, set[str]] = defaultdict(set)
    for pid, sid in out.story_of.items():
        by_story[sid].add(pid)
        by_event[event_of[pid]].add(pid)
    precision = recall = 0.0
    for pid, sid in out.story_of.items():
        story, event = by_story[sid], by_event[event_of[pid]]
        both = len(story & event)
        precision += both / len(story)
        recall += both / len(event)
    n = len(out.story_of) or 1
    bp, br = precision / n, recall / n
    f1 = 2 * bp * br / (bp + br) if bp + br else 0.0
    same_story = same_event = both_same = 0
    for a, b in itertools.combinations(sorted(out.story_of), 2):
        s = out.story_of[a] == out.story_of[b]
        e = event_of[a] == event_of[b]
        same_story += s
        same_event += e
        both_same += s and e
    whole = sum(1 for ids in by_event.values() if by_story[out.story_of[next(iter(ids))]] == ids)
    merged = tuple(
        (a, b, kind)
        for a, b, kind in data.hard_negatives
        if a in out.story_of and b in out.story_of and out.story_of[a] == out.story_of[b]
    )
    missed = tuple(
        p.id
        for p in data.posts
        if p.role == "verbatim"
        and p.id in out.story_of
        and not any(
            out.story_of.get(q) == out.story_of[p.id] for q in by_event[p.event] if q != p.id
        )
    )
    return Scores(
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=f1,
        pair_precision=both_same / same_story if same_story else 1.0,
        pair_recall=both_same / same_event if same_event else 1.0,
        events_whole=whole / (len(by_event) or 1),
        negatives_merged=merged,
        verbatim_missed=missed,
        stories=len(by_story),
        events=len(by_event),
    )


__all__ = ["EVENT", "REPOST", "Labelled", "Outcome", "Scores", "group", "load", "score"]
