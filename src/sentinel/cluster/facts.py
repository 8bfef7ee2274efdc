"""Sums of money and days of the month in Chinese local news (for the event step)."""

from __future__ import annotations

import re

# Bounded repetitions: an unbounded \d+ would rescan a long digit run from every start (issue:
# quadratic time on hostile pages).
_AMOUNT = re.compile(
    r"(?<![0-9.])([0-9]{1,12}(?:\.[0-9]{1,4})?|[零一二两三四五六七八九十百千]{1,8})"
    r"\s?(?:余|多)?\s?(亿|万|千)?\s?(?:余|多)?\s?(?:元|块钱)"
)
_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})月([0-9]{1,2})[日号]")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"亿": 100_000_000, "万": 10_000, "千": 1_000, None: 1}


def _cn_number(text: str) -> int | None:
    total, digit = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[c]
            digit = 0
        else:
            return None
    return total + digit


def amounts(text: str) -> list[int]:
    out: list[int] = []
    for m in _AMOUNT.finditer(text):
        number, scale = m.group(1), m.group(2)
        if number[0].isdigit():
            try:
                value = float(number)
            except ValueError:
                continue
        else:
            parsed = _cn_number(number)
            if parsed is None:
                continue
            value = float(parsed)
        yuan = int(value * _SCALE[scale])
        # a few yuan (两块钱) names no event; an amount worth comparing is a sum owed or paid
        if yuan >= 100 and yuan not in out:
            out.append(yuan)
    return out


def dates(text: str) -> list[str]:
    out: list[str] = []
    for m in _DATE.finditer(text):
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            key = f"{month:02d}-{day:02d}"
            if key not in out:
                out.append(key)
    return out
