"""The word-boundary rule, computed lazily on one folded text.

A keyword occurrence [s, e) counts unless it cuts through the middle of a word on both sides:
accept iff s or e is a token boundary. So 城管 is not in 省城管理 (省城|管理) and 市长 is not in
南京市长江大桥 (南京市|长江大桥), but 拆迁 is in 拆迁户 (拆迁户 starts where 拆迁 starts).

Only the runs (see segment.RUN) that hold s or e strictly inside them are segmented, once each.
Between runs jieba makes every character a token, so no segmentation is needed there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from itertools import accumulate

from sentinel.match.fold import fold_table

_RUN_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-"


@cache
def run_chars() -> frozenset[str]:
    """The characters that are RUN characters once folded (ＰＸ, 遷, as well as px, 迁)."""
    plain = frozenset(map(chr, range(0x4E00, 0x9FD6))) | frozenset(_RUN_ASCII)
    table = fold_table()
    return frozenset(
        c for c in plain.union(map(chr, table)) if chr(table.get(ord(c), ord(c))) in plain
    )


@cache
def _run_pattern() -> re.Pattern[str]:
    codes = sorted(map(ord, run_chars()))
    ranges: list[str] = []
    first = last = codes[0]
    for code in [*codes[1:], -1]:
        if code == last + 1:
            last = code
            continue
        ranges.append(re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last > first else ""))
        first = last = code
    return re.compile("[" + "".join(ranges) + "]+")


class Boundaries:
    """Boundaries of fold(text), computed from `text` itself: only the runs that hold a position
    asked about are folded and segmented, once each; the rest of the text is never touched."""

    def __init__(
        self, text: str, cut: Callable[[str], list[str]], fold: Callable[[str], str]
    ) -> None:
        self._text = text
        self._cut = cut
        self._fold = fold
        self._chars = run_chars()
        self._pattern = _run_pattern()
        self._runs: list[tuple[int, int, set[int]]] = []  # (start, end, token ends) segmented

    def accepts(self, start: int, end: int) -> bool:
        """Does the occurrence [start, end) pass the rule (start or end is a boundary)?"""
        # Settle what needs no segmentation first: an occurrence touching punctuation, space or
        # the text's edge on one side is accepted without segmenting the other side's run.
        at_start, at_end = self._outside_run(start), self._outside_run(end)
        if at_start or at_end:
            return True
        return (at_start is None and self._in_run(start)) or (at_end is None and self._in_run(end))

    def at(self, pos: int) -> bool:
        """Is `pos` a token boundary of the whole (folded) text?"""
        outside = self._outside_run(pos)
        return self._in_run(pos) if outside is None else outside

    def _outside_run(self, pos: int) -> bool | None:
        """Whether `pos` is a boundary, when that needs no segmentation; None when it does."""
        text, chars = self._text, self._chars
        if pos <= 0 or pos >= len(text):
            return True
        before, after = text[pos - 1], text[pos]
        if before in chars and after in chars:
            return None
        # between runs jieba makes every character a token, except "\r\n"
        return not (before == "\r" and after == "\n")

    def _in_run(self, pos: int) -> bool:
        """Whether `pos`, strictly inside a run, is a boundary of that run's tokens."""
        for start, end, cuts in self._runs:
            if start < pos < end:
                return pos in cuts
        start = self._run_start(pos)
        run = self._pattern.match(self._text, start)
        assert run is not None  # text[start] is a run character
        tokens = self._cut(self._fold(run.group()))
        cuts = set(accumulate(map(len, tokens), initial=start))
        self._runs.append((start, run.end(), cuts))
        return pos in cuts

    def _run_start(self, pos: int) -> int:
        # re cannot search backwards: match the run on the reversed text before pos, looking
        # further back only while the run fills the whole window
        window = 32
        while True:
            low = max(0, pos - window)
            back = self._pattern.match(self._text[low:pos][::-1])
            length = back.end() if back else 0
            if length < pos - low or low == 0:
                return pos - length
            window *= 8
