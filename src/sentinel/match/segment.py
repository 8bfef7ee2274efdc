"""Word segmentation (jieba's, exactly), with two engines behind one small interface.

jieba.cut splits a text into maximal runs of `RUN` characters (its `re_han_default`) and segments
each run on its own; every other character is a token by itself (except "\\r\\n", one token). So the
boundaries inside a run depend on that run alone, and segmenting just the runs that hold a keyword
gives the same boundaries as segmenting the whole text (tests check this against jieba on the
corpus). Engines therefore only ever see single runs; `cut_text` assembles a whole text.

The reference engine is jieba itself (HMM on, as jieba.cut and rjieba.cut default to). The fast
engine is rjieba (jieba-rs, ~25x faster), corrected where it parts from jieba — see
`RJiebaSegmenter`. Both take the operator's dictionary words on their own instance, so two matchers
with different dictionaries never interfere.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sentinel.errors import ConfigError

# jieba's re_han_default: the characters it segments with its dictionary and HMM.
RUN = re.compile("[\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]+")
_SKIP = re.compile(r"(\r\n|\s)")  # jieba's re_skip_default, for what lies between runs
# jieba's finalseg.re_skip: how its HMM step splits the non-Chinese part of an unknown stretch.
_HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_ASCII = re.compile(r"[\x00-\x7f]")

# jieba's dict.txt lists B超 twice (freq 3 each). jieba adds both to its total; jieba-rs keeps one
# entry. The total enters every path probability, and near-ties (e.g. 理理理 before other text)
# then break differently. A dummy word of that frequency evens the totals; it is made of
# private-use characters, which are never inside a run, so it can never be segmented.
_JIEBA_DUPLICATE_FREQ = 3
_PAD_WORD = "\ue000\ue000"


class Segmenter(Protocol):
    def cut(self, run: str) -> list[str]:
        """Tokens of one run (a full match of RUN, folded); they concatenate to `run`."""
        ...

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) over a whole folded text, jieba's flags (ns: place name,
        nr: person or place, nt: organisation, n: noun, v: verb, m: numeral, x: other)."""
        ...


class RJiebaSegmenter:
    """rjieba (jieba-rs 0.11), brought in line with jieba.

    Where jieba-rs differs from jieba on our corpus (measured; nowhere else after these fixes):
    - its HMM step returns the non-Chinese part of an unknown stretch whole ("style_name",
      "blogbus.com", "3-5", "1.5zb") where jieba splits it with finalseg's re_skip ("style", "_",
      "name"). Such tokens are split the same way here; dictionary words ("c++") are left alone,
      since those come from the dictionary path in both.
    - its dictionary total is 3 lower (see _JIEBA_DUPLICATE_FREQ).
    rjieba.Jieba instances each hold their own dictionary (add_word on one does not reach another
    or the module-level default), so no global state is touched.
    """

    def __init__(self, words: Sequence[str] = ()) -> None:
        import rjieba

        self._jieba: Any = rjieba.Jieba()
        self._jieba.add_word(_PAD_WORD, _JIEBA_DUPLICATE_FREQ, None)
        self.added: dict[str, int] = {}  # word → the frequency it was given
        for word in words:
            # a word jieba already knows keeps its frequency (jieba and jieba-rs would each
            # change it, differently)
            if not self._jieba.has_word(word):
                self.added[word] = int(self._jieba.add_word(word, None, None))

    def cut(self, run: str) -> list[str]:
        tokens: list[str] = self._jieba.cut(run)
        if _ASCII.search(run) is None:
            return tokens  # the fix concerns ASCII stretches only
        fixed: list[str] | None = None
        for i, token in enumerate(tokens):
            if len(token) > 1 and token.isascii():
                pieces = [p for p in _HMM_SKIP.split(token) if p]
                if len(pieces) > 1 and not self._jieba.has_word(token):
                    if fixed is None:
                        fixed = tokens[:i]
                    fixed.extend(pieces)
                    continue
            if fixed is not None:
                fixed.append(token)
        return tokens if fixed is None else fixed

    def tag(self, text: str) -> list[tuple[str, str]]:
        # the operator's dictionary words come untagged: they are local names (nz)
        return [(w, f or "nz") for w, f in self._jieba.tag(text)]


class JiebaSegmenter:
    """jieba itself, on a dedicated Tokenizer (not the global one)."""

    def __init__(self, words: Sequence[str] = ()) -> None:
        try:
            import jieba
        except ImportError as e:  # an extra since jieba is unmaintained: say how to get it
            raise ConfigError(
                "match.engine: reference needs jieba: pip install 'sentinel-yq[reference]'",
                file="sentinel.yaml",
            ) from e

        # jieba prints "Building prefix dict..." at DEBUG on its own stderr handler
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._tokenizer: Any = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._tagger: Any = None  # built on first use: only the event step tags
        self.added: dict[str, int] = {}  # word → the frequency it was given
        for word in words:
            if not self._tokenizer.FREQ.get(word):
                self.added[word] = self._suggest_freq(word)
                self._tokenizer.add_word(word, self.added[word])

    def _suggest_freq(self, word: str) -> int:
        """jieba's suggest_freq(word), computed the way jieba-rs computes it.

        jieba multiplies probabilities, jieba-rs adds their logarithms; the results differ in the
        last unit when they land on an integer (any one-token word: jieba 1, jieba-rs 2). An added
        word must weigh the same in both engines, so both use jieba-rs's arithmetic, step for step.
        """
        freq = self._tokenizer.FREQ
        log_total = math.log(self._tokenizer.total)
        log_freq = 0.0
        for token in self._tokenizer.cut(word, HMM=False):
            log_freq = log_freq + math.log(freq.get(token) or 1) - log_total
        return max(int(math.exp(log_freq + log_total)) + 1, freq.get(word) or 1)

    def cut(self, run: str) -> list[str]:
        return list(self._tokenizer.cut(run, HMM=True))

    def tag(self, text: str) -> list[tuple[str, str]]:
        import jieba.posseg

        if self._tagger is None:
            self._tagger = jieba.posseg.POSTokenizer(self._tokenizer)
        return [
            (p.word, "nz" if p.word in self.added and p.flag == "x" else p.flag)
            for p in self._tagger.cut(text)
        ]


ENGINES: dict[str, Callable[[Sequence[str]], Segmenter]] = {
    "fast": RJiebaSegmenter,
    "reference": JiebaSegmenter,
}


@lru_cache(maxsize=8)
def segmenter(engine: str, words: tuple[str, ...]) -> Segmenter:
    """A segmenter for `engine` with `words` added, shared by matchers with the same words.

    Loading a dictionary costs 0.1 s (rjieba) to 1 s (jieba); instances are never changed after
    this, so sharing them is safe (rjieba's cut releases the GIL and only reads).
    """
    return ENGINES[engine](words)


def cut_text(text: str, cut: Callable[[str], list[str]]) -> list[str]:
    """All tokens of `text`, as jieba.cut(text) gives them, using `cut` for each run."""
    tokens: list[str] = []
    pos = 0
    for m in RUN.finditer(text):
        if m.start() > pos:
            _between(text[pos : m.start()], tokens)
        tokens.extend(cut(m.group()))
        pos = m.end()
    if pos < len(text):
        _between(text[pos:], tokens)
    return tokens


def _between(block: str, tokens: list[str]) -> None:
    for piece in _SKIP.split(block):
        if _SKIP.match(piece):
            tokens.append(piece)
        else:
            tokens.extend(piece)


def is_word(token: str) -> bool:
    """A token that carries meaning: not whitespace, not punctuation alone."""
    return any(c.isalnum() for c in token)
