"""Source health from its fetches: ok, broken layout, unreachable, blocked. Pure: no I/O, no clock.

A source that silently stops yielding posts is the failure operators miss, so each patrol's
observation of a source is folded into its `Health`; a change of state yields one `Event`
(raised when a problem starts, cleared when the source recovers), never one per patrol.

    broken_layout  the fetch succeeded but items found before are gone, or lost titles/dates,
                   or every detail page read gave no body (the detail selector matches nothing)
    unreachable    N consecutive failed fetches (timeouts, DNS, 5xx, 404 …); N defaults to 3
    blocked        403 / 429, a 200 page that is a captcha / anti-bot wall (looks_blocked), or
                   the site's own robots.txt disallowing the page (its rule, not an outage)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum


class State(StrEnum):
    ok = "ok"
    broken_layout = "broken_layout"
    unreachable = "unreachable"
    blocked = "blocked"


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """One fetch of a source's list page, as the patrol saw it."""

    status: int | None  # HTTP status; None when no response came back
    error_kind: str | None = None  # "timeout", "dns", "connect", "tls", "http", … None: fine
    items: int = 0  # posts extracted
    titles_found: int = 0  # of those, with a title
    dates_found: int = 0  # of those, with a published time
    blocked_page: bool = False  # the body looked like a captcha wall (see looks_blocked)
    details_read: int = 0  # posts' own pages read in this patrol
    details_empty: int = 0  # of those, the posts left without a body
    # items of the pages that could not be read, as "URL: reason" (extract.items.Skipped)
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    failures: int = 3  # consecutive failed fetches that make a source unreachable

    def __post_init__(self) -> None:
        if self.failures < 1:
            raise ValueError("Policy.failures must be at least 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class Health:
    """A source's state and what it remembers of its healthy self."""

    state: State = State.ok
    failures: int = 0  # consecutive failed fetches
    had_items: bool = False  # a healthy fetch has found items
    had_titles: bool = False
    had_dates: bool = False
    reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    kind: str  # "raised" or "cleared"
    state: State  # the problem raised or cleared
    reason: str


RAISED = "raised"
CLEARED = "cleared"
BLOCKING_STATUSES = frozenset({403, 429})
ROBOTS = "robots_disallowed"  # the error kind of errors.RobotsDisallowed
NO_BODIES = "detail pages give no body"


def step(
    health: Health, obs: Observation, policy: Policy | None = None
) -> tuple[Health, Event | None]:
    """The source's health after one more fetch, and the event to tell operators, if any."""
    policy = policy or Policy()
    new = _observe(health, obs, policy)
    return new, _event(health, new)


def classify(history: Iterable[Observation], policy: Policy | None = None) -> Health:
    """The health a source's fetches (oldest first) add up to."""
    health = Health()
    for obs in history:
        health, _ = step(health, obs, policy)
    return health


def _observe(h: Health, obs: Observation, policy: Policy) -> Health:
    if obs.status in BLOCKING_STATUSES:
        return replace(h, state=State.blocked, failures=0, reason=f"HTTP {obs.status}")
    if obs.error_kind == ROBOTS:
        return replace(h, state=State.blocked, failures=0, reason="robots.txt disallows it")
    if obs.error_kind is not None or obs.status is None or not 200 <= obs.status < 300:
        failures = h.failures + 1
        what = obs.error_kind or (f"HTTP {obs.status}" if obs.status else "no response")
        if failures >= policy.failures:
            reason = f"{failures} failed fetches in a row (last: {what})"
            return replace(h, state=State.unreachable, failures=failures, reason=reason)
        # One timeout is weather, not news: the state stands until the policy's count.
        return replace(h, failures=failures)
    if obs.blocked_page:
        return replace(h, state=State.blocked, failures=0, reason="captcha / anti-bot page")
    h = replace(h, failures=0)
    if obs.items == 0:
        if h.had_items:
            reason = "; ".join(
                filter(None, ["no items where there were", skipped_reason(obs.skipped)])
            )
            return replace(h, state=State.broken_layout, reason=reason)
        return replace(h, state=State.ok, reason=skipped_reason(obs.skipped))
    if h.had_titles and obs.titles_found == 0:
        return replace(h, state=State.broken_layout, reason="items have lost their titles")
    if h.had_dates and obs.dates_found == 0:
        return replace(h, state=State.broken_layout, reason="items have lost their dates")
    if obs.details_read and obs.details_empty == obs.details_read:
        reason = f"{NO_BODIES} ({obs.details_read} read; the detail selector matches nothing)"
        return replace(h, state=State.broken_layout, reason=reason)
    if not obs.details_read and h.state is State.broken_layout and h.reason.startswith(NO_BODIES):
        # detail pages are read for new posts only: none read says nothing about the selector
        return h
    return Health(
        state=State.ok,
        had_items=True,
        had_titles=h.had_titles or obs.titles_found > 0,
        had_dates=h.had_dates or obs.dates_found > 0,
        reason=skipped_reason(obs.skipped),
    )


def skipped_reason(skipped: tuple[str, ...]) -> str:
    """What a healthy source's reason says of the items its last patrol could not read."""
    if not skipped:
        return ""
    more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
    return f"{len(skipped)} item(s) skipped: {skipped[0]}{more}"


def _event(old: Health, new: Health) -> Event | None:
    if old.state is new.state:
        return None
    if new.state is State.ok:
        return Event(kind=CLEARED, state=old.state, reason=f"{old.state.value} cleared")
    return Event(kind=RAISED, state=new.state, reason=new.reason)


# Anti-bot walls name themselves in these; they rarely occur on a page with real content.
_STRONG = (
    "访问过于频繁",
    "访问太频繁",
    "请求过于频繁",
    "操作过于频繁",
    "访问频率过高",
    "人机验证",
    "滑动验证",
    "拖动滑块",
    "向右滑动",
    "滑块验证",
    "安全验证",
    "geetest_",
    "tcaptcha",
    "nc_iconfont",  # aliyun no-captcha slider
    "yidun_slider",
    "wappass.baidu.com/static/captcha",
    "challenge-platform",
    "cf-chl-",
)
# A login box beside the content also says 验证码: these count only on a page with little text.
_WEAK = ("验证码", "请输入验证码", "captcha", "验证后继续访问", "请完成验证")
_TITLE_WORDS = ("验证", "captcha", "安全检查", "访问受限", "频繁", "access denied")
_RAW = ("script", "style")  # elements whose content is never visible text
_SHORT_PAGE = 1500  # characters of visible text
_WALL_TEXT = 5000


def looks_blocked(text: str) -> bool:
    """Whether a 200 page is a captcha / anti-bot wall rather than the page asked for."""
    lowered = text.lower()
    title = _title(lowered)
    if title is not None and any(w in title for w in _TITLE_WORDS):
        return True
    visible = " ".join(_visible(text, lowered).split())
    if any(marker in lowered for marker in _STRONG):
        # A forum post may quote "访问过于频繁"; a wall has little else to say.
        return len(visible) < _WALL_TEXT
    return len(visible) < _SHORT_PAGE and any(marker in lowered for marker in _WEAK)


# Both scans below go forward only: regular expressions that searched for a closing tag from
# every opening one took seconds on a page of 20k unclosed <title> or <script> tags.


def _title(lowered: str) -> str | None:
    start = lowered.find("<title")
    if start < 0:
        return None
    opened = lowered.find(">", start)
    end = lowered.find("</title", opened) if opened >= 0 else -1
    return lowered[opened + 1 : end] if end >= 0 else None


def _visible(text: str, lowered: str) -> str:
    """The page's text outside tags, scripts and styles, tags replaced by spaces."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            out.append(text[i:])
            break
        out.append(text[i:lt])
        raw = next((name for name in _RAW if _opens(lowered, lt, name)), None)
        if raw is not None:
            close = lowered.find(f"</{raw}", lt)
            if close < 0:
                break  # an unclosed script runs to the end of the page
            lt = close
        gt = text.find(">", lt)
        if gt < 0:
            out.append(text[lt:])  # no tag can close: the rest is text
            break
        out.append(" ")
        i = gt + 1
    return "".join(out)


def _opens(lowered: str, at: int, name: str) -> bool:
    end = at + 1 + len(name)
    return lowered.startswith(name, at + 1) and (end >= len(lowered) or not lowered[end].isalnum())
