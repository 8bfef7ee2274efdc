"""The cadence decision over simulated weeks of the real calendar, and the tick that cannot stall.

Calendar facts (chinesecalendar): 2026-09-25 (Fri, 中秋) to 09-27 off; 10-01..07 off (国庆);
Saturday 10-10 a make-up workday.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sentinel.config.cadence import HeightenedPeriod
from sentinel.config.models import Source
from sentinel.schedule import (
    Ticker,
    due_sources,
    is_duty_patrol,
    last_duty_patrol,
)
from sentinel.workflow.calendar import ChineseWorkCalendar
from sentinel.workflow.duty import DutySchedule
from sentinel.workflow.heightened import HeightenedSchedule, with_heightened

TZ = ZoneInfo("Asia/Shanghai")
WORKDAY = ["08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "20", "22"]
OFFDAY = ["08", "10", "12", "14", "16", "18", "20", "22"]


def at(m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=TZ)


def src(id: str, **kw: object) -> Source:
    return Source.model_validate({"id": id, "kind": "rss", "url": f"http://{id}.test/", **kw})


@pytest.fixture
def duty() -> DutySchedule:
    return DutySchedule(ChineseWorkCalendar(TZ))


BOARD = src("board")
FEED = src("feed", every="10m")
OFF = src("off", enabled=False)


def simulate(
    duty: DutySchedule,
    start: datetime,
    end: datetime,
    heightened: list[HeightenedPeriod] | None = None,
) -> dict[str, dict[date, list[str]]]:
    """Tick every minute from start to end; patrol whatever is due; record local HH:MM."""
    state: dict[str, datetime | None] = {}
    runs: dict[str, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    now = start
    while now < end:
        for s in due_sources(now, duty, [BOARD, FEED, OFF], state, heightened or []):
            state[s.id] = now
            runs[s.id][now.date()].append(now.strftime("%H:%M"))
        now += timedelta(minutes=1)
    return runs


def test_a_fortnight_of_workdays_weekends_holidays_and_a_make_up_day(duty: DutySchedule) -> None:
    runs = simulate(duty, at(9, 23, 23), at(10, 11))
    board = runs["board"]
    # the first tick patrols everything once (never patrolled); drop that evening
    del board[date(2026, 9, 23)]
    workdays = {date(2026, 9, 24), date(2026, 9, 28), date(2026, 10, 9), date(2026, 10, 10)}
    offdays = {date(2026, 9, 25), date(2026, 9, 26), date(2026, 10, 1), date(2026, 10, 4)}
    for day in workdays:
        assert board[day] == [f"{h}:00" for h in WORKDAY], day
    for day in offdays:
        assert board[day] == [f"{h}:00" for h in OFFDAY], day
    assert len(board) == 17
    # the feed's own `every` runs around the clock, nights included
    assert runs["feed"][date(2026, 10, 1)] == [
        f"{h:02d}:{m:02d}" for h in range(24) for m in range(0, 60, 10)
    ]
    assert "off" not in runs


def test_heightened_period_shortens_the_cadence_only_on_its_days(duty: DutySchedule) -> None:
    golden = HeightenedPeriod(
        name="国庆", start=date(2026, 10, 1), end=date(2026, 10, 2), interval="30m"
    )
    runs = simulate(duty, at(9, 30, 23), at(10, 4), [golden])["board"]
    half_hours = [f"{h:02d}:{m:02d}" for h in range(8, 24) for m in (0, 30)]
    assert runs[date(2026, 10, 1)] == half_hours
    assert runs[date(2026, 10, 2)] == half_hours
    assert runs[date(2026, 10, 3)] == [f"{h}:00" for h in OFFDAY]


def test_heightened_period_never_thins_out_a_workday(duty: DutySchedule) -> None:
    slow = HeightenedPeriod(name="x", start=date(2026, 9, 24), end=date(2026, 9, 24), interval="3h")
    grid = HeightenedSchedule(duty, [slow]).patrols_on(date(2026, 9, 24))
    assert [p.strftime("%H") for p in grid] == sorted(set(WORKDAY) | {"08", "11", "14", "17", "23"})


def test_claim_deadline_follows_the_heightened_cadence(duty: DutySchedule) -> None:
    golden = HeightenedPeriod(
        name="国庆", start=date(2026, 10, 1), end=date(2026, 10, 7), interval="30m"
    )
    assert duty.claim_deadline(at(10, 2, 9, 10)) == at(10, 2, 12)
    assert HeightenedSchedule(duty, [golden]).claim_deadline(at(10, 2, 9, 10)) == at(10, 2, 10)


def test_the_deadline_policy_counts_claims_on_the_heightened_cadence() -> None:
    """The alert's claim deadline comes from the policy, not the tick: both see the period."""
    from sentinel.config.models import SentinelFile
    from sentinel.workflow.alerts import build_policy

    plain = SentinelFile.model_validate({"timezone": "Asia/Shanghai"})
    golden = SentinelFile.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "workflow": {
                "cadence": {
                    "heightened": [
                        {
                            "name": "国庆",
                            "start": "2026-10-01",
                            "end": "2026-10-07",
                            "interval": "30m",
                        }
                    ]
                }
            },
        }
    )
    assert build_policy(plain).duty.claim_deadline(at(10, 2, 9, 10)) == at(10, 2, 12)
    assert build_policy(golden).duty.claim_deadline(at(10, 2, 9, 10)) == at(10, 2, 10)


