"""Counts as sites print them: "1,234", "1.2万", "3千", "回复: 35"."""

from __future__ import annotations

import math
import re
import unicodedata

from sentinel.extract.limits import MAX_COUNT, MAX_COUNT_TEXT

_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿|万|千|百|[kKwW](?![a-zA-Z]))?")
_SCALE = {"亿": 100_000_000, "万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "百": 100}


def parse_count(value: object) -> int | None:
    """The first count in the value, or None when it holds none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    if isinstance(value, float):
        # JSON's 1e999, Infinity and NaN are floats too; none is a count.
        return int(value) if math.isfinite(value) and 0 <= value <= MAX_COUNT else None
    if not isinstance(value, str):
        return None
    value = value[:MAX_COUNT_TEXT]
    text = unicodedata.normalize("NFKC", value) if not value.isascii() else value
    m = _NUMBER.search(text)
    if m is None:
        return None
    digits, unit = m.group(1).replace(",", ""), m.group(2)
    try:
        n = float(digits)
    except ValueError:
        return None
    if unit:
        n *= _SCALE[unit.lower()]
    # A cell of 309 nines reads as infinity: a misread, not a count.
    return round(n) if n <= MAX_COUNT else None
