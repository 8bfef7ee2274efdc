"""Salient terms by TF-IDF, as jieba.analyse.extract_tags weighs them, over tagged tokens.

jieba.analyse would segment the text again with jieba's own (slow, pure-Python) tokenizer; the
matcher has already segmented it, so the same weights are computed here on its tokens: term
frequency times inverse document frequency, unknown words at the table's median, the top N.
The table (idf.txt) ships with Sentinel: the common words of jieba's own IDF table, with the
boilerplate of government-affairs posts (反映, 群众, 相关部门, 尽快解决 …) set low, since every
complaint uses it and it tells no event from another.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from functools import cache
from importlib import resources


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# jieba's median IDF: what jieba.analyse gives a word its table lacks. The shipped table lists
# only words below 9.5, so every word it lacks is at least that rare.
DEFAULT_IDF = 11.9547675029
# Flags of words that can say what an event is about: nouns, verbal nouns, verbs, idioms.
# Names of people (nr*) are left out: Sentinel follows topics, not persons.
TERM_FLAGS = frozenset({"n", "nz", "vn", "v", "an", "i", "l", "j", "ng", "vd", "s"})
_STOP = _words(
    "什么 怎么 为什么 还是 就是 不是 没有 可以 已经 这个 那个 这样 那样 "
    "自己 大家 我们 你们 他们 时候 现在 今天 昨天 明天 目前 有关 相关 "
    "进行 表示 认为 希望 要求 觉得 知道 出现 发生 导致 造成 经过 开始 "
    "继续 一直 记者 网友 网民 市民 村民 居民 群众 领导 部门 单位 工作 "
    "问题 情况 解决问题 尽快解决 "
)
# Words this common say nothing of an event (the table sets government boilerplate to 2).
_FLOOR = 3.0


@cache
def _table() -> dict[str, float]:
    table: dict[str, float] = {}
    text = resources.files("sentinel.cluster").joinpath("idf.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        word, _, value = line.rpartition(" ")
        table[word] = float(value)
    return table


def idf(word: str) -> float:
    return _table().get(word, DEFAULT_IDF)


def salient_terms(
    tagged: Sequence[tuple[str, str]], *, skip: Collection[str] = (), top: int = 12
) -> list[tuple[str, float]]:
    """The `top` words by TF-IDF, weights scaled to unit length (for cosine similarity)."""
    counts: Counter[str] = Counter()
    for word, flag in tagged:
        if (
            len(word) < 2
            or flag not in TERM_FLAGS
            or word in _STOP
            or word in skip
            or not word.isalpha()
        ):
            continue
        counts[word] += 1
    if not counts:
        return []
    table = _table()
    for word in [w for w in counts if table.get(w, DEFAULT_IDF) < _FLOOR]:
        del counts[word]
    if not counts:
        return []
    total = sum(counts.values())
    weighted = sorted(
        ((w, n / total * table.get(w, DEFAULT_IDF)) for w, n in counts.items()),
        key=lambda kv: (-kv[1], kv[0]),
    )[:top]
    norm = math.sqrt(sum(v * v for _, v in weighted)) or 1.0
    return [(w, v / norm) for w, v in weighted]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(w, 0.0) for w, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0
