"""Published times as Chinese sites print them, made timezone-aware.

Absolute forms ("2026-11-20 09:12", "2026年11月20日", "2026/11/20 9:12:03", RFC 822 with or
without its weekday, ISO 8601), 12-hour clocks ("下午3:00", "晚上8点30分", "3:00 PM"), forms
without a year ("11-20 09:12": this year, or last year if that would be in the future) and
relative ones ("刚刚", "5 分钟前", "1.5小时前", "三天前", "昨天 12:30:05") read against the fetch
time, never after it, and a bare year and month ("2019-12", Tieba's form for old threads) as
the month's first day. Every pattern is linear in the text, which is cut at MAX_DATE_TEXT.
Times without a zone are Asia/Shanghai. Anything unreadable is None: a missing date never costs
a post.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from sentinel.extract.limits import MAX_DATE_TEXT

SHANGHAI = ZoneInfo("Asia/Shanghai")

_FULL = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*T?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_NO_YEAR = re.compile(
    r"(?<![\d\-/.])(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?"
    r"(?:\s+|\s*)(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?"
)
_NO_YEAR_DATE = re.compile(r"^[\[(（【]?\s*(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?\s*[\])）】]?$")
# "2019-12": Tieba lists older threads by month only; read as the month's first day.
_YEAR_MONTH = re.compile(r"^[\[(（【]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*[\])）】]?$")
_DAY_WORD = re.compile(
    r"(今天|昨天|前天|今日|昨日)\s*(?:(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?)?"
)
# "3 天前", "1.5小时前", "三天前", "十分钟前", "半小时前". (?<![\d.]): a search restarted inside
# a run of digits would rescan the run, which made 50k digits take minutes.
_CN_DIGITS = "零一二两三四五六七八九"
_CN_VALUES = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_VALUES |= {"八": 8, "九": 9}
_AGO = re.compile(
    rf"(?<![\d.{_CN_DIGITS}十百])(\d{{1,9}}(?:\.\d{{1,3}})?|[{_CN_DIGITS}十百]{{1,6}}|半|几)"
    r"\s*(秒|分钟|分|小时|个小时|天|日|周|星期|个月|月|年)\s*前"
)
# "下午3:00": a 12-hour clock with its half of the day in words (or AM/PM).
_HALF_DAY = re.compile(
    r"(上午|早上|早晨|凌晨|中午|下午|傍晚|晚上|夜里|AM|PM|am|pm|Am|Pm|aM|pM)\s*(\d{1,2})(?=\s*[:：点])"
)
_AM_PM_AFTER = re.compile(r"(\d{1,2})(\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)\s*([AaPp][Mm])\b")
_AFTERNOON = frozenset({"下午", "傍晚", "晚上", "夜里", "PM", "pm", "Pm", "pM"})
_DAY_MONTH = re.compile(r"\d{1,2}\s+[A-Za-z]{3}\s")
_CLOCK = re.compile(r"^(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?$")
_ZONE = re.compile(r"(?:[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|Z|[ECMP][SD]T)\b|\dZ)\s*$", re.I)

_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
    "个月": timedelta(days=30),
    "月": timedelta(days=30),
    "年": timedelta(days=365),
}
_DAYS_BACK = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


def has_zone(text: str) -> bool:
    """Whether a date string names its offset (then a feed parser's UTC reading is right)."""
    return bool(_ZONE.search(text.strip()))


def parse_date(value: object, now: datetime, *, fmt: str | None = None) -> datetime | None:
    """An aware datetime for a date as printed (or an epoch number), or None."""
    try:
        when = _parse(value, now, fmt)
        if when is not None:
            when.astimezone(UTC)  # year 1 at Shanghai's +08:05:43 is before datetime's first
        return when
    except (ValueError, OverflowError, OSError):
        return None


def _parse(value: object, now: datetime, fmt: str | None) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch(float(value))
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value[:MAX_DATE_TEXT]).strip()
    if not text:
        return None
    local_now = _aware(now).astimezone(SHANGHAI)
    if fmt:
        try:
            return _aware(datetime.strptime(text, fmt))
        except ValueError:
            pass
    if text.isdigit() and len(text) in (10, 13):
        return _epoch(float(text))
    if not text.isascii() or "M" in text or "m" in text:
        text = _AM_PM_AFTER.sub(lambda m: f"{m.group(3)}{m.group(1)}{m.group(2)}", text)
        text = _HALF_DAY.sub(_hours24, text).strip()
    return (
        _iso(text)
        or _rfc822(text)
        or _full(text)
        or _relative(text, local_now)
        or _no_year(text, local_now)
        or _year_month(text)
    )


