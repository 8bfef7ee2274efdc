"""`sentinel worker` and `sentinel workers status`: worker mode on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from sentinel.cli_common import config_checked, stop_reading
from sentinel.config import Config, load_config
from sentinel.errors import ConfigError, SentinelError

ConfigDir = Annotated[
    Path | None,
    typer.Option("--config-dir", "-c", help="Folder with the three YAML files."),
]

workers_app = typer.Typer(help="Patrol workers (worker mode, PostgreSQL).", no_args_is_help=True)


def mount(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(workers_app, name="workers")


def _config(config_dir: Path | None) -> Config:
    try:
        return load_config(config_dir)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e


def worker(
    config_dir: ConfigDir = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            help="Sources patrolled at once in this process (default: workers.concurrency)."
        ),
    ] = None,
) -> None:
    """Run patrol jobs from the queue until SIGTERM or Ctrl-C (running jobs finish first).

    Needs PostgreSQL and `workers.enabled: true`, with `sentinel run` scheduling somewhere.
    Edits to the three files take effect at the next job, as they do in `sentinel run`.
    """
    cfg = config_checked(config_dir)  # as `sentinel run`, and as the worker's reloads
    if not cfg.settings.workers.enabled:
        typer.echo(
            f"sentinel: {cfg.dir / 'sentinel.yaml'}: worker mode is off; set "
            "`workers: {enabled: true}` (and a PostgreSQL database_url) on every node",
            err=True,
        )
        raise typer.Exit(1)
    from sentinel.cli_common import run

    try:
        run(_work(cfg, concurrency))  # on uvloop, as `sentinel run`
    except SentinelError as e:
        typer.echo(f"sentinel: {e}", err=True)
        raise typer.Exit(1) from e
    finally:
        stop_reading()


async def _work(cfg: Config, concurrency: int | None) -> None:
    from sentinel.workers.worker import PatrolWorker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await PatrolWorker(cfg, concurrency=concurrency).run(stop)


@workers_app.command("status")
def status(
    config_dir: ConfigDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print stable JSON.")] = False,
) -> None:
    """Who is alive, what each runs, the queue's depth and its oldest waiting job.

    Each worker's configuration digest is shown, STALE when it is not that of the files here
    (a worker reloads before its next job; one whose files were not synced stays stale)."""
    cfg = _config(config_dir)
    try:
        data = asyncio.run(read_status(cfg))
    except SentinelError as e:
        typer.echo(f"sentinel: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
        return
    from sentinel.workers.status import status_lines

    for line in status_lines(data):
        typer.echo(line)


async def read_status(cfg: Config) -> dict[str, Any]:
    from sentinel.store import Store
    from sentinel.workers.queue import require_postgres
    from sentinel.workers.status import status_data

    store = await Store.open(require_postgres(cfg))
    try:
        return await status_data(
            store, stall_timeout=cfg.settings.workers.stall_timeout, config_digest=cfg.digest
        )
    finally:
        await store.close()
