"""The notice to a department whose alert the lead office (or the sweep) designated away.

Art. 6 has unclaimed alerts designated and recorded; the department that held the alert must
learn that it lost it, and whether the designation counts against it as a late claim.
"""

from __future__ import annotations

import html
from datetime import datetime

from sentinel.notify import DigestAlert, Message
from sentinel.notify.digest import local_time, md, one_line
from sentinel.notify.message import alert_payload
from sentinel.store import AlertRow


def designation_notice(
    alert: AlertRow,
    shown: DigestAlert,
    *,
    left: str,
    office: str,
    recipients: tuple[str, ...],
    now: datetime,
    key: str,
) -> Message:
    """`left`: the name of the department notified; `shown.department`: the one it went to."""
    title = one_line(shown.title)
    if alert.late_claim:
        why = (
            f"认领期限（{local_time(alert.claim_due)}）前{left}未认领，"
            f"已由牵头单位指定{shown.department}承办，记为{left}逾期认领。"
        )
    else:
        why = f"已由牵头单位指定{shown.department}承办。"
    subject = one_line(f"【{office}】通知：舆情已指定{shown.department}承办：{title}")[:200]
    lines = [f"{office}：{why}", "", title, f"发现时间：{local_time(shown.detected_at)}"]
    if shown.url:
        lines.append(f"详情：{shown.url}")
    page = [f"<p>{html.escape(office)}：{html.escape(why)}</p>", f"<p>{html.escape(title)}</p>"]
    page.append(f"<p>发现时间：{local_time(shown.detected_at)}</p>")
    markdown = [f"{md(office)}：{md(why)}", "", f"- {md(title)}"]
    if shown.url:
        page.append(f'<p><a href="{html.escape(shown.url)}">详情</a></p>')
        markdown.append(f"  [详情]({shown.url})")
    return Message(
        kind="notice",
        key=key,
        subject=subject,
        text="\n".join(lines) + "\n",
        html="<html><body>" + "".join(page) + "</body></html>",
        markdown="\n".join(markdown) + "\n",
        recipients=recipients,
        payload={
            "office": office,
            "generated_at": now.isoformat(),
            "notice": "designated",
            "late_claim": alert.late_claim,
            "from_department": left,
            "alert": alert_payload(shown),
        },
    )