def _hours24(m: re.Match[str]) -> str:
    hour = int(m.group(2))
    if (m.group(1) in _AFTERNOON and hour < 12) or (m.group(1) == "中午" and hour < 6):
        hour += 12
    elif m.group(1) in ("凌晨", "AM", "am", "Am", "aM") and hour == 12:
        hour = 0
    return f" {hour:02d}"


def _cn_number(raw: str) -> float | None:
    """三 → 3, 十 → 10, 十五 → 15, 二十三 → 23, 一百零五 → 105; None for what is not one."""
    total, digit = 0, None
    for ch in raw:
        if ch in "十百":
            scale = 10 if ch == "十" else 100
            total += (1 if digit is None else digit) * scale
            digit = None
        else:
            if digit is not None and digit != 0:
                return None  # "三四": two digits without a unit between
            digit = _CN_VALUES[ch]
    return float(total + (digit or 0))


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=SHANGHAI) if dt.tzinfo is None else dt


def _epoch(n: float) -> datetime | None:
    if n > 1e11:  # milliseconds, as JavaScript back ends send them
        n /= 1000
    if n < 1e8:  # too early to be a post (1973): a count or an id, not a time
        return None
    return datetime.fromtimestamp(n, UTC)


def _iso(text: str) -> datetime | None:
    if len(text) < 10 or text[4] != "-" or not text[:4].isdigit():
        return None
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    # RFC 822 may leave out the weekday: "20 Nov 2026 06:00:00 GMT".
    if not text[:1].isalpha() and "," not in text and not _DAY_MONTH.match(text):
        return None
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _full(text: str) -> datetime | None:
    m = _FULL.search(text)
    if m is None:
        return None
    y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    return datetime(y, mo, d, hh, mm, ss, tzinfo=SHANGHAI)


def _year_month(text: str) -> datetime | None:
    m = _YEAR_MONTH.match(text)
    if m is None:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=SHANGHAI)


def _relative(text: str, now: datetime) -> datetime | None:
    """A time relative to the fetch, never after it: a site's clock or zone may be off, but
    "今天 23:00" read at 16:00 is no post from the future."""
    when = _relative_any(text, now)
    return min(when, now) if when is not None else None


def _relative_any(text: str, now: datetime) -> datetime | None:
    if text.startswith("刚刚") or text == "刚才":
        return now
    m = _AGO.search(text)
    if m is not None:
        raw = m.group(1)
        n = {"半": 0.5, "几": 3.0}.get(raw) or (float(raw) if raw[0].isdigit() else _cn_number(raw))
        return now - _UNITS[m.group(2)] * n if n is not None else None
    m = _DAY_WORD.search(text)
    if m is not None:
        day = now.date() - timedelta(days=_DAYS_BACK[m.group(1)])
        hh, mm, ss = (int(g) if g else 0 for g in m.groups()[1:])
        return datetime.combine(day, time(hh, mm, ss), tzinfo=SHANGHAI)
    m = _CLOCK.match(text)
    if m is not None:  # a bare "09:12" is today's, or yesterday's when today's is still to come
        hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        when = datetime.combine(now.date(), time(hh, mm, ss), tzinfo=SHANGHAI)
        return when if when <= now else when - timedelta(days=1)
    return None


def _no_year(text: str, now: datetime) -> datetime | None:
    m = _NO_YEAR.search(text)
    if m is not None:
        mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        return _this_year(now, mo, d, time(hh, mm, ss))
    m = _NO_YEAR_DATE.match(text)
    if m is not None:
        return _this_year(now, int(m.group(1)), int(m.group(2)), time())
    return None


def _this_year(now: datetime, month: int, day: int, at: time) -> datetime:
    dt = datetime.combine(date(now.year, month, day), at, tzinfo=SHANGHAI)
    # A list page shows "12-31" in early January for last year's posts.
    if dt - now > timedelta(days=2):
        dt = dt.replace(year=now.year - 1)
    return dt
