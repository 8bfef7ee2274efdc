"""Matcher micro-benchmark: Matcher.match in MB/s with 10,000 keywords in 200 topics.

Keywords are real 2–4 character words from jieba's dictionary (not among its 40,000 most frequent,
as topic words are in practice); posts are frequency-weighted runs of the 40,000 most frequent
(simplified-character) words with punctuation, 60–600 characters, checked to contain no topic
word; then a topic word (and usually a region word) is put into 1%, 3% or 10% of them.
A fifth of all posts name a place (region word), as local posts do, so stage 1 also sees
non-candidate matches.

Measured per candidate rate, on the same posts: the fast engine (median of repeats), its stage 1
alone, the reference engine and plain `jieba.lcut` (on a leading share of the posts: they are
slow; MB/s does not depend on the share), and whether fast and reference give the same hits.

    python bench/matcher.py [--quick] [--json FILE]
    from bench.matcher import run; run(quick=True)
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from sentinel.config.models import KeywordsFile
from sentinel.match import Matcher
from sentinel.match.fold import fold

RATES = (0.01, 0.03, 0.10)
TARGET_MBPS = 40.0  # fast engine, 3% candidates, 10,000 keywords
_HAN = re.compile("[\u4e00-\u9fd5]+")
_PUNCT = "，，，。。！？、；：“”"


def _dictionary() -> list[tuple[str, int]]:
    lines = resources.files("jieba").joinpath("dict.txt").read_text("utf-8").splitlines()
    rows = [(w, int(f)) for w, f, *_ in (line.split() for line in lines)]
    rows.sort(key=lambda r: -r[1])
    return rows


def workload(
    *, seed: int = 1, keywords: int = 10_000, topics: int = 200, mb: float = 3.0
) -> tuple[KeywordsFile, dict[float, list[str]]]:
    """The keywords file and, per candidate rate, posts totalling about `mb` MB of UTF-8."""
    rng = random.Random(seed)
    # jieba's dictionary holds traditional-character words too; posts and keywords here are
    # simplified Chinese, as most posts are (a traditional post costs one more fold and scan)
    rows = [(w, f) for w, f in _dictionary() if fold(w) == w]
    common, rare = rows[:40_000], rows[40_000:]
    pool = [w for w, _ in rare if 2 <= len(w) <= 4 and _HAN.fullmatch(w)]
    chosen = rng.sample(pool, keywords + 100)
    words, extra = chosen[:keywords], chosen[keywords:]
    region, exclude, none = extra[:20], extra[20:30], extra[30:100]
    per = keywords // topics
    spec: list[dict[str, Any]] = []
    for t in range(topics):
        topic: dict[str, Any] = {
            "id": f"t{t:03d}",
            "name": f"topic {t}",
            "department": "d",
            "any": words[t * per : (t + 1) * per],
            "region": t % 5 != 0,
        }
        if t % 3 == 0:
            topic["none"] = [none[t % len(none)]]
        spec.append(topic)
    keywords_file = KeywordsFile.model_validate(
        {"region": region, "exclude": exclude, "dictionary": extra[:20], "topics": spec}
    )

    from ahocorasick_rs import AhoCorasick

    topic_words = AhoCorasick(words)
    filler_words = [w for w, _ in common]
    weights = [f for _, f in common]

    def filler() -> str:
        while True:
            out: list[str] = []
            for w in rng.choices(filler_words, weights=weights, k=rng.randint(25, 250)):
                out.append(w)
                if rng.random() < 0.12:
                    out.append(rng.choice(_PUNCT))
            text = "".join(out)
            if not topic_words.find_matches_as_indexes(text, overlapping=True):
                return text

    def insert(text: str, word: str) -> str:
        at = rng.randrange(len(text) + 1)
        return text[:at] + word + text[at:]

    budget = int(mb * 1e6)
    base: list[str] = []
    size = 0
    while size < budget:
        text = filler()
        if rng.random() < 0.2:
            text = insert(text, rng.choice(region))
        base.append(text)
        size += len(text.encode())
    by_rate: dict[float, list[str]] = {}
    for rate in RATES:
        picked = set(rng.sample(range(len(base)), round(rate * len(base))))
        posts = list(base)
        for i in picked:
            posts[i] = insert(posts[i], rng.choice(words))
            if rng.random() < 0.7:
                posts[i] = insert(posts[i], rng.choice(region))
        by_rate[rate] = posts
    return keywords_file, by_rate


def _mb(posts: Sequence[str]) -> float:
    return sum(len(p.encode()) for p in posts) / 1e6


def _seconds(fn: Callable[[str], object], posts: Sequence[str]) -> float:
    """CPU seconds (the machine is shared: wall time would count other processes' turns)."""
    start = time.process_time()
    for post in posts:
        fn(post)
    return time.process_time() - start


def _share(posts: list[str], mb: float) -> list[str]:
    out: list[str] = []
    size = 0
    for post in posts:
        if size >= mb * 1e6:
            break
        out.append(post)
        size += len(post.encode())
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Measure; return the figures (also what `main` prints)."""
    mb = 0.6 if quick else 3.0
    repeats = 3 if quick else 5
    reference_mb = 0.06 if quick else 0.3
    jieba_mb = 0.15 if quick else 1.0
    t0 = time.perf_counter()
    keywords, by_rate = workload(mb=mb)
    generated = time.perf_counter() - t0

    t0 = time.perf_counter()
    fast = Matcher(keywords, engine="fast")
    fast.match("预热")
    build_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    reference = Matcher(keywords, engine="reference")
    reference.match("预热")
    build_reference = time.perf_counter() - t0

    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.initialize()

    results: dict[str, Any] = {}
    for rate, posts in by_rate.items():
        size = _mb(posts)
        fast_s = statistics.median(_seconds(fast.match, posts) for _ in range(repeats))
        scan_s = statistics.median(_seconds(fast._scanner.scan, posts) for _ in range(repeats))
        share = _share(posts, reference_mb)
        reference_s = _seconds(reference.match, share)
        agree = all(fast.match(p) == reference.match(p) for p in share)
        jieba_share = _share(posts, jieba_mb)
        jieba_s = _seconds(jieba.lcut, jieba_share)
        fast_mbps = size / fast_s
        jieba_mbps = _mb(jieba_share) / jieba_s
        reference_mbps = _mb(share) / reference_s
        candidates = sum(1 for p in posts if _is_candidate(fast, p))
        results[f"{rate:.0%}"] = {
            "posts": len(posts),
            "mb": round(size, 3),
            "candidates": candidates,
            "hits": sum(1 for p in posts if fast.match(p)),
            "fast_mbps": round(fast_mbps, 1),
            "scan_mbps": round(size / scan_s, 1),
            "reference_mbps": round(reference_mbps, 2),
            "jieba_mbps": round(jieba_mbps, 2),
            "fast_vs_reference": round(fast_mbps / reference_mbps, 1),
            "fast_vs_jieba": round(fast_mbps / jieba_mbps, 1),
            "engines_agree": agree,
        }
    three = results["3%"]["fast_mbps"]
    return {
        "keywords": sum(len(t.any) for t in keywords.topics),
        "topics": len(keywords.topics),
        "quick": quick,
        "generate_s": round(generated, 2),
        "build_s": {"fast": round(build_fast, 2), "reference": round(build_reference, 2)},
        "rates": results,
        "target_mbps_at_3pct": TARGET_MBPS,
        "target_met": three >= TARGET_MBPS,
    }


def _is_candidate(matcher: Matcher, text: str) -> bool:
    return any(pid in matcher._any for pid, _, _ in matcher._scanner.scan(text))


def render(result: dict[str, Any]) -> str:
    head = (
        f"matcher: {result['keywords']} keywords in {result['topics']} topics"
        f" (build: fast {result['build_s']['fast']} s,"
        f" reference {result['build_s']['reference']} s)"
    )
    cols = [
        "rate",
        "posts",
        "MB",
        "cand.",
        "fast",
        "stage 1",
        "reference",
        "jieba",
        "×ref",
        "×jieba",
    ]
    lines = [head, " ".join(f"{c:>9}" for c in cols), " ".join(["-" * 9] * len(cols))]
    for rate, r in result["rates"].items():
        row = [
            rate,
            r["posts"],
            r["mb"],
            r["candidates"],
            r["fast_mbps"],
            r["scan_mbps"],
            r["reference_mbps"],
            r["jieba_mbps"],
            r["fast_vs_reference"],
            r["fast_vs_jieba"],
        ]
        lines.append(" ".join(f"{v:>9}" for v in row) + ("" if r["engines_agree"] else "  DIFFER"))
    lines.append("(MB/s of UTF-8 text; stage 1 = fold check + Aho–Corasick scan only)")
    met = "met" if result["target_met"] else "NOT met"
    lines.append(f"target: fast ≥ {result['target_mbps_at_3pct']} MB/s at 3% — {met}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller texts, fewer repeats")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(render(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
