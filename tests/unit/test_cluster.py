"""MinHash estimates and the story index: reposts join, different stories stay apart."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from sentinel.cluster import (
    StoryIndex,
    from_bytes,
    signature,
    similarity,
    title_similarity,
    to_bytes,
)
from sentinel.cluster.minhash import shingles
from sentinel.config.models import KeywordsFile
from sentinel.match import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KeywordsFile(topics=[]))


def sig_of(matcher: Matcher, title: str, body: str = ""):  # type: ignore[no-untyped-def]
    text = f"{title}\n{body}" if body else title
    return signature(matcher.tokens(text), matcher.tokens(title))


def exact_jaccard(a: list[str], b: list[str]) -> float:
    x, y = set(shingles(a)), set(shingles(b))
    return len(x & y) / len(x | y)


def test_estimate_tracks_exact_jaccard() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(400)]
    errors = []
    for _ in range(60):
        base = rng.choices(vocab, k=80)
        other = [w if rng.random() > rng.random() else rng.choice(vocab) for w in base]
        est = similarity(signature(base), signature(other))
        errors.append(abs(est - exact_jaccard(base, other)))
    # 128 permutations: standard error ≤ 0.5/sqrt(128) ≈ 0.044
    assert sum(errors) / len(errors) < 0.05
    assert max(errors) < 0.16


def test_signature_round_trips_and_is_the_same_in_another_process(matcher: Matcher) -> None:
    tokens = matcher.tokens("明光一工地拖欠农民工工资半年，工人讨薪无门")
    sig = signature(tokens, tokens)
    back = from_bytes(to_bytes(sig))
    assert (back.text == sig.text).all() and (back.title == sig.title).all()
    # Signatures are stored: a process with another hash seed must compute the same values.
    code = (
        "import sys;from sentinel.cluster import signature,to_bytes;"
        "t=sys.argv[1].split(' ');sys.stdout.write(to_bytes(signature(t,t)).hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, " ".join(tokens)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert out == to_bytes(sig).hex()
    with pytest.raises(ValueError):
        from_bytes(b"\x00" * 12)


def test_reposts_join_and_other_stories_stay_apart(matcher: Matcher) -> None:
    index = StoryIndex(threshold=0.5)
    wages = sig_of(matcher, "明光一工地拖欠农民工工资半年，工人讨薪无门")
    land = sig_of(matcher, "女山湖镇强拆农户房屋，补偿款至今未到位", "村民说补偿款一直没有发放。")
    reply = sig_of(matcher, "关于管店镇群众反映问题的回复", "网民反映管店镇某小区门前垃圾成堆。")
    index.add(1, wages)
    index.add(2, land)
    index.add(3, reply)
    assert len(index) == 3

    # A media repost adds a lead paragraph: the title carries it.
    repost = sig_of(
        matcher,
        "明光一工地拖欠农民工工资半年 工人讨薪无门",
        "记者获悉，明光一工地拖欠农民工工资半年，工人多次讨薪无门。",
    )
    found = index.find(repost)
    assert found is not None and found[0] == 1
    # A traditional-character copy folds to the same tokens.
    tw = sig_of(matcher, "女山湖鎮強拆農戶房屋，補償款至今未到位", "村民說補償款一直沒有發放。")
    found = index.find(tw)
    assert found == (2, 1.0)
    # Same template title, different place and matter: not the same story.
    other_reply = sig_of(matcher, "关于明东街道群众反映问题的回复", "网民反映明东街道学校乱收费。")
    assert title_similarity(reply, other_reply) < 0.8
    assert index.find(other_reply) is None
    assert index.find(sig_of(matcher, "滁州举行马拉松比赛", "数千名选手参赛。")) is None


def test_empty_text_never_matches(matcher: Matcher) -> None:
    index = StoryIndex()
    empty = signature([], [])
    index.add(1, empty)
    assert len(index) == 0
    index.add(2, sig_of(matcher, "拆迁"))
    assert index.find(empty) is None
    assert similarity(empty, empty) == 0.0


def test_closest_story_wins(matcher: Matcher) -> None:
    index = StoryIndex(threshold=0.3)
    a = [
        "明光",
        "一",
        "工地",
        "拖欠",
        "农民工",
        "工资",
        "半年",
        "工人",
        "讨薪",
        "无门",
        "记者",
        "获悉",
    ]
    b = [*a[:8], "多次", "上访"]
    index.add(10, signature(b))
    index.add(20, signature(a))
    found = index.find(signature(a))
    assert found == (20, 1.0)
