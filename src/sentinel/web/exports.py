"""Reports as files to file: the daily log, the assessment and one event's special report
(事件专报), each as PDF and as Word, for leaders and the lead office (an event's report also for
the officers who can see its alert). The documents themselves are built in sentinel.reports."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sentinel.reports import (
    MEDIA_TYPES,
    Filed,
    Format,
    assessment_report,
    daily_report,
    event_report,
)
from sentinel.web.desk import AlertId, Who, desk_of, page_user
from sentinel.web.reports import ReaderPeriod, _reader, report_day
from sentinel.workflow import service

router = APIRouter()
PageUser = Annotated[Who, Depends(page_user)]


async def _file(fmt: Format, filed: Filed) -> Response:
    body = await asyncio.to_thread(filed.render, fmt)  # seconds of CPU for a PDF: off the loop
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filed.name)}.{fmt}"},
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
    filed = await daily_report(desk.store, desk.office, day=the_day, now=desk.now())
    return await _file(fmt, filed)


@router.get("/reports/assessment.{fmt}")
async def assessment_file(p: ReaderPeriod, fmt: Format) -> Response:
    filed = await assessment_report(
        p.desk.store, p.desk.office, start=p.start, end=p.end, now=p.desk.now()
    )
    return await _file(fmt, filed)


@router.get("/alerts/{alert_id}/report.{fmt}")
async def event_file(request: Request, alert_id: AlertId, who: PageUser, fmt: Format) -> Response:
    desk = desk_of(request)
    detail = await service.show_for(desk.workflow, who.login, alert_id)  # its walls
    return await _file(fmt, event_report(detail, desk.office, now=desk.now()))
