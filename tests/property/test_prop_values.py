"""Dates, counts and URLs: whatever the text, a value in range or None, never an exception
(except canonical_url's documented ValueError); relative dates never after the fetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sentinel.extract import canonical_url, parse_count, parse_date
from sentinel.extract.limits import MAX_COUNT
from sentinel.extract.urls import web_url

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BASE = "http://bbs.example.cn/forum/list.html"

# Text drawn from what dates, counts and links are made of, and anything else.
PIECES = st.sampled_from(
    [
        "2026",
        "-",
        "/",
        ".",
        ":",
        "：",
        "年",
        "月",
        "日",
        "时",
        "分",
        "秒",
        " ",
        "T",
        "Z",
        "+08:00",
        "GMT",
        "Nov",
        "Fri,",
        "前",
        "天",
        "小时",
        "分钟",
        "个月",
        "刚刚",
        "昨天",
        "今天",
        "前天",
        "下午",
        "上午",
        "凌晨",
        "PM",
        "三",
        "十",
        "百",
        "两",
        "半",
        "万",
        "亿",
        "k",
        "w",
        ",",
        "e",
        "9" * 30,
        "0",
        "1",
        "12",
        "31",
        "99",
        "http://",
        "https:",
        "//",
        "[",
        "]",
        "?",
        "#",
        "&",
        "=",
        "%",
        "%zz",
        "@",
        "..",
        "javascript:",
        "\ud800",
        "\x00",
    ]
)
TEXT = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=40).map("".join))
UNITS = ["秒", "分钟", "分", "小时", "个小时", "天", "日", "周", "星期", "个月", "月", "年"]


@given(TEXT, st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_parse_date_gives_an_aware_time_or_none(text: str, now: datetime) -> None:
    when = parse_date(text, now.replace(tzinfo=UTC))
    if when is not None:
        assert when.tzinfo is not None
        when.astimezone(UTC)  # the store converts every time to UTC


@given(
    st.one_of(
        st.integers(min_value=0, max_value=10_000).map(str),
        st.sampled_from(["三", "十", "二十三", "两", "一百零五", "半", "几"]),
        st.decimals(min_value=0, max_value=1000, places=1).map(str),
    ),
    st.sampled_from(UNITS),
    st.sampled_from(["", " ", "  "]),
)
def test_relative_dates_are_never_after_the_fetch(n: str, unit: str, gap: str) -> None:
    when = parse_date(f"{n}{gap}{unit}前", NOW)
    assert when is None or when <= NOW


@given(
    st.sampled_from(["", "今天 ", "昨天 ", "前天 ", "今日", "下午", "上午", "晚上"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.one_of(st.none(), st.integers(0, 59)),
)
def test_clock_times_are_never_after_the_fetch(day: str, hh: int, mm: int, ss: int | None) -> None:
    text = f"{day}{hh}:{mm:02d}" + (f":{ss:02d}" if ss is not None else "")
    when = parse_date(text, NOW)
    assert when is None or NOW - timedelta(days=3) <= when <= NOW


@given(st.one_of(TEXT, st.integers(), st.floats(), st.none(), st.booleans()))
def test_parse_count_is_in_range_or_none(value: object) -> None:
    n = parse_count(value)
    assert n is None or 0 <= n <= MAX_COUNT


@given(st.integers(min_value=0, max_value=MAX_COUNT))
def test_a_written_count_reads_back(n: int) -> None:
    assert parse_count(f"{n:,}") == n
    assert parse_count(n) == n


@given(TEXT)
def test_canonical_url_raises_only_value_error(text: str) -> None:
    try:
        url = canonical_url(text, BASE)
    except ValueError:
        return
    assert "#" not in url


@given(TEXT)
def test_web_url_is_a_canonical_web_url_or_none(text: str) -> None:
    url = web_url(text, BASE)
    if url is not None:
        assert url.startswith(("http://", "https://"))
        assert web_url(url, BASE) == url  # canonical: reading it again changes nothing
