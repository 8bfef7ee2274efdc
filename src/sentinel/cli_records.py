"""`sentinel stories|posts|outbox list`: what patrols stored and what waits to be sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from sentinel import cli_common as common
from sentinel.cli_common import AsJson, ConfigDir
from sentinel.render import post_json, render_stories, story_json
from sentinel.store import Store

stories_app = typer.Typer(
    help="Stories: near-duplicate posts grouped into one.", no_args_is_help=True
)
posts_app = typer.Typer(help="Posts found by patrols.", no_args_is_help=True)
outbox_app = typer.Typer(help="Notifications queued for delivery.", no_args_is_help=True)


@stories_app.command("list")
def stories_list(
    since: Annotated[
        str | None, typer.Option(help="Only stories first seen since (ISO time or e.g. 24h).")
    ] = None,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Stories with their topic, severity, department, matched words and posts."""
    cfg = common.load(config_dir)
    when = common.parse_since(since)

    stories = common.with_store(cfg, lambda store: store.stories(since=when))
    if as_json:
        common.print_json([story_json(s) for s in stories])
    else:
        typer.echo(render_stories(stories, cfg))


@posts_app.command("list")
def posts_list(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
    since: Annotated[str | None, typer.Option(help="First seen since (ISO or e.g. 24h).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 200,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Posts found by patrols, newest first."""
    cfg = common.load(config_dir)
    when = common.parse_since(since)

    posts = common.with_store(
        cfg, lambda store: store.posts(source_id=source, since=when, limit=limit)
    )
    if as_json:
        common.print_json([post_json(p) for p in posts])
    else:
        for p in posts:
            when_s = p.published_at.isoformat() if p.published_at else "-"
            typer.echo(f"{p.id:>6}  {p.source_id:<16} {when_s:<25} {p.title}")


@outbox_app.command("list")
def outbox_list(
    pending: Annotated[bool, typer.Option("--pending", help="Only what is not sent yet.")] = False,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Notifications queued for delivery: pushes, reminders and digests, with their attempts."""
    from sentinel.store import Deliveries

    cfg = common.load(config_dir)

    async def read(store: Store) -> Any:
        rows = await store.outbox(pending=pending)
        return rows, await Deliveries(store).digests(pending=pending)

    rows, digests = common.with_store(cfg, read)
    items = [_outbox_json(r) for r in rows] + [_digest_json(d) for d in digests]
    if as_json:
        common.print_json(items)
        return
    for i in items:
        state = "sent " + i["sent_at"] if i["sent_at"] else f"pending ({i['attempts']} tries)"
        err = f"  {i['last_error']}" if i["last_error"] else ""
        typer.echo(
            f"{i['table']:<6} {i['id']:>5}  {i['kind']:<8} {i['recipient']:<12} {state}{err}"
        )


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _outbox_json(r: Any) -> dict[str, Any]:
    return {
        "table": "outbox",
        "id": r.id,
        "kind": r.kind,
        "story_id": r.story_id,
        "recipient": r.recipient,
        "step": r.step,
        "attempts": r.attempts,
        "created_at": _when(r.created_at),
        "next_attempt_at": _when(r.next_attempt_at),
        "sent_at": _when(r.sent_at),
        "last_error": r.last_error,
    }


def _digest_json(d: Any) -> dict[str, Any]:
    return {
        "table": "digest",
        "id": d.id,
        "kind": "digest",
        "recipient": d.department,
        "duty_at": _when(d.duty_at),
        "alert_ids": list(d.alert_ids),
        "attempts": d.attempts,
        "created_at": _when(d.created_at),
        "next_attempt_at": _when(d.next_attempt_at),
        "sent_at": _when(d.sent_at),
        "last_error": d.last_error,
    }


def mount(app: typer.Typer) -> None:
    app.add_typer(stories_app, name="stories")
    app.add_typer(posts_app, name="posts")
    app.add_typer(outbox_app, name="outbox")