def test_edited_heightened_periods_replace_the_old_ones(duty: DutySchedule) -> None:
    first = HeightenedPeriod(
        name="a", start=date(2026, 10, 2), end=date(2026, 10, 2), interval="30m"
    )
    then = HeightenedPeriod(name="b", start=date(2026, 10, 3), end=date(2026, 10, 3), interval="1h")
    edited = with_heightened(with_heightened(duty, [first]), [then])
    assert len(edited.patrols_on(date(2026, 10, 2))) == len(duty.patrols_on(date(2026, 10, 2)))
    assert len(edited.patrols_on(date(2026, 10, 3))) > len(duty.patrols_on(date(2026, 10, 3)))
    assert with_heightened(edited, []) is duty


def test_a_long_pause_coalesces_into_one_run(duty: DutySchedule) -> None:
    state: dict[str, datetime | None] = {"board": at(9, 24, 10), "feed": at(9, 24, 10)}
    monday = at(9, 28, 11, 37)  # four days and ~40 missed patrols later
    assert due_sources(monday, duty, [BOARD, FEED], state) == [BOARD, FEED]
    state = {"board": monday, "feed": monday}
    assert due_sources(monday + timedelta(minutes=1), duty, [BOARD, FEED], state) == []
    assert is_duty_patrol(monday, duty, at(9, 24, 10))
    assert not is_duty_patrol(monday + timedelta(minutes=1), duty, monday)
    assert is_duty_patrol(at(9, 28, 12), duty, monday)


def test_every_override_and_duty_hours(duty: DutySchedule) -> None:
    state: dict[str, datetime | None] = {"board": at(9, 24, 2), "feed": at(9, 24, 2)}
    assert due_sources(at(9, 24, 2, 9), duty, [BOARD, FEED], state) == []
    assert due_sources(at(9, 24, 2, 10), duty, [BOARD, FEED], state) == [FEED]
    # nobody on duty until 08:00: the board waits; at 08:00 both go
    assert due_sources(at(9, 24, 7, 59), duty, [BOARD], state) == []
    assert due_sources(at(9, 24, 8, 0), duty, [BOARD, FEED], state) == [BOARD, FEED]


def test_never_patrolled_is_due_at_any_hour_and_disabled_never(duty: DutySchedule) -> None:
    assert due_sources(at(9, 24, 3), duty, [BOARD, OFF], {}) == [BOARD]
    assert due_sources(at(9, 24, 3), duty, [OFF], {"off": at(1, 1)}) == []
    assert is_duty_patrol(at(9, 24, 3), duty, None)


def test_last_duty_patrol_reaches_back_over_the_night(duty: DutySchedule) -> None:
    assert last_duty_patrol(at(9, 24, 3), duty) == at(9, 23, 22)
    assert last_duty_patrol(at(9, 24, 8), duty) == at(9, 24, 8)


