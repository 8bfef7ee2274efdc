"""Reports as files to file: the daily log, the assessment and one event's special report
(事件专报), each as PDF and as Word, for leaders and the lead office (an event's report also for
the officers who can see its alert)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sentinel.web import documents, present, printable
from sentinel.web.desk import AlertId, Desk, Who, desk_of, page_user
from sentinel.web.reports import ReaderPeriod, _reader, assessment_rows, report_day
from sentinel.workflow import service
from sentinel.workflow.reports import ASSESSMENT_COLUMNS, daily

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]
Format = Literal["pdf", "docx"]
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
Table = Sequence[Sequence[Any]]
Sections = list[tuple[str, Sequence[str], Table | None]]


async def _file(fmt: Format, name: str, html: str, word: dict[str, Any]) -> Response:
    if fmt == "pdf":
        body = await asyncio.to_thread(documents.pdf, html)  # seconds of CPU: off the loop
    else:
        body = await asyncio.to_thread(lambda: documents.docx(**word))
    return Response(
        body,
        media_type=TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"},
    )


@router.get("/reports/daily.{fmt}")
async def daily_file(
    request: Request,
    who: PageUser,
    fmt: Format,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    log = await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())
    html = printable.daily_html(
        log, departments=desk.departments, topics=desk.topics, title=desk.cfg.settings.name,
        generated_at=desk.now(), tz=desk.tz,
    )  # fmt: skip
    sev = present.SEVERITY_LABELS
    sections: Sections = [
        ("一、总体情况", [f"新增舆情 {log['new_stories']} 条。"], None),
        ("二、按主题", [], [["主题", "条数"]] + [
            [desk.topics.get(t, t), n] for t, n in log["stories_by_topic"].items()]),
        ("三、今日舆情", [], [["编号", "主题", "级别", "标题"]] + [
            [s["id"], desk.topics.get(s["topic"], s["topic"]), sev.get(s["severity"]), s["title"]]
            for s in log["stories"]]),
        ("四、超时", [] if log["overdue"] else ["无。"], [["预警", "单位", "超时环节", "标题"]] + [
            [o["alert_id"], desk.departments.get(o["department"], o["department"]),
             "、".join(present.STEP_LABELS.get(x, x) for x in o["steps"]), o["title"]]
            for o in log["overdue"]] if log["overdue"] else None),
    ]  # fmt: skip
    word = _word(desk, "舆情日志", f"日期 {the_day.isoformat()}", sections)
    return await _file(fmt, f"舆情日志-{the_day.isoformat()}", html, word)


@router.get("/reports/assessment.{fmt}")
async def assessment_file(p: ReaderPeriod, fmt: Format) -> Response:
    rows = await assessment_rows(p.desk, p.start, p.end)
    html = printable.assessment_html(
        rows, start=p.start, end=p.end, departments=p.desk.departments,
        title=p.desk.cfg.settings.name, generated_at=p.desk.now(), tz=p.desk.tz,
    )  # fmt: skip
    names = p.desk.departments
    table = [["单位", *ASSESSMENT_COLUMNS[1:], "按时认领率"]] + [
        [names.get(r["department"], r["department"]), *(r[c] for c in ASSESSMENT_COLUMNS[1:]),
         present.rate_text(present.on_time_rate(r))]
        for r in rows
    ]  # fmt: skip
    period = f"{p.start.isoformat()} 至 {p.end.isoformat()}"
    word = _word(p.desk, "舆情处置考核统计", period, [("各单位处置情况", [], table)])
    return await _file(fmt, f"考核统计-{p.start.isoformat()}-{p.end.isoformat()}", html, word)


@router.get("/alerts/{alert_id}/report.{fmt}")
async def event_file(request: Request, alert_id: AlertId, who: PageUser, fmt: Format) -> Response:
    desk = desk_of(request)
    detail = await service.show_for(desk.workflow, who.login, alert_id)  # its walls
    html = printable.event_html(
        detail, departments=desk.departments, topics=desk.topics, sources=desk.sources,
        title=desk.cfg.settings.name, generated_at=desk.now(), tz=desk.tz,
    )  # fmt: skip
    a = detail.alert

    def local(t: Any) -> str:
        return present.local(t, desk.tz)

    posts = sorted(detail.posts, key=lambda p: p.published_at or p.first_seen_at)
    spread = f"共 {len(posts)} 条帖文，来自 {len({p.source_id for p in posts})} 个来源。"
    reply = f"已于 {local(a.replied_at)} 公开回应。" if a.replied_at else "尚未公开回应。"
    sections: Sections = [
        ("一、舆情概况", [posts[0].body[:400]] if posts and posts[0].body else [], [
            ["项目", "内容"], ["标题", a.title], ["主题", desk.topics.get(a.topic_id, a.topic_id)],
            ["级别", present.SEVERITY_LABELS.get(a.severity, a.severity)],
            ["发现时间", local(a.detected_at)],
            ["承办单位", desk.departments.get(a.department, a.department)],
            ["当前状态", present.STATE_LABELS.get(a.state, a.state)]]),
        ("二、传播情况", [spread],
         [["来源", "标题", "发布时间", "回复", "浏览"]] + [
            [desk.sources.get(p.source_id, p.source_id), p.title,
             local(p.published_at or p.first_seen_at), p.replies, p.views] for p in posts]),
        ("三、处置经过", [], [["时间", "操作", "操作人", "说明"]] + [
            [local(e.at), present.ACTION_LABELS.get(e.action, e.action), e.actor, e.note]
            for e in detail.events]),
        ("四、回应情况", [reply + (f" {a.reply_url}" if a.reply_url else "")], None),
        ("五、证据链接", [p.url for p in posts], None),
    ]  # fmt: skip
    word = _word(desk, "舆情专报", f"第 {a.id} 号", sections)
    return await _file(fmt, f"舆情专报-{a.id}", html, word)


def _word(desk: Desk, title: str, meta: str, sections: Sections) -> dict[str, Any]:
    generated = present.local(desk.now(), desk.tz)
    return {
        "masthead": desk.cfg.settings.name,
        "title": title,
        "meta": f"{meta} · 生成于 {generated}",
        "sections": sections,
    }
