"""The event-grouping ground truth in tests/data/events/ keeps the rules it is written to.

Event grouping is measured against this set; a dangling id, a "hard negative" whose two posts
sit in one event, or a post Sentinel would never match (and so never group) would make that
measure lie without anyone noticing.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sentinel.config import load_config
from sentinel.config.loader import read_yaml
from sentinel.extract.post import Post
from sentinel.match import Matcher
from sentinel.match.fold import fold

DATA = Path(__file__).resolve().parents[1] / "data" / "events"
LABELLED = DATA / "labelled.yaml"

KINDS = {"forum", "portal", "board", "feed"}
ROLES = {"original", "rewrite", "follow-up", "verbatim", "traditional", "comment"}
COPIES = {"verbatim", "traditional"}  # the roles that name the post they copy in `of`
NEGATIVES = {
    "same-topic-other-place",
    "other-subject-same-place",
    "policy-vs-local",
    "same-org-other-event",
}
POST_KEYS = {"id", "kind", "site", "published", "role", "title", "body"}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def when(post: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(post["published"])


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, fold(a), fold(b), autojunk=False).ratio()


@pytest.fixture(scope="module")
def doc() -> Any:
    # Sentinel's own YAML reader: it refuses duplicate keys, which PyYAML would silently drop.
    return read_yaml(LABELLED).data


@pytest.fixture(scope="module")
def events(doc: Any) -> list[dict[str, Any]]:
    return list(doc["events"])


@pytest.fixture(scope="module")
def posts(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every post by id, each with the id of its event added as `event`."""
    out: dict[str, dict[str, Any]] = {}
    for event in events:
        for post in event["posts"]:
            out[post["id"]] = {**post, "event": event["id"]}
    return out


def test_file_and_record_shapes(doc: Any, events: list[dict[str, Any]]) -> None:
    assert set(doc) == {"events", "hard_negatives"}
    for event in events:
        assert set(event) == {"id", "summary", "posts"}, event.get("id")
        assert SLUG.match(event["id"]), event["id"]
        assert event["summary"].strip() and event["posts"], event["id"]
        for post in event["posts"]:
            keys = POST_KEYS | ({"of"} if post.get("role") in COPIES else set())
            assert set(post) == keys, (post.get("id"), sorted(set(post) ^ keys))
            assert post["kind"] in KINDS and post["role"] in ROLES, post["id"]
            assert all(isinstance(post[k], str) for k in POST_KEYS), post["id"]


def test_ids_are_unique(doc: Any, events: list[dict[str, Any]]) -> None:
    event_ids = [e["id"] for e in events]
    post_ids = [p["id"] for e in events for p in e["posts"]]
    assert [i for i, n in Counter(event_ids).items() if n > 1] == []
    assert [i for i, n in Counter(post_ids).items() if n > 1] == []


def test_times_are_aware_iso_8601_in_november_2026(posts: dict[str, dict[str, Any]]) -> None:
    for post in posts.values():
        stamp = when(post)
        assert stamp.tzinfo is not None and stamp.utcoffset() is not None, post["id"]
        assert (stamp.year, stamp.month) == (2026, 11), post["id"]


def test_titles_and_bodies_have_realistic_lengths(posts: dict[str, dict[str, Any]]) -> None:
    for post in posts.values():
        assert 10 <= len(post["title"].strip()) <= 30, (post["id"], post["title"])
        assert 60 <= len(post["body"].strip()) <= 500, (post["id"], len(post["body"]))


def test_each_site_has_one_kind_and_is_a_configured_source(
    posts: dict[str, dict[str, Any]],
) -> None:
    kinds: dict[str, set[str]] = {}
    for post in posts.values():
        kinds.setdefault(post["site"], set()).add(post["kind"])
    assert 6 <= len(kinds) <= 8
    assert {s: k for s, k in kinds.items() if len(k) > 1} == {}
    sources = {s.id: s for s in load_config(DATA).sources.sources}
    assert set(kinds) == set(sources)
    for site, (kind,) in kinds.items():
        src = sources[site]
        assert (src.kind == "rss") == (kind == "feed"), site
        assert src.board == (kind == "board"), site
        assert src.media == (kind == "portal"), site


