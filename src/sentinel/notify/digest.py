"""Digests and critical pushes: plain records in, rendered text out (Jinja2).

Crawled text (titles, matched words, source names) is untrusted. The HTML is autoescaped, links
are kept only for http(s) URLs, and in IM markdown the characters that make links, images or
mentions are replaced by their full-width forms, so a post carrying `<script>`, an `onerror`
attribute or a `javascript:` link renders as inert text everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

SHANGHAI = ZoneInfo("Asia/Shanghai")

SEVERITY_LABELS = {"general": "一般", "major": "重大", "critical": "紧急"}
DEADLINE_LABELS = {
    "claim": "认领",
    "first_report": "首报（研判及处置意见）",
    "verification": "核实调查报告",
    "extension_request": "申请延期",
    "reply": "公开答复",
    "public_response": "首次公开回应",
    "board_reply": "留言答复",
    "board_max": "留言答复（最迟）",
}

HEALTH_LABELS = {
    "ok": "正常",
    "broken_layout": "页面结构变化",
    "unreachable": "无法访问",
    "blocked": "被拦截",
}
HEALTH_EVENT_LABELS = {"raised": "出现异常", "cleared": "已恢复"}

# markdown (DingTalk, WeCom) and Feishu's <at> tags: make, with these, links, images, emphasis,
# headings, code, mentions and auto-links; their full-width forms read the same to a Chinese reader
_MD_DEFANG = str.maketrans({
    "[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "*": "＊", "_": "＿",
    "#": "＃", "`": "｀", "!": "！", "|": "｜", "~": "～", "\\": "＼", "\r": " ", "\n": " ",
    ":": "：",  # no bare `http://…` for a client to auto-link
})  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class DigestAlert:
    id: int
    title: str
    sources: tuple[str, ...]
    severity: str
    department: str
    detected_at: datetime
    deadlines: Mapping[str, datetime] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    url: str = ""  # the web desk page where the alert is claimed
    post_url: str = ""  # the crawled post itself (untrusted)
    state: str = ""  # new, claimed, …; shown when not new
    # Since the department's previous digest: "new" (first shown), "update" (more copies or a
    # severity change), "" (still waiting, shown before)
    status: str = ""
    new_posts: int = 0  # reposts and follow-ups joined since the previous digest
    posts: int = 1  # posts in its story, all sources
    raised: tuple[str, ...] = ()  # severity changes with their reasons: 一般→重大：由 3 个来源转载
    why: str = ""  # why posts were joined: 同一事件：城东小区 · 拆迁 · 补偿款
    pushed: bool = False  # a critical push for it has gone out already
    # why it has its severity: the rule that last raised it, else its topic's default level
    severity_why: str = ""

    def overdue(self, now: datetime) -> list[str]:
        return [name for name, due in self.deadlines.items() if due <= now]


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceNote:
    """One line of the "数据源状况" section: a health event, or a source currently not ok."""

    source: str
    state: str  # sources/health.py State
    reason: str = ""  # from the fetch (untrusted: it may quote the page)
    since: datetime | None = None  # the event's time, or since when the state holds
    event: str = ""  # raised | cleared; "" for a source's current state


@dataclass(frozen=True, kw_only=True, slots=True)
class Digest:
    department: str  # display name
    recipients: tuple[str, ...]
    alerts: tuple[DigestAlert, ...]
    generated_at: datetime
    office: str = "舆情值班室"
    # the lead office's digest only: health events since the last duty patrol, and sources not ok
    health_events: tuple[SourceNote, ...] = ()
    unhealthy: tuple[SourceNote, ...] = ()

    @property
    def has_health(self) -> bool:
        return bool(self.health_events or self.unhealthy)


def safe_url(value: object) -> str:
    """`value` if it is an absolute http(s) URL without spaces or quotes, else ''."""
    text = str(value or "").strip()
    if not text or any(c in text for c in " \t\r\n\"'<>`\\"):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def md(value: object) -> str:
    """Untrusted text for IM markdown: one line, no markup."""
    return str(value).translate(_MD_DEFANG)


def local_time(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def one_line(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The template environment, built on first use (nothing is created at import time)."""
    global _env
    if _env is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("sentinel.notify", "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(safe_url=safe_url, md=md, local=local_time, one_line=one_line)
        env.globals.update(
            severity_label=SEVERITY_LABELS,
            deadline_label=DEADLINE_LABELS,
            health_label=HEALTH_LABELS,
            health_event_label=HEALTH_EVENT_LABELS,
        )
        _env = env
    return _env


def _items(alerts: tuple[DigestAlert, ...], now: datetime) -> list[dict[str, Any]]:
    order = {"critical": 0, "major": 1, "general": 2}
    out = []
    for a in sorted(alerts, key=lambda a: (order.get(a.severity, 3), a.detected_at)):
        deadlines = [
            {"name": name, "at": due, "overdue": due <= now}
            for name, due in sorted(a.deadlines.items(), key=lambda kv: kv[1])
        ]
        out.append(
            {"a": a, "deadlines": deadlines, "overdue": any(d["overdue"] for d in deadlines)}
        )
    return out


def _context(d: Digest) -> dict[str, Any]:
    items = _items(d.alerts, d.generated_at)
    return {
        "d": d,
        "items": items,
        "overdue": sum(1 for i in items if i["overdue"]),
        "critical": sum(1 for a in d.alerts if a.severity == "critical"),
    }


def _render(name: str, ctx: Mapping[str, Any]) -> str:
    return environment().get_template(name).render(ctx)


def digest_subject(d: Digest) -> str:
    """What needs doing first, then whose digest: a mail client or an IM notice that folds a
    long subject still shows the counts (【值班室】2 条紧急，新增 3 条｜住建局舆情摘要 …)."""
    ctx = _context(d)
    parts: list[str] = []
    fresh = sum(1 for a in d.alerts if a.status == "new")
    updated = sum(1 for a in d.alerts if a.status == "update")
    if ctx["critical"]:
        parts.append(f"{ctx['critical']} 条紧急")
    if ctx["overdue"]:
        parts.append(f"{ctx['overdue']} 条超期")
    if fresh:
        parts.append(f"新增 {fresh} 条")
    if updated:
        parts.append(f"更新 {updated} 条")
    parts.append(f"共 {len(d.alerts)} 条")
    if d.unhealthy:
        parts.append(f"{len(d.unhealthy)} 个数据源异常")
    elif d.health_events:
        parts.append("数据源状况有变化")
    return one_line(
        f"【{d.office}】{'，'.join(parts)}｜{d.department}舆情摘要 {local_time(d.generated_at)}"
    )


def render_digest(d: Digest) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one department's digest."""
    ctx = _context(d)
    return digest_subject(d), _render("digest.txt", ctx), _render("digest.html", ctx)


def render_digest_markdown(d: Digest) -> str:
    """The digest as markdown for IM bots (DingTalk, WeCom)."""
    return _render("digest.md.j2", _context(d))


def _push_context(
    alert: DigestAlert, office: str, now: datetime, headline: str | None
) -> dict[str, Any]:
    label = SEVERITY_LABELS.get(alert.severity, alert.severity)
    return {
        "office": office,
        "item": _items((alert,), now)[0],
        "now": now,
        # what the message asks for: claiming a new alert, unless told (a reminder says which
        # step is overdue instead)
        "headline": headline or f"{label}舆情，请立即认领处置",
    }


def push_subject(alert: DigestAlert, office: str = "舆情值班室") -> str:
    label = SEVERITY_LABELS.get(alert.severity, alert.severity)
    return one_line(f"【{office}】{label}舆情，请立即认领：{alert.title}")[:200]


def render_push(
    alert: DigestAlert,
    *,
    office: str = "舆情值班室",
    now: datetime | None = None,
    headline: str | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an immediate push for one (critical) alert."""
    ctx = _push_context(alert, office, now or datetime.now(SHANGHAI), headline)
    return push_subject(alert, office), _render("push.txt", ctx), _render("push.html", ctx)


def render_push_markdown(
    alert: DigestAlert,
    *,
    office: str = "舆情值班室",
    now: datetime | None = None,
    headline: str | None = None,
) -> str:
    ctx = _push_context(alert, office, now or datetime.now(SHANGHAI), headline)
    return _render("push.md.j2", ctx)
