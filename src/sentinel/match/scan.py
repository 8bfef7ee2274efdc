"""Stage 1: find every occurrence of every folded keyword in a text.

Two engines behind one small interface. Both return the same occurrences (in any order): every
(pattern index, start, end) such that fold(text)[start:end] == pattern, overlapping ones included,
because the boundary rule may reject one occurrence and accept another that overlaps it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sentinel.match.fold import fold, fold_reference, unfolded_chars

Occurrence = tuple[int, int, int]  # (pattern index, start, end), positions in characters


class Scanner(Protocol):
    def scan(self, text: str) -> list[Occurrence]:
        """Every occurrence of every pattern in fold(text); any order."""
        ...


class AhoCorasickScanner:
    """One Aho–Corasick automaton (ahocorasick-rs, contiguous NFA) over all patterns.

    pyahocorasick slows sharply with thousands of CJK keywords (its root has thousands of
    children); ahocorasick-rs's contiguous NFA keeps ~55–65 MB/s with 10,000 of them here, where
    its DFA (tens of MB of tables) manages ~40.

    Folding costs more than scanning (~80 MB/s), and most texts need none: a text containing no
    character that folds into the patterns' alphabet has exactly the same occurrences folded or
    not (see fold.unfolded_chars). Those characters ride along in the same automaton as one-char
    "marker" patterns, so one pass both scans and tells whether the text must be folded and
    scanned again (~10% of posts; a separate regex check would cost a fifth more on every post).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        from ahocorasick_rs import AhoCorasick, Implementation, MatchKind

        markers = list(unfolded_chars({c for p in patterns for c in p}))
        self._markers_from = len(patterns)
        self._find: Callable[[str, bool], list[Occurrence]] = (
            AhoCorasick(
                [*patterns, *markers],
                matchkind=MatchKind.Standard,  # overlapping search needs standard semantics
                implementation=Implementation.ContiguousNFA,
            ).find_matches_as_indexes
            if patterns
            else lambda text, overlapping: []
        )

    def scan(self, text: str) -> list[Occurrence]:
        found = self._find(text, True)  # overlapping; positional: this runs on every post
        if not found:
            return found
        markers_from = self._markers_from
        for pid, _, _ in found:
            if pid >= markers_from:
                # folded text holds no marker (folding is idempotent), so no filtering is needed
                return self._find(fold(text), True)
        return found


class FindScanner:
    """The reference: fold with str.translate, then str.find each pattern, overlaps included."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = list(patterns)

    def scan(self, text: str) -> list[Occurrence]:
        folded = fold_reference(text)
        found: list[Occurrence] = []
        for index, pattern in enumerate(self._patterns):
            start = folded.find(pattern)
            while start != -1:
                found.append((index, start, start + len(pattern)))
                start = folded.find(pattern, start + 1)
        return found
