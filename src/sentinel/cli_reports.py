"""`sentinel report daily|assessment|event`: the leaders' reports on the command line, as text,
JSON, CSV, or the documents the desk serves (printable HTML, PDF, Word; sentinel.reports)."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from sentinel.cli_workflow import AsJson, ConfigDir, _cfg, _dump, _with_workflow, now
from sentinel.reports import (
    ExportUnavailable,
    Filed,
    Format,
    Office,
    assessment_report,
    daily_report,
    event_report,
)
from sentinel.workflow.reports import ASSESSMENT_COLUMNS, CSV_COLUMNS, assessment, daily

report_app = typer.Typer(
    help="The daily log, the assessment and an event's special report: text, JSON, CSV, "
    "printable HTML, PDF or Word."
)
AsHtml = Annotated[
    bool, typer.Option("--html", help="Print a printable HTML document (inline CSS, no script).")
]
PdfFile = Annotated[
    Path | None,
    typer.Option("--pdf", metavar="FILE", help="Write the report as a PDF (- for stdout)."),
]
DocxFile = Annotated[
    Path | None,
    typer.Option("--docx", metavar="FILE", help="Write the report as a Word file (- for stdout)."),
]


def _local_day(value: str, tz: ZoneInfo) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=tz)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r}: use YYYY-MM-DD") from e


def _documents(filed: Filed, *, html: bool, pdf: Path | None, docx: Path | None) -> None:
    """Print the HTML and write the files asked for; say on stderr what was written where."""
    if html:
        typer.echo(filed.html)
    to_stdout = [p for p in (pdf, docx) if p is not None and str(p) == "-"]
    if len(to_stdout) > 1 or (to_stdout and html):
        typer.echo("error: only one document can go to stdout", err=True)
        raise typer.Exit(2)
    wanted: list[tuple[Format, Path | None]] = [("pdf", pdf), ("docx", docx)]
    for fmt, path in wanted:
        if path is None:
            continue
        try:
            body = filed.render(fmt)
        except ExportUnavailable as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from e
        if str(path) == "-":
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            continue
        try:
            path.write_bytes(body)
        except OSError as e:
            typer.echo(f"error: cannot write {path}: {e.strerror or e}", err=True)
            raise typer.Exit(1) from e
        typer.echo(f"{filed.name}.{fmt}: {path} ({len(body) / 1024:.0f} KB)", err=True)


@report_app.command("assessment")
def report_assessment(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day, included.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
    as_html: AsHtml = False,
    pdf: PdfFile = None,
    docx: DocxFile = None,
) -> None:
    """Per department: received, on-time claims and reports, late claims, extensions; as a
    document (--html, --pdf, --docx) with charts of the on-time rates, new alerts by topic
    and sources' health."""
    cfg = _cfg(config_dir)
    tz = ZoneInfo(cfg.settings.timezone)
    lo, hi = _local_day(start, tz), _local_day(end, tz) + timedelta(days=1)
    when = now()
    if as_html or pdf or docx:
        first, last = lo.date(), (hi - timedelta(days=1)).date()
        filed = _with_workflow(
            cfg,
            lambda w: assessment_report(w.store, Office.of(cfg), start=first, end=last, now=when),
        )
        _documents(filed, html=as_html, pdf=pdf, docx=docx)
        return
    rows = _with_workflow(cfg, lambda w: assessment(w.store, start=lo, end=hi, now=when))
    if as_json:
        _dump(rows)
    elif as_csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
    else:
        typer.echo("  ".join(ASSESSMENT_COLUMNS))
        for r in rows:
            typer.echo("  ".join(str(r[c]) for c in ASSESSMENT_COLUMNS))


@report_app.command("daily")
def report_daily(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
    as_html: AsHtml = False,
    pdf: PdfFile = None,
    docx: DocxFile = None,
) -> None:
    """The day's public-opinion log (舆情日志); as a document (--html, --pdf, --docx) with the
    week's new alerts by topic and sources' health."""
    cfg = _cfg(config_dir)
    tz = ZoneInfo(cfg.settings.timezone)
    when = now()
    the_day = _local_day(day, tz).date() if day else when.astimezone(tz).date()
    office = Office.of(cfg)
    if as_html or pdf or docx:
        filed = _with_workflow(cfg, lambda w: daily_report(w.store, office, day=the_day, now=when))
        _documents(filed, html=as_html, pdf=pdf, docx=docx)
        return
    log = _with_workflow(cfg, lambda w: daily(w.store, day=the_day, tz=tz, now=when))
    if as_json:
        _dump(log)
        return
    typer.echo(f"舆情日志 {log['date']}: {log['new_stories']} new stories")
    # names as keywords.yaml and sentinel.yaml give them: the ids are for --json
    for topic, n in log["stories_by_topic"].items():
        typer.echo(f"  topic {office.topic(topic)}: {n}")
    for sev, n in log["stories_by_severity"].items():
        typer.echo(f"  severity {sev}: {n}")
    typer.echo(
        "open alerts: " + ", ".join(f"{k} {v}" for k, v in log["open_alerts_by_state"].items())
    )
    for o in log["overdue"]:
        dept = office.department(o["department"])
        typer.echo(f"  OVERDUE {o['alert_id']} {dept} {','.join(o['steps'])} {o['title']}")


@report_app.command("event")
def report_event(
    alert_id: int,
    config_dir: ConfigDir = None,
    as_html: AsHtml = False,
    pdf: PdfFile = None,
    docx: DocxFile = None,
) -> None:
    """One event's special report (舆情专报): what happened, its spread, the handling, the
    public reply and the link to every post; --html, --pdf FILE or --docx FILE."""
    if not (as_html or pdf or docx):
        typer.echo("error: say --html, --pdf FILE or --docx FILE", err=True)
        raise typer.Exit(2)
    cfg = _cfg(config_dir)
    when = now()
    detail = _with_workflow(cfg, lambda w: w.show(alert_id))
    _documents(event_report(detail, Office.of(cfg), now=when), html=as_html, pdf=pdf, docx=docx)
