"""The relevance matcher: which topics of keywords.yaml a post hits, with which words, where.

Two stages, because most posts match nothing:
1. one Aho–Corasick scan over every folded word of every topic, region and exclude list finds
   candidate occurrences; a post with no `any` word of any topic is done here;
2. only then are the runs of text around the occurrences folded and segmented, to apply the
   word-boundary rule (see boundaries.py) and the topic rules (see rules.py).

engine="fast" runs ahocorasick-rs + numpy folding + rjieba; engine="reference" runs str.find +
str.translate + jieba. They give identical results (tests assert it on a corpus).
"""

from __future__ import annotations

from collections.abc import Callable

from sentinel.config.models import KeywordsFile
from sentinel.match.boundaries import Boundaries
from sentinel.match.fold import fold, fold_reference
from sentinel.match.hit import Hit
from sentinel.match.rules import Rules
from sentinel.match.scan import AhoCorasickScanner, FindScanner, Scanner
from sentinel.match.segment import Segmenter, cut_text, is_word, segmenter

_FOLD: dict[str, Callable[[str], str]] = {"fast": fold, "reference": fold_reference}
_SCANNER: dict[str, Callable[[tuple[str, ...]], Scanner]] = {
    "fast": AhoCorasickScanner,
    "reference": FindScanner,
}


class Matcher:
    def __init__(self, keywords: KeywordsFile, *, engine: str = "fast") -> None:
        if engine not in _FOLD:
            raise ValueError(f"unknown match engine {engine!r} (use 'fast' or 'reference')")
        self.engine = engine
        self._fold = _FOLD[engine]
        self._rules = Rules.compile(keywords, self._fold)
        self._any = frozenset(self._rules.any_of)
        self._scanner = _SCANNER[engine](self._rules.patterns)
        self._scan = self._scanner.scan  # bound once: match() runs on every post
        words = tuple(dict.fromkeys(self._fold(w) for w in keywords.dictionary))
        self._segmenter: Segmenter = segmenter(engine, words)

    def match(self, text: str, *, territorial: bool = False) -> list[Hit]:
        """The topics `text` hits, sorted by topic id; positions index `text` itself."""
        occurrences = self._scan(text)
        if not occurrences:
            return []
        wanted = self._any
        for pid, _, _ in occurrences:
            if pid in wanted:
                break
        else:
            return []
        bounds = Boundaries(text, self._segmenter.cut, self._fold)
        return self._rules.evaluate(occurrences, bounds.accepts, territorial=territorial)

    def tokens(self, text: str) -> list[str]:
        """The words of the folded text as jieba cuts it; whitespace and punctuation dropped."""
        return [t for t in cut_text(self._fold(text), self._segmenter.cut) if is_word(t)]

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) of the folded text; punctuation and spaces kept (flag x),
        since they end place names and clauses."""
        return self._segmenter.tag(self._fold(text))

    def fold(self, text: str) -> str:
        return self._fold(text)
