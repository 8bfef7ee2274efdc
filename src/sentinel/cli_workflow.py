"""`sentinel alerts|users|sweep`: thin commands over sentinel.workflow.service (and mounts
`sentinel report`, cli_reports.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from sentinel.config import Config, load_config
from sentinel.errors import ConfigError, SentinelError
from sentinel.store import AlertEventRow, AlertRow, Logins, Store, database_url
from sentinel.workflow.service import UserError, Workflow
from sentinel.workflow.states import ActionKind

T = TypeVar("T")

alerts_app = typer.Typer(help="Alerts: one per story, through the response workflow.")
users_app = typer.Typer(help="Logins of officers, the lead office, leaders, admins.")

ConfigDir = Annotated[
    Path | None, typer.Option("--config-dir", "-c", help="Folder with the three YAML files.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print stable JSON.")]

# The clock, replaceable by tests (SENTINEL_NOW=ISO time) so deadlines are reproducible.
NOW_ENV = "SENTINEL_NOW"


def now() -> datetime:
    import os

    fixed = os.environ.get(NOW_ENV)
    return datetime.fromisoformat(fixed) if fixed else datetime.now(UTC)


def _cfg(config_dir: Path | None) -> Config:
    try:
        return load_config(config_dir)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e


def _with_workflow(cfg: Config, work: Callable[[Workflow], Awaitable[T]]) -> T:
    import asyncio

    async def go() -> T:
        store = await Store.open(database_url(cfg.settings))
        try:
            await store.upgrade()
            return await work(Workflow(store, cfg.settings))
        finally:
            await store.close()

    try:
        return asyncio.run(go())
    except SentinelError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


def _dump(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def alert_json(a: AlertRow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in a.__slots__:  # type: ignore[attr-defined]
        value = getattr(a, name)
        out[name] = _iso(value) if isinstance(value, datetime) else value
    out["overdue"] = list(a.overdue)
    return out


def event_json(e: AlertEventRow) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _iso(e.at),
        "actor": e.actor,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "note": e.note,
        "link": e.link,
        "data": e.data,
    }


def _line(a: AlertRow, tz: ZoneInfo) -> str:
    due = a.claim_due.astimezone(tz).strftime("%m-%d %H:%M")
    late = " OVERDUE:" + ",".join(a.overdue) if a.overdue else ""
    return (
        f"{a.id:>5}  {a.state:<10} {a.severity:<8} {a.department:<10} claim≤{due}  {a.title}{late}"
    )


# ------------------------------------------------------------------ alerts


@alerts_app.command("list")
def alerts_list(
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Alerts, oldest first."""
    cfg = _cfg(config_dir)
    rows = _with_workflow(
        cfg, lambda w: w.list_alerts(department=department, state=state, overdue=overdue)
    )
    if as_json:
        _dump([alert_json(a) for a in rows])
        return
    tz = ZoneInfo(cfg.settings.timezone)
    for a in rows:
        typer.echo(_line(a, tz))


@alerts_app.command("show")
def alerts_show(alert_id: int, config_dir: ConfigDir = None, as_json: AsJson = False) -> None:
    """One alert with its audit trail and its story's posts."""
    cfg = _cfg(config_dir)
    d = _with_workflow(cfg, lambda w: w.show(alert_id))
    if as_json:
        _dump(
            {
                "alert": alert_json(d.alert),
                "events": [event_json(e) for e in d.events],
                "posts": [
                    {
                        "id": p.id,
                        "source_id": p.source_id,
                        "url": p.url,
                        "title": p.title,
                        "placed_by": p.placed_by,
                        "similarity": p.similarity,
                        "why": p.why,
                    }
                    for p in d.posts
                ],
            }
        )
        return
    tz = ZoneInfo(cfg.settings.timezone)
    typer.echo(_line(d.alert, tz))
    for e in d.events:
        at = e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        extra = f" {e.note}" if e.note else ""
        extra += f" <{e.link}>" if e.link else ""
        typer.echo(f"  {at} {e.actor:<10} {e.action:<18} {e.from_state}→{e.to_state}{extra}")
    for p in d.posts:
        typer.echo(f"  post {p.id} [{p.source_id}] {p.url}")
        if p.why:  # how it came into this story: a repost, the same event, a person's hand
            score = f" {p.similarity:.2f}" if p.similarity is not None else ""
            typer.echo(f"    {p.placed_by}{score}: {p.why}")


_VERBS = {
    "claim": ActionKind.claim,
    "report": ActionKind.first_report,
    "verify": ActionKind.verify,
    "reply": ActionKind.reply,
    "close": ActionKind.close,
    "dismiss": ActionKind.dismiss,
    "reroute": ActionKind.reroute,
    "designate": ActionKind.designate,
    "extend": ActionKind.request_extension,
    "grant": ActionKind.grant_extension,
    "refuse": ActionKind.refuse_extension,
}


