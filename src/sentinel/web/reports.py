"""The leaders' pages: daily log, assessment and trends, with their CSVs and printable copies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from sentinel.reports import assessment_report, daily_report, day_bounds, figures, printable
from sentinel.reports.charts import topic_chart
from sentinel.web.desk import Desk, Who, desk_of, page_user, require
from sentinel.web.rendering import render
from sentinel.workflow.reports import (
    ASSESSMENT_COLUMNS,
    CSV_COLUMNS,
    assessment,
    daily,
    trends,
    trends_table,
)
from sentinel.workflow.states import Role

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]


def check_day(day: date | None) -> date | None:
    # day arithmetic at the ends of the calendar overflows; no report spans those years
    if day is not None and not 2000 <= day.year <= 2200:
        raise HTTPException(422, "日期超出范围")
    return day


def report_day(desk: Desk, day: date | None) -> date:
    return check_day(day) or desk.now().astimezone(desk.tz).date()


def _period(desk: Desk, start: date | None, end: date | None) -> tuple[date, date]:
    today = desk.now().astimezone(desk.tz).date()
    end = check_day(end) or today
    start = check_day(start) or end - timedelta(days=29)
    if start > end:
        raise HTTPException(422, "开始日期晚于结束日期")
    if (end - start).days > 366 * 5:
        raise HTTPException(422, "时间段过长")
    return start, end


async def assessment_rows(desk: Desk, start: date, end: date) -> list[dict[str, Any]]:
    lo, hi = day_bounds(start, end, desk.tz)
    return await assessment(desk.store, start=lo, end=hi, now=desk.now())


def _reader(who: Who) -> None:
    require(who, Role.lead, Role.admin, Role.leader)


@router.get("/reports/daily", response_class=HTMLResponse)
async def daily_page(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    log = await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())
    drawn = await figures.daily_figures(desk.store, desk.office, day=the_day, now=desk.now())
    charts = [figures.inline(d) for d in drawn]
    return render(request, "daily.html", who, log=log, topics=desk.topics, charts=charts)


@router.get("/reports/daily.csv")
async def daily_csv(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    log = await daily(desk.store, day=the_day, tz=desk.tz, now=desk.now())
    rows = [["id", "topic", "topic_name", "severity", "title"]] + [
        [s["id"], s["topic"], desk.topics.get(s["topic"], s["topic"]), s["severity"], s["title"]]
        for s in log["stories"]
    ]
    return _csv(rows, f"daily-{the_day.isoformat()}.csv")


@dataclass(frozen=True)
class _Period:
    desk: Desk
    who: Who
    start: date
    end: date


async def _reader_period(
    request: Request,
    who: PageUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> _Period:
    """A reader's report period (default: see _period), for the report pages, CSVs and prints."""
    _reader(who)
    desk = desk_of(request)
    lo, hi = _period(desk, start, end)
    return _Period(desk, who, lo, hi)


ReaderPeriod = Annotated[_Period, Depends(_reader_period)]


@router.get("/reports/assessment", response_class=HTMLResponse)
async def assessment_page(request: Request, p: ReaderPeriod) -> Response:
    rows = await assessment_rows(p.desk, p.start, p.end)
    drawn = await figures.assessment_figures(
        p.desk.store, p.desk.office, rows, start=p.start, end=p.end, now=p.desk.now()
    )
    return render(
        request, "assessment.html", p.who, rows=rows, start=p.start, end=p.end,
        columns=ASSESSMENT_COLUMNS, charts=[figures.inline(d) for d in drawn],
    )  # fmt: skip


@router.get("/reports/assessment.csv")
async def assessment_csv(p: ReaderPeriod) -> Response:
    rows = await assessment_rows(p.desk, p.start, p.end)
    table = [list(CSV_COLUMNS)] + [[r[c] for c in CSV_COLUMNS] for r in rows]
    return _csv(table, f"assessment-{p.start.isoformat()}-{p.end.isoformat()}.csv")


def _printable(html: str) -> Response:
    return HTMLResponse(html, headers={"Content-Security-Policy": printable.PRINT_CSP})


@router.get("/reports/daily/print", response_class=HTMLResponse)
async def daily_print(
    request: Request, who: PageUser, day: Annotated[date | None, Query(alias="date")] = None
) -> Response:
    """The day's log as a standalone printable document (the same as `report daily --html`)."""
    _reader(who)
    desk = desk_of(request)
    the_day = report_day(desk, day)
    filed = await daily_report(desk.store, desk.office, day=the_day, now=desk.now())
    return _printable(filed.html)


@router.get("/reports/assessment/print", response_class=HTMLResponse)
async def assessment_print(p: ReaderPeriod) -> Response:
    filed = await assessment_report(
        p.desk.store, p.desk.office, start=p.start, end=p.end, now=p.desk.now()
    )
    return _printable(filed.html)


async def trend_data(desk: Desk, start: date, end: date) -> dict[str, Any]:
    data = await trends(desk.store, start=start, end=end, tz=desk.tz)
    data["names"] = {t: desk.topics.get(t, t) for t in data["series"]}
    return data


@router.get("/reports/trends", response_class=HTMLResponse)
async def trends_page(request: Request, p: ReaderPeriod) -> Response:
    """New alerts per topic over the period: stacked columns, the daily table under it, CSV."""
    data = await trend_data(p.desk, p.start, p.end)
    chart = figures.inline(topic_chart(data, p.desk.office))
    return render(
        request, "trends.html", p.who, data=data, chart=chart, start=p.start, end=p.end
    )  # fmt: skip


@router.get("/reports/trends.csv")
async def trends_csv(p: ReaderPeriod) -> Response:
    data = await trends(p.desk.store, start=p.start, end=p.end, tz=p.desk.tz)
    return _csv(trends_table(data), f"trends-{p.start.isoformat()}-{p.end.isoformat()}.csv")


def _csv(rows: list[list[Any]], filename: str) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in rows:
        # a cell starting with = + - @ would be a formula in a spreadsheet
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in "=+-@" else c for c in r])
    return Response(
        "\ufeff" + buf.getvalue(),  # BOM: Excel opens UTF-8 Chinese correctly
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
