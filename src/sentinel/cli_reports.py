"""`sentinel report daily|assessment`: the leaders' reports on the command line."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from sentinel.cli_workflow import AsJson, ConfigDir, _cfg, _dump, _with_workflow, now
from sentinel.reports import Office
from sentinel.workflow.reports import ASSESSMENT_COLUMNS, CSV_COLUMNS, assessment, daily

report_app = typer.Typer(help="Assessment table and daily log.")
AsHtml = Annotated[
    bool, typer.Option("--html", help="Print a printable HTML document (inline CSS, no script).")
]


def _local_day(value: str, tz: ZoneInfo) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=tz)
    except ValueError as e:
        raise typer.BadParameter(f"{value!r}: use YYYY-MM-DD") from e


@report_app.command("assessment")
def report_assessment(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day, included.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
    as_html: AsHtml = False,
) -> None:
    """Per department: received, on-time claims and reports, late claims, extensions."""
    cfg = _cfg(config_dir)
    tz = ZoneInfo(cfg.settings.timezone)
    lo, hi = _local_day(start, tz), _local_day(end, tz) + timedelta(days=1)
    when = now()
    rows = _with_workflow(cfg, lambda w: assessment(w.store, start=lo, end=hi, now=when))
    if as_html:
        from sentinel.reports.printable import assessment_html

        typer.echo(
            assessment_html(
                rows,
                start=lo.date(),
                end=(hi - timedelta(days=1)).date(),
                office=Office.of(cfg),
                generated_at=when,
            )
        )
    elif as_json:
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
) -> None:
    """The day's public-opinion log (舆情日志)."""
    cfg = _cfg(config_dir)
    tz = ZoneInfo(cfg.settings.timezone)
    when = now()
    the_day = _local_day(day, tz).date() if day else when.astimezone(tz).date()
    log = _with_workflow(cfg, lambda w: daily(w.store, day=the_day, tz=tz, now=when))
    office = Office.of(cfg)
    if as_html:
        from sentinel.reports.printable import daily_html

        typer.echo(daily_html(log, office=office, generated_at=when))
        return
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
