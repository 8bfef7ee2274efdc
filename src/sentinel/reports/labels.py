"""Chinese labels and values that every report shows, on the desk and in the files filed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

STATE_LABELS = {
    "new": "待认领",
    "claimed": "已认领",
    "assessed": "已研判",
    "verified": "已核实",
    "responded": "已回应",
    "closed": "已办结",
    "dismissed": "已排除",
    "merged": "已合并",
}
SEVERITY_LABELS = {"general": "一般", "major": "重大", "critical": "特别重大"}
STEP_LABELS = {
    "claim": "认领",
    "first_report": "首报",
    "verification": "核实报告",
    "reply": "公开回复",
    "public_response": "首次公开回应",
    "extension_request": "延期申请截止",
}
ACTION_LABELS = {
    "open": "生成预警",
    "claim": "认领",
    "designate": "指定办理",
    "first_report": "首报（研判）",
    "verify": "核实调查报告",
    "reply": "公开回复",
    "close": "办结",
    "dismiss": "排除",
    "reroute": "改派",
    "request_extension": "申请延期",
    "grant_extension": "同意延期",
    "refuse_extension": "不同意延期",
    "overdue": "超时",
    "raise_severity": "升级",
    "merge": "并入其他预警",
    "absorb": "合并同一事件预警",
    "split": "拆出帖子",
    "split_from": "由拆分生成",
}
HEALTH_LABELS = {
    "ok": "正常",
    "broken_layout": "页面结构变化",
    "unreachable": "无法访问",
    "blocked": "被拦截",
}
# The names templates use for them, the desk's and the printable documents' alike.
TEMPLATE_LABELS = {
    "STATE": STATE_LABELS,
    "SEVERITY": SEVERITY_LABELS,
    "STEP": STEP_LABELS,
    "ACTION": ACTION_LABELS,
}


def local(t: datetime | None, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t is not None else "—"


def on_time_rate(row: dict[str, Any]) -> float | None:
    """Claims on time among the claims decided (on time or late); None while none is: alerts
    still inside their claim deadline are neither, and a department with only those has no
    rate yet, rather than 0%."""
    on_time = int(row["claimed_on_time"])
    decided = on_time + int(row["late_claims"])
    return on_time / decided if decided else None


def rate_text(rate: float | None) -> str:
    if rate is None:
        return "—"
    pct = round(rate * 100)
    # never 100% unless every step was on time, nor 0% unless none was (199 of 200 is 99%)
    if pct == 100 and rate < 1:
        pct = 99
    elif pct == 0 and rate > 0:
        pct = 1
    return f"{pct}%"


# The steps an assessment rates, each by (on-time count, decided count) columns of its rows.
RATED_STEPS: tuple[tuple[str, str, str, str], ...] = (
    ("claim", "认领", "claimed_on_time", ""),  # decided: on time + late claims
    ("first_report", "首报", "first_reports_on_time", "first_reports_decided"),
    ("verification", "核实报告", "verifications_on_time", "verifications_decided"),
    ("reply", "公开回复", "replies_on_time", "replies_decided"),
)


def step_counts(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Per rated step: (done on time, decided), as its on-time rate needs them."""
    out = {}
    for step, _, on_time, decided in RATED_STEPS:
        done = int(row[on_time])
        out[step] = (done, done + int(row["late_claims"]) if not decided else int(row[decided]))
    return out
