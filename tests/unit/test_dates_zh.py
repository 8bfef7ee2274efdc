"""Chinese dates the fuzzing run found read wrong or not at all, read against a fixed fetch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sentinel.extract.dates import SHANGHAI, parse_date

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三天前", sh(2026, 11, 17, 16, 0)),
        ("十分钟前", sh(2026, 11, 20, 15, 50)),
        ("二十三分钟前", sh(2026, 11, 20, 15, 37)),
        ("两小时前", sh(2026, 11, 20, 14, 0)),
        ("一百零五天前", sh(2026, 8, 7, 16, 0)),
        ("1.5小时前", sh(2026, 11, 20, 14, 30)),
        ("半小时前", sh(2026, 11, 20, 15, 30)),
        ("下午3:00", sh(2026, 11, 20, 15, 0)),
        ("上午11:30", sh(2026, 11, 20, 11, 30)),
        ("凌晨12:30", sh(2026, 11, 20, 0, 30)),
        ("昨天 下午3:00", sh(2026, 11, 19, 15, 0)),
        ("2026-11-18 晚上8:05", sh(2026, 11, 18, 20, 5)),
        ("2026年11月18日 晚上8点30分", sh(2026, 11, 18, 20, 30)),
        ("11/19 3:00 pm", sh(2026, 11, 19, 15, 0)),
        ("昨天 23:59:30", sh(2026, 11, 19, 23, 59, 30)),
        ("20 Nov 2026 06:00:00 GMT", datetime(2026, 11, 20, 6, 0, tzinfo=UTC)),
    ],
)
def test_chinese_and_clipped_forms(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


def test_two_numerals_without_a_unit_between_are_no_number() -> None:
    assert parse_date("三四天前", NOW) is None


@pytest.mark.parametrize(("text", "expected"), [("23:00", sh(2026, 11, 19, 23, 0))])
def test_a_bare_clock_later_than_now_is_yesterdays(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize("text", ["今天 23:00", "今日 16:01", "刚刚", "0 秒前"])
def test_relative_dates_are_never_after_the_fetch(text: str) -> None:
    when = parse_date(text, NOW)
    assert when is not None and when <= NOW
