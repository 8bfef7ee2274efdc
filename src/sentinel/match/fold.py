"""Folding: traditional → simplified, full width → half width, ASCII upper → lower case.

Every change maps ONE code point to ONE code point, so a position in the folded text is the same
position in the original: hits point into `Post.text` with no offset table. That is also why the
table is built from OpenCC's single-character data (first candidate) and never from its phrase
tables, which can change lengths.

One mapping (`fold_table`) is the truth. `fold_reference` applies it with `str.translate` (obviously
right, ~17 MB/s on Chinese text because CPython looks up every character in a dict); `fold` applies
the same mapping as a numpy lookup array (~80 MB/s). Tests hold the two equal.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

_TS_CHARACTERS = "dictionary/TSCharacters.txt"  # inside the opencc-python-reimplemented package
_FULL_WIDTH = range(0xFF01, 0xFF5F)  # ！ … ～  →  ! … ~
_FULL_WIDTH_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = 0x3000
_UNICODE_SIZE = 0x110000
# Below this length str.translate beats numpy's fixed cost per call (measured: ~2 µs).
_NUMPY_FROM = 48


@cache
def fold_table() -> dict[int, int]:
    """The folding map, code point → code point (characters that fold to themselves are absent).

    Built on first use, not at import. Idempotent: fold(fold(x)) == fold(x), so a keyword written in
    traditional characters and a text written in them fold to the same simplified string.
    """
    data = resources.files("opencc").joinpath(_TS_CHARACTERS).read_text(encoding="utf-8")
    table: dict[int, int] = {}
    for line in data.splitlines():
        key, _, candidates = line.partition("\t")
        first = candidates.split(" ", 1)[0].strip()
        if len(key) == 1 and len(first) == 1 and key != first:
            table[ord(key)] = ord(first)
    # OpenCC applies its table once; a few targets are keys themselves (薴→苧→苎). Follow the
    # chains so that folding a folded string changes nothing.
    for code in list(table):
        seen = {code}
        value = table[code]
        while value in table and value not in seen:
            seen.add(value)
            value = table[value]
        table[code] = value
    for code in _FULL_WIDTH:
        table[code] = code - _FULL_WIDTH_OFFSET
    table[_IDEOGRAPHIC_SPACE] = ord(" ")
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = code + 32
    for code, value in list(table.items()):
        if ord("A") <= value <= ord("Z"):  # full-width capitals go straight to lower case
            table[code] = value + 32
    return {k: v for k, v in table.items() if k != v}


@cache
def _lookup() -> npt.NDArray[np.uint32]:
    array = np.arange(_UNICODE_SIZE, dtype=np.uint32)
    table = fold_table()
    array[np.fromiter(table.keys(), np.uint32, len(table))] = np.fromiter(
        table.values(), np.uint32, len(table)
    )
    return array


def fold_reference(text: str) -> str:
    """Fold with `str.translate`: the plain statement of what folding means."""
    return text.translate(fold_table())


@cache
def _keys() -> re.Pattern[str]:
    """Finds a character that may fold: a key of the table, or any astral character.

    The astral keys (~350, CJK extension B) are not listed: re checks characters outside the
    Basic Multilingual Plane one by one against such a list, for every character it rejects,
    which made this search 30x slower. One range costs nothing; an astral character is rare.
    """
    bmp = "".join(re.escape(chr(k)) for k in sorted(fold_table()) if k <= 0xFFFF)
    return re.compile(f"[{bmp}\U00010000-\U0010ffff]")


def fold(text: str) -> str:
    """Fold `text`; same result as `fold_reference`, several times faster."""
    if text.isascii():
        return text.lower()  # on ASCII, lower() changes exactly A–Z
    if len(text) < _NUMPY_FROM:
        # short strings are runs, mostly: usually nothing to fold, and finding that out costs
        # less than translating (~0.2 µs a character)
        return text if _keys().search(text) is None else text.translate(fold_table())
    # surrogatepass: a lone surrogate (from a sloppy decoder) must fold to itself, not raise
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _lookup()[codes].tobytes().decode("utf-32-le", "surrogatepass")


def unfolded_chars(alphabet: set[str]) -> str:
    """The characters that fold INTO `alphabet`, sorted.

    A text containing none of them can be scanned for patterns over `alphabet` without folding it
    first: for such a text, text[s:e] == pattern exactly when fold(text)[s:e] == pattern (folded
    patterns contain no folding keys, because folding is idempotent). Most posts qualify, and the
    check runs at ~300 MB/s where folding runs at ~80.
    """
    return "".join(sorted(chr(k) for k, v in fold_table().items() if chr(v) in alphabet))
