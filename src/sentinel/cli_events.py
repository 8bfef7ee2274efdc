"""`sentinel alerts merge|split`: the lead office corrects how posts were grouped into events.

Registered on the `alerts` group of cli_workflow.py; the work is workflow/regroup.py's.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sentinel.cli_workflow import (
    AsJson,
    ConfigDir,
    _cfg,
    _dump,
    _with_workflow,
    alert_json,
    alerts_app,
    now,
)

Login = Annotated[str, typer.Option("--as", help="Your login (the lead office's).")]


@alerts_app.command("merge")
def alerts_merge(
    alert_id: int,
    other_id: int,
    login: Login,
    note: Annotated[str, typer.Option(help="Why, for the audit trail.")] = "",
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Merge two alerts of one event: the one claimed first survives with its owner and
    deadlines; the other is closed as merged and its unsent messages are dropped."""
    cfg = _cfg(config_dir)
    done = _with_workflow(cfg, lambda w: w.merge(alert_id, other_id, login, at=now(), note=note))
    if as_json:
        _dump(
            {
                "survivor": alert_json(done.survivor),
                "merged": alert_json(done.merged),
                "posts_moved": done.posts_moved,
                "dropped": done.dropped,
            }
        )
        return
    typer.echo(
        f"alert {done.merged.id} merged into {done.survivor.id}: {done.posts_moved} posts moved, "
        f"{done.dropped} unsent messages dropped; {done.survivor.id} is {done.survivor.state} "
        f"({done.survivor.department}, {done.survivor.severity})"
    )


@alerts_app.command("split")
def alerts_split(
    post_id: Annotated[
        int, typer.Option("--post", help="The post to split out (see `alerts show`).")
    ],
    login: Login,
    to: Annotated[
        str | None, typer.Option("--to", help="Department of the new alert (default: the same).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why, for the audit trail.")] = "",
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Split a post out of its story into a new alert with fresh deadlines."""
    cfg = _cfg(config_dir)
    row = _with_workflow(cfg, lambda w: w.split(post_id, login, at=now(), department=to, note=note))
    if as_json:
        _dump(alert_json(row))
        return
    typer.echo(f"post {post_id} split out: new alert {row.id} ({row.department}, {row.state})")