def _make_verb(verb: str, kind: ActionKind) -> None:
    def command(
        alert_id: int,
        login: Annotated[str, typer.Option("--as", help="Your login.")],
        note: Annotated[str, typer.Option(help="Report text or reason.")] = "",
        link: Annotated[str | None, typer.Option(help="URL of the public reply.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Target department.")] = None,
        days: Annotated[int | None, typer.Option(help="Extension days.")] = None,
        config_dir: ConfigDir = None,
        as_json: AsJson = False,
    ) -> None:
        cfg = _cfg(config_dir)
        row = _with_workflow(
            cfg,
            lambda w: w.act(
                alert_id,
                kind,
                login,
                at=now(),
                note=note,
                link=link,
                target_department=to,
                days=days,
            ),
        )
        if as_json:
            _dump(alert_json(row))
        else:
            typer.echo(f"alert {row.id}: {kind.value} → {row.state} ({row.department})")

    command.__doc__ = f"{kind.value.replace('_', ' ').capitalize()} an alert."
    alerts_app.command(verb)(command)


for _verb, _kind in _VERBS.items():
    _make_verb(_verb, _kind)


def sweep(config_dir: ConfigDir = None, as_json: AsJson = False) -> None:
    """Mark overdue steps, designate unclaimed alerts, queue reminders."""
    cfg = _cfg(config_dir)
    r = _with_workflow(cfg, lambda w: w.sweep(now()))
    if as_json:
        _dump(
            {
                "designated": list(r.designated),
                "newly_overdue": [list(x) for x in r.newly_overdue],
                "reminders": r.reminders,
            }
        )
    else:
        typer.echo(
            f"designated {len(r.designated)}, newly overdue {len(r.newly_overdue)}, "
            f"reminders queued {r.reminders}"
        )


# ------------------------------------------------------------------- users


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    login: str,
    role: Annotated[str, typer.Option(help="officer, lead, leader or admin.")],
    department: Annotated[str | None, typer.Option(help="Department id.")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    config_dir: ConfigDir = None,
) -> None:
    """Create a login; the password is stored as an argon2 hash."""
    cfg = _cfg(config_dir)
    password = _password(password_stdin)
    _with_workflow(
        cfg,
        lambda w: w.add_user(
            login, role=role, department=department, name=name, password=password, at=now()
        ),
    )
    typer.echo(f"user {login} added ({role})")


@users_app.command("passwd")
def users_passwd(
    login: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    config_dir: ConfigDir = None,
) -> None:
    """Set a new password; the user's desk sessions and API tokens end."""
    cfg = _cfg(config_dir)
    password = _password(password_stdin)

    async def change(w: Workflow) -> None:
        await w.set_password(login, password)
        await Logins(w.store).end_sessions(login)

    _with_workflow(cfg, change)
    typer.echo(f"password of {login} changed")


def _set_disabled(config_dir: Path | None, login: str, at: datetime | None) -> None:
    async def switch(w: Workflow) -> None:
        if not await Logins(w.store).set_disabled(login, at):
            raise UserError(f"no user {login!r}")

    _with_workflow(_cfg(config_dir), switch)


@users_app.command("disable")
def users_disable(login: str, config_dir: ConfigDir = None) -> None:
    """Refuse this login from now on: its desk sessions and API tokens end at once."""
    _set_disabled(config_dir, login, now())
    typer.echo(f"user {login} disabled; their sessions ended")


@users_app.command("enable")
def users_enable(login: str, config_dir: ConfigDir = None) -> None:
    """Let a disabled login sign in again (its old sessions stay ended)."""
    _set_disabled(config_dir, login, None)
    typer.echo(f"user {login} enabled")


@users_app.command("list")
def users_list(config_dir: ConfigDir = None, as_json: AsJson = False) -> None:
    """Logins, roles, departments (never hashes)."""
    cfg = _cfg(config_dir)
    rows = _with_workflow(cfg, lambda w: w.users())
    data = [
        {
            "login": u.login,
            "name": u.name,
            "role": u.role,
            "department": u.department,
            "disabled_at": _iso(u.disabled_at),
        }
        for u in rows
    ]
    if as_json:
        _dump(data)
        return
    for u in data:
        off = "  (disabled)" if u["disabled_at"] else ""
        typer.echo(f"{u['login']:<16} {u['role']:<8} {u['department'] or '-':<10} {u['name']}{off}")


def calendar_warnings(cfg: Config) -> list[str]:
    from sentinel.workflow.alerts import build_policy

    tz = ZoneInfo(cfg.settings.timezone)
    return build_policy(cfg.settings).calendar.warnings(now().astimezone(tz).date())


def mount(app: typer.Typer) -> None:
    import sentinel.cli_events  # noqa: F401  (registers `alerts merge` and `alerts split`)
    from sentinel.cli_reports import report_app

    app.add_typer(alerts_app, name="alerts")
    app.add_typer(users_app, name="users")
    app.add_typer(report_app, name="report")
    app.command("sweep")(sweep)
