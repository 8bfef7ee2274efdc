"""keywords.yaml compiled into pattern tables, and the topic rules applied to occurrences.

Every configured word (any/all/none of each topic, region, exclude) is folded; equal folded words
share one pattern, so the scan looks for each string once however many roles it plays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sentinel.config.models import KeywordsFile
from sentinel.match.hit import Hit
from sentinel.match.scan import Occurrence


@dataclass(frozen=True, slots=True)
class TopicRule:
    id: str
    all: tuple[tuple[int, str], ...]  # (pattern, word as configured)
    none: frozenset[int]
    needs_all: frozenset[int]
    region: bool


@dataclass(frozen=True, slots=True)
class Rules:
    patterns: tuple[str, ...]  # folded, unique; the scanner's pattern list
    topics: tuple[TopicRule, ...]
    any_of: dict[int, tuple[tuple[int, str], ...]]  # pattern → (topic, word) for `any` words
    region: dict[int, tuple[str, ...]]  # pattern → region words as configured
    exclude: frozenset[int]

    @classmethod
    def compile(cls, keywords: KeywordsFile, fold: Callable[[str], str]) -> Rules:
        index: dict[str, int] = {}

        def pattern(word: str) -> int:
            return index.setdefault(fold(word), len(index))

        def pairs(words: Iterable[str]) -> tuple[tuple[int, str], ...]:
            return tuple(dict.fromkeys((pattern(w), w) for w in words))

        topics: list[TopicRule] = []
        any_of: dict[int, list[tuple[int, str]]] = {}
        for number, topic in enumerate(keywords.topics):
            for pid, word in pairs(topic.any):
                any_of.setdefault(pid, []).append((number, word))
            all_words = pairs(topic.all)
            topics.append(
                TopicRule(
                    id=topic.id,
                    all=all_words,
                    none=frozenset(pattern(w) for w in topic.none),
                    needs_all=frozenset(p for p, _ in all_words),
                    region=topic.region,
                )
            )
        region: dict[int, list[str]] = {}
        for word in dict.fromkeys(keywords.region):
            region.setdefault(pattern(word), []).append(word)
        exclude = frozenset(pattern(w) for w in keywords.exclude)
        return cls(
            patterns=tuple(index),
            topics=tuple(topics),
            any_of={p: tuple(t) for p, t in any_of.items()},
            region={p: tuple(w) for p, w in region.items()},
            exclude=exclude,
        )

    def evaluate(
        self,
        occurrences: Iterable[Occurrence],
        accepts: Callable[[int, int], bool],
        *,
        territorial: bool,
    ) -> list[Hit]:
        """The hits, given every raw occurrence and the boundary rule (`accepts(start, end)`).

        Cheap necessary conditions (an `any` word, every `all` word, a region word — all before
        the boundary rule) are checked first, so boundaries are computed only when a topic can
        still hit; then every occurrence found is put to the rule once (a candidate post holds a
        handful).
        """
        found: dict[int, list[tuple[int, int]]] = {}
        for pid, start, end in occurrences:
            if pid in found:
                found[pid].append((start, end))
            else:
                found[pid] = [(start, end)]
        # topic → its `any` words present, before the boundary rule
        present: dict[int, list[tuple[int, str]]] = {}
        any_of = self.any_of
        for pid in found:
            if pid in any_of:
                for t, word in any_of[pid]:
                    if t in present:
                        present[t].append((pid, word))
                    else:
                        present[t] = [(pid, word)]
        region = self.region
        region_present = territorial or not region.keys().isdisjoint(found)
        topics = self.topics
        candidates = [
            t
            for t in sorted(present)
            if (region_present or not topics[t].region)
            and (not topics[t].needs_all or topics[t].needs_all.issubset(found))
        ]
        if not candidates:
            return []

        kept: dict[int, list[tuple[int, int]]] = {}  # the occurrences that pass the rule
        for pid, spans in found.items():
            passed = [(s, e) for s, e in spans if accepts(s, e)]
            if passed:
                kept[pid] = passed
        if not self.exclude.isdisjoint(kept):
            return []
        region_words = tuple(
            sorted({w for pid in region.keys() & kept.keys() for w in region[pid]})
        )
        hits: list[Hit] = []
        for t in candidates:
            topic = topics[t]
            if topic.region and not territorial and not region_words:
                continue
            if not topic.needs_all.issubset(kept) or not topic.none.isdisjoint(kept):
                continue
            positions = {(w, s, e) for pid, w in present[t] if pid in kept for s, e in kept[pid]}
            if not positions:
                continue
            positions.update((w, s, e) for pid, w in topic.all for s, e in kept[pid])
            hits.append(
                Hit(
                    topic_id=topic.id,
                    words=tuple(sorted({w for w, _, _ in positions})),
                    region_words=region_words,
                    positions=tuple(sorted(positions)),
                )
            )
        hits.sort(key=lambda h: h.topic_id)
        return hits
