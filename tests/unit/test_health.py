"""Source health: each state, raised once and cleared on recovery; captcha walls recognised."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sentinel.sources.health import (
    CLEARED,
    RAISED,
    Event,
    Health,
    Observation,
    Policy,
    State,
    classify,
    looks_blocked,
    step,
)

GOOD = Observation(status=200, items=20, titles_found=20, dates_found=20)
EMPTY = Observation(status=200, items=0)
NO_DATES = Observation(status=200, items=20, titles_found=20, dates_found=0)
TIMEOUT = Observation(status=None, error_kind="timeout")
SERVER = Observation(status=503)
FORBIDDEN = Observation(status=403)
TOO_MANY = Observation(status=429)
CAPTCHA = Observation(status=200, items=0, blocked_page=True)
ROBOTS = Observation(status=None, error_kind="robots_disallowed")


def run(*observations: Observation, policy: Policy | None = None) -> list[Event | None]:
    health, events = Health(), []
    for obs in observations:
        health, event = step(health, obs, policy)
        events.append(event)
    return events


def test_healthy_source_raises_nothing() -> None:
    assert run(GOOD, GOOD, GOOD) == [None, None, None]
    assert classify([GOOD, GOOD]).state is State.ok


def test_broken_layout_raised_once_and_cleared_on_recovery() -> None:
    events = run(GOOD, EMPTY, EMPTY, EMPTY, GOOD, GOOD)
    assert events[0] is None
    raised = events[1]
    assert raised is not None and (raised.kind, raised.state) == (RAISED, State.broken_layout)
    assert events[2:4] == [None, None]
    cleared = events[4]
    assert cleared is not None and (cleared.kind, cleared.state) == (CLEARED, State.broken_layout)
    assert events[5] is None


def test_empty_from_the_start_is_not_a_broken_layout() -> None:
    assert classify([EMPTY, EMPTY]).state is State.ok


def test_items_that_lose_their_dates_or_titles_are_a_broken_layout() -> None:
    health = classify([GOOD, NO_DATES])
    assert health.state is State.broken_layout and "dates" in health.reason
    no_titles = Observation(status=200, items=5, titles_found=0, dates_found=5)
    assert classify([GOOD, no_titles]).state is State.broken_layout
    # A source that never had dates (an undated feed) is not broken for lacking them.
    assert classify([NO_DATES, NO_DATES]).state is State.ok


def test_unreachable_after_n_consecutive_failures() -> None:
    events = run(GOOD, TIMEOUT, SERVER, TIMEOUT, TIMEOUT, GOOD)
    assert events[:3] == [None, None, None]
    raised = events[3]
    assert raised is not None and (raised.kind, raised.state) == (RAISED, State.unreachable)
    assert "3 failed fetches" in raised.reason and "timeout" in raised.reason
    assert events[4] is None
    cleared = events[5]
    assert cleared is not None and (cleared.kind, cleared.state) == (CLEARED, State.unreachable)


def test_a_success_resets_the_failure_count() -> None:
    assert classify([TIMEOUT, TIMEOUT, GOOD, TIMEOUT, TIMEOUT]).state is State.ok


@pytest.mark.parametrize("n", [1, 2, 5])
def test_failure_count_is_configurable(n: int) -> None:
    policy = Policy(failures=n)
    assert classify([TIMEOUT] * (n - 1), policy).state is State.ok
    assert classify([TIMEOUT] * n, policy).state is State.unreachable


def test_policy_needs_at_least_one_failure() -> None:
    with pytest.raises(ValueError):
        Policy(failures=0)


@pytest.mark.parametrize(
    "obs", [FORBIDDEN, TOO_MANY, CAPTCHA, ROBOTS], ids=["403", "429", "captcha", "robots"]
)
def test_blocked_at_once_and_cleared(obs: Observation) -> None:
    events = run(GOOD, obs, obs, GOOD)
    raised = events[1]
    assert raised is not None and (raised.kind, raised.state) == (RAISED, State.blocked)
    assert events[2] is None
    cleared = events[3]
    assert cleared is not None and (cleared.kind, cleared.state) == (CLEARED, State.blocked)


def test_a_robots_disallow_is_the_site_blocking_us_not_an_outage() -> None:
    health, event = step(Health(), ROBOTS)
    assert health.state is State.blocked and health.failures == 0
    assert event is not None and event.reason == "robots.txt disallows it"


def test_one_problem_giving_way_to_another_raises_the_new_one() -> None:
    events = run(GOOD, EMPTY, FORBIDDEN)
    raised = events[2]
    assert raised is not None and (raised.kind, raised.state) == (RAISED, State.blocked)


def test_a_lone_failure_keeps_a_broken_layout_raised() -> None:
    events = run(GOOD, EMPTY, TIMEOUT, EMPTY)
    assert events[2:] == [None, None]


WALLS = [
    "<html><head><title>百度安全验证</title></head><body>网络不给力，请稍后重试</body></html>",
    "<html><body><p>访问过于频繁，请稍后再试</p></body></html>",
    "<html><body><div id='nc_1_n1z' class='nc_iconfont btn_slide'></div>请按住滑块，拖动到最右边"
    "</body></html>",
    "<html><body><form>请输入验证码：<input name='code'><img src='/captcha.jpg'></form>"
    "</body></html>",
    "<html><body><div class='geetest_holder geetest_wind'></div></body></html>",
]


@pytest.mark.parametrize("text", WALLS)
def test_captcha_walls_look_blocked(text: str) -> None:
    assert looks_blocked(text)


def test_a_content_page_with_a_login_box_does_not_look_blocked() -> None:
    # Forum pages carry a login box (验证码) and posts may quote a wall's words: length tells.
    posts = "".join(
        f"<tr><td><a href='/t/{i}'>帖子标题第{i}条，讨论县城道路改造</a></td></tr>"
        for i in range(300)
    )
    text = (
        "<html><head><title>城关论坛 - 议事厅</title></head><body>"
        "<form>用户名<input> 密码<input> 验证码<input><img src='/seccode.php'></form>"
        f"<table>{posts}</table><p>有人说访问过于频繁被封了，其实是网络问题。</p></body></html>"
    )
    assert not looks_blocked(text)


def test_detail_pages_without_bodies_are_a_broken_layout_until_bodies_come_back() -> None:
    listed = Observation(status=200, items=5, titles_found=5, dates_found=5)
    empty = replace(listed, details_read=3, details_empty=3)
    health, event = step(classify([listed]), empty)
    assert health.state is State.broken_layout and event is not None
    assert event.reason.startswith("detail pages give no body (3 read")
    # the next patrol has no new posts, so reads no detail page: that proves nothing either way
    kept, event = step(health, listed)
    assert kept.state is State.broken_layout and event is None
    # one detail page with a body: the selector works (others may be image-only posts)
    fixed, event = step(kept, replace(listed, details_read=2, details_empty=1))
    assert fixed.state is State.ok and event is not None and event.kind == CLEARED