def test_roles_are_consistent_within_each_event(
    events: list[dict[str, Any]], posts: dict[str, dict[str, Any]]
) -> None:
    for event in events:
        originals = [p for p in event["posts"] if p["role"] == "original"]
        assert len(originals) == 1, event["id"]
        first = when(originals[0])
        assert first == min(when(p) for p in event["posts"]), event["id"]
        for post in event["posts"]:
            if post["role"] == "follow-up":
                gap = when(post) - first
                assert timedelta(days=1) <= gap <= timedelta(days=6), (post["id"], gap)
            if post["role"] in COPIES:
                source = posts[post["of"]]
                assert source["event"] == event["id"], post["id"]
                assert when(source) < when(post), post["id"]


def test_verbatim_reposts_are_near_verbatim(posts: dict[str, dict[str, Any]]) -> None:
    for post in posts.values():
        if post["role"] == "verbatim":
            ratio = similarity(post["body"], posts[post["of"]]["body"])
            assert ratio >= 0.8, (post["id"], round(ratio, 2))


def test_traditional_copies_are_in_traditional_characters(
    posts: dict[str, dict[str, Any]],
) -> None:
    for post in posts.values():
        if post["role"] != "traditional":
            continue
        text = post["title"] + post["body"]
        folded = sum(1 for c in CJK.findall(text) if fold(c) != c)
        assert folded >= 10, (post["id"], folded)
        # a retelling of the post it names, not an unrelated text
        ratio = similarity(post["body"], posts[post["of"]]["body"])
        assert ratio >= 0.45, (post["id"], round(ratio, 2))


def test_hard_negatives_name_two_close_posts_of_different_events(
    doc: Any, posts: dict[str, dict[str, Any]]
) -> None:
    pairs = set()
    for pair in doc["hard_negatives"]:
        assert set(pair) == {"a", "b", "kind", "why"}, pair
        assert pair["kind"] in NEGATIVES and pair["why"].strip(), pair
        a, b = posts[pair["a"]], posts[pair["b"]]  # KeyError: a dangling id
        assert a["event"] != b["event"], pair
        # close in time, so that time alone cannot tell them apart
        assert abs(when(a) - when(b)) <= timedelta(days=3), pair
        pairs.add(frozenset((a["id"], b["id"])))
    assert len(pairs) == len(doc["hard_negatives"]), "a pair is listed twice"


def test_the_set_is_big_and_varied_enough(
    doc: Any, events: list[dict[str, Any]], posts: dict[str, dict[str, Any]]
) -> None:
    assert len(posts) >= 100
    assert len(events) >= 30
    assert len(doc["hard_negatives"]) >= 20
    assert {p["kind"] for p in posts.values()} == KINDS
    roles = Counter(p["role"] for p in posts.values())
    assert set(roles) == ROLES
    assert roles["traditional"] >= 8
    big = [e for e in events if 4 <= len(e["posts"]) <= 7]
    assert len(big) >= 12
    assert all(len({p["kind"] for p in e["posts"]}) >= 3 for e in big)
    assert sum(1 for e in events if 2 <= len(e["posts"]) <= 3) >= 10
    assert sum(1 for e in events if len(e["posts"]) == 1) >= 8
    negatives = Counter(n["kind"] for n in doc["hard_negatives"])
    assert set(negatives) == NEGATIVES and min(negatives.values()) >= 3


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_every_post_matches_a_topic_with_sentinels_matcher(
    engine: str, posts: dict[str, dict[str, Any]]
) -> None:
    cfg = load_config(DATA)  # keywords.yaml, sentinel.yaml and sources.yaml, cross-checked
    territorial = {s.id: s.territorial for s in cfg.sources.sources}
    matcher = Matcher(cfg.keywords, engine=engine)
    missed, topics_hit = [], set()
    for post in posts.values():
        text = Post(
            source_id=post["site"],
            url=f"https://{post['site']}.example/{post['id']}",
            title=post["title"],
            body=post["body"],
            published_at=when(post),
        ).text
        hits = matcher.match(text, territorial=territorial[post["site"]])
        topics_hit |= {h.topic_id for h in hits}
        if not hits:
            missed.append(post["id"])
    assert missed == []
    assert topics_hit == {t.id for t in cfg.keywords.topics}  # no topic is dead weight