def test_naive_times_are_refused(duty: DutySchedule) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_sources(datetime(2026, 9, 24, 9), duty, [BOARD], {})
    with pytest.raises(ValueError, match="timezone-aware"):
        due_sources(at(9, 24, 9), duty, [BOARD], {"board": datetime(2026, 9, 24, 8)})


def test_heightened_period_is_validated() -> None:
    with pytest.raises(ValidationError, match="end is before start"):
        HeightenedPeriod(name="x", start=date(2026, 10, 2), end=date(2026, 10, 1), interval="1h")
    with pytest.raises(ValidationError, match="5m to 24h"):
        HeightenedPeriod(name="x", start=date(2026, 10, 1), end=date(2026, 10, 1), interval="1m")


async def test_a_raising_tick_does_not_stall_the_ticker(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0
    recovered = asyncio.Event()

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        if calls == 3:
            recovered.set()

    ticker = Ticker(tick, interval=timedelta(seconds=0.05))
    with caplog.at_level(logging.ERROR, logger="sentinel.schedule"):
        ticker.start()
        try:
            await asyncio.wait_for(recovered.wait(), timeout=30)
        finally:
            assert await ticker.stop()
    assert ticker.failures == 1
    assert ticker.ticks >= 3
    assert "database went away" in caplog.text
    assert not ticker.running


async def test_stop_waits_for_the_running_tick() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[bool] = []

    async def tick() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    ticker = Ticker(tick, interval=timedelta(seconds=0.05))
    ticker.start()
    await asyncio.wait_for(started.wait(), timeout=30)
    stopping = asyncio.create_task(ticker.stop(grace=30))
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    assert await stopping
    assert finished == [True]


# ------------------------------------------------------------------ failing sources back off


def test_a_failing_source_waits_twice_as_long_per_failure(duty: DutySchedule) -> None:
    last = at(11, 23, 10, 0)  # a Monday duty patrol; the workday grid is hourly
    state: dict[str, datetime | None] = {"board": last}

    def due(now: datetime, n: int) -> bool:
        return BOARD in due_sources(now, duty, [BOARD], state, failures={"board": n})

    # once: the usual hour; twice: two hours; five times: 16 hours (02:00 the next day)
    assert due(at(11, 23, 11, 0), 1)
    assert not due(at(11, 23, 11, 0), 2) and not due(at(11, 23, 11, 59), 2)
    assert due(at(11, 23, 12, 0), 2)
    assert not due(at(11, 24, 1, 59), 5) and due(at(11, 24, 2, 0), 5)
    # at most a day, however long it has been failing
    assert not due(at(11, 24, 9, 59), 40) and due(at(11, 24, 10, 0), 40)
    # one success resets the count: the source is back on the hourly grid
    assert due(at(11, 23, 11, 0), 0)


def test_a_late_tick_does_not_push_a_source_that_failed_once_past_the_next_patrol(
    duty: DutySchedule,
) -> None:
    state: dict[str, datetime | None] = {"board": at(11, 23, 10, 4)}
    assert due_sources(at(11, 23, 11, 0), duty, [BOARD], state, failures={"board": 1}) == [BOARD]


def test_backoff_follows_a_sources_own_cadence_and_leaves_others_alone(
    duty: DutySchedule,
) -> None:
    last = at(11, 23, 10, 7)
    state: dict[str, datetime | None] = {"board": at(11, 23, 10, 0), "feed": last}
    failures = {"feed": 3}  # 10m × 4 = 40 minutes
    assert due_sources(at(11, 23, 10, 46), duty, [BOARD, FEED], state, failures=failures) == []
    assert due_sources(at(11, 23, 10, 47), duty, [BOARD, FEED], state, failures=failures) == [FEED]
    # the duty patrol brings the healthy board, not the feed still backing off
    failures = {"feed": 5}  # 160 minutes
    assert due_sources(at(11, 23, 11, 0), duty, [BOARD, FEED], state, failures=failures) == [BOARD]
    assert due_sources(at(11, 23, 11, 0), duty, [BOARD, FEED], state) == [BOARD, FEED]
