"""The reports leaders file, built once for every way out: the daily log (舆情日志), the
assessment (考核统计) and one event's special report (舆情专报), each as printable HTML, PDF
and Word. The desk serves them and `sentinel report` writes them, from the same builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sentinel.reports import documents, figures, labels, printable
from sentinel.reports.documents import Section, WordDoc
from sentinel.reports.office import Office
from sentinel.store import Store
from sentinel.workflow.reports import ASSESSMENT_COLUMNS, assessment, daily
from sentinel.workflow.service import AlertDetail

Format = Literal["pdf", "docx"]
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Filed:
    """One report: its file name (without extension), its printable HTML (the PDF's source)
    and its Word document's parts."""

    name: str
    html: str
    word: WordDoc

    def render(self, fmt: Format) -> bytes:
        """The PDF or the Word file; seconds of CPU for a long PDF, so callers in an event loop
        run it in a thread."""
        return documents.pdf(self.html) if fmt == "pdf" else documents.docx(self.word)


def day_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[the first day's midnight, the midnight after the last day) in local time."""
    lo = datetime.combine(start, time(0), tzinfo=tz)
    return lo, datetime.combine(end, time(0), tzinfo=tz) + timedelta(days=1)


def _meta(office: Office, what: str, now: datetime) -> str:
    return f"{what} · 生成于 {labels.local(now, office.tz)}"


async def daily_report(store: Store, office: Office, *, day: date, now: datetime) -> Filed:
    log = await daily(store, day=day, tz=office.tz, now=now)
    trend, health = await figures.daily_figures(store, office, day=day, now=now)
    html = printable.daily_html(log, office=office, generated_at=now, figures=(trend, health))
    sev, step = labels.SEVERITY_LABELS, labels.STEP_LABELS
    overdue = log["overdue"]
    sections = [
        Section(heading="一、总体情况", paragraphs=[f"新增舆情 {log['new_stories']} 条。"]),
        Section(heading="二、按主题", figures=[trend], table=[["主题", "条数"]] + [
            [office.topic(t), n] for t, n in log["stories_by_topic"].items()]),
        Section(heading="三、今日舆情", table=[["编号", "主题", "级别", "标题"]] + [
            [s["id"], office.topic(s["topic"]), sev.get(s["severity"]), s["title"]]
            for s in log["stories"]]),
        Section(heading="四、超时", paragraphs=[] if overdue else ["无。"],
                table=[["预警", "单位", "超时环节", "标题"]] + [
            [o["alert_id"], office.department(o["department"]),
             "、".join(step.get(x, x) for x in o["steps"]), o["title"]]
            for o in overdue] if overdue else None),
        Section(heading="五、信息源运行状况", figures=[health]),
    ]  # fmt: skip
    word = WordDoc(
        masthead=office.name,
        title="舆情日志",
        meta=_meta(office, f"日期 {day.isoformat()}", now),
        sections=sections,
    )
    return Filed(name=f"舆情日志-{day.isoformat()}", html=html, word=word)


async def assessment_report(
    store: Store, office: Office, *, start: date, end: date, now: datetime
) -> Filed:
    lo, hi = day_bounds(start, end, office.tz)
    rows = await assessment(store, start=lo, end=hi, now=now)
    rates, trend, health = drawn = await figures.assessment_figures(
        store, office, rows, start=start, end=end, now=now
    )
    html = printable.assessment_html(
        rows, start=start, end=end, office=office, generated_at=now, figures=drawn
    )
    table: list[list[Any]] = [["单位", *ASSESSMENT_COLUMNS[1:], "按时认领率"]] + [
        [office.department(r["department"]), *(r[c] for c in ASSESSMENT_COLUMNS[1:]),
         labels.rate_text(labels.on_time_rate(r))]
        for r in rows
    ]  # fmt: skip
    word = WordDoc(
        masthead=office.name,
        title="舆情处置考核统计",
        meta=_meta(office, f"{start.isoformat()} 至 {end.isoformat()}", now),
        sections=[
            Section(heading="一、各单位办理情况", figures=[rates], table=table),
            Section(heading="二、舆情走势", figures=[trend]),
            Section(heading="三、信息源运行状况", figures=[health]),
        ],
    )
    return Filed(name=f"考核统计-{start.isoformat()}-{end.isoformat()}", html=html, word=word)


def event_report(detail: AlertDetail, office: Office, *, now: datetime) -> Filed:
    html = printable.event_html(detail, office=office, generated_at=now)
    a = detail.alert

    def local(t: Any) -> str:
        return labels.local(t, office.tz)

    posts = sorted(detail.posts, key=lambda p: p.published_at or p.first_seen_at)
    spread = f"共 {len(posts)} 条帖文，来自 {len({p.source_id for p in posts})} 个来源。"
    reply = f"已于 {local(a.replied_at)} 公开回应。" if a.replied_at else "尚未公开回应。"
    sections = [
        Section(heading="一、舆情概况",
                paragraphs=[posts[0].body[:400]] if posts and posts[0].body else [], table=[
            ["项目", "内容"], ["标题", a.title], ["主题", office.topic(a.topic_id)],
            ["级别", labels.SEVERITY_LABELS.get(a.severity, a.severity)],
            ["发现时间", local(a.detected_at)],
            ["承办单位", office.department(a.department)],
            ["当前状态", labels.STATE_LABELS.get(a.state, a.state)]]),
        Section(heading="二、传播情况", paragraphs=[spread],
                table=[["来源", "标题", "发布时间", "回复", "浏览"]] + [
            [office.source(p.source_id), p.title,
             local(p.published_at or p.first_seen_at), p.replies, p.views] for p in posts]),
        Section(heading="三、处置经过", table=[["时间", "操作", "操作人", "说明"]] + [
            [local(e.at), labels.ACTION_LABELS.get(e.action, e.action), e.actor, e.note]
            for e in detail.events]),
        Section(heading="四、回应情况",
                paragraphs=[reply + (f" {a.reply_url}" if a.reply_url else "")]),
        Section(heading="五、证据链接", paragraphs=[p.url for p in posts]),
    ]  # fmt: skip
    word = WordDoc(
        masthead=office.name, title="舆情专报", meta=_meta(office, f"第 {a.id} 号", now),
        sections=sections,
    )  # fmt: skip
    return Filed(name=f"舆情专报-{a.id}", html=html, word=word)
