"""The event step on its own: what it costs per new post, and how well it groups.

Cost: the labelled set's posts (tests/data/events) are placed one by one, as the patrol places
them, into an index that already holds `background` stories (the labelled posts again, under
other story ids and shifted in time, so lookups meet candidates as in a busy county). Features
(tagging, places, terms) and the lookup are timed apart.

Quality: B-cubed and pairwise precision and recall on the labelled set, the share of events
that come out as exactly one story, hard negatives merged and near-verbatim reposts missed —
with the event step and with near-copies alone.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from tests import events_eval

from sentinel.cluster.events import EventIndex
from sentinel.cluster.grouping import event_features
from sentinel.match import Matcher


def run(*, quick: bool) -> dict[str, Any]:
    data = events_eval.load()
    matcher = Matcher(data.keywords)
    region = [matcher.fold(w) for w in data.keywords.region]
    rounds = 2 if quick else 20
    background = 200 if quick else 5_000

    posts = [
        (p, [h.topic_id for h in matcher.match(f"{p.title}\n{p.body}", territorial=True)])
        for p in data.posts
    ]
    event_features(matcher, "预热", "预热")  # the tagger's first call loads nothing twice
    start = time.process_time()
    features = []
    for _ in range(rounds):
        features = [event_features(matcher, p.title, p.body, region=region) for p, _ in posts]
    features_us = (time.process_time() - start) / (rounds * len(posts)) * 1e6

    index = EventIndex()
    story = 0
    for k in range(background // len(posts) + 1):
        for (p, topics), f in zip(posts, features, strict=True):
            story += 1
            # other days and other story ids: candidates to look at, not to join
            index.add(story, f, topics, p.published - timedelta(days=40 + k))
    start = time.process_time()
    for _ in range(rounds):
        for (p, topics), f in zip(posts, features, strict=True):
            index.find(f, topics, p.published)
    find_us = (time.process_time() - start) / (rounds * len(posts)) * 1e6

    with_events = events_eval.score(data, events_eval.group(data, matcher=matcher))
    copies = events_eval.score(data, events_eval.group(data, events=False, matcher=matcher))

    def scores(s: events_eval.Scores) -> dict[str, Any]:
        return {
            "bcubed_precision": round(s.bcubed_precision, 3),
            "bcubed_recall": round(s.bcubed_recall, 3),
            "bcubed_f1": round(s.bcubed_f1, 3),
            "pair_precision": round(s.pair_precision, 3),
            "pair_recall": round(s.pair_recall, 3),
            "events_whole": round(s.events_whole, 3),
            "negatives_merged": len(s.negatives_merged),
            "verbatim_missed": len(s.verbatim_missed),
            "stories": s.stories,
        }

    return {
        "posts": len(posts),
        "events": with_events.events,
        "hard_negatives": len(data.hard_negatives),
        "index_stories": len(index),
        "features_us_per_post": round(features_us, 1),
        "find_us_per_post": round(find_us, 1),
        "with_events": scores(with_events),
        "copies_only": scores(copies),
        "target_f1": 0.9,
    }
