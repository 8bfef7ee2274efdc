"""`sentinel try|patrol|run|demo`: reading sources, one patrol, the service, the offline demo."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from sentinel import cli_common as common
from sentinel.cli_common import AsJson, ConfigDir
from sentinel.config import Config
from sentinel.errors import SentinelError
from sentinel.pipeline import Patrol, PatrolReport, SourceReport, try_source
from sentinel.recheck import recheck_gone
from sentinel.render import nothing_read, patrol_json, render_patrol_summary, render_try, try_json
from sentinel.store import Store


def try_(
    source_id: Annotated[str, typer.Argument(help="The id of a source in sources.yaml.")],
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Fetch one source now and show what was extracted and which rules matched. Writes nothing."""
    cfg = common.config_checked(config_dir)
    source = next((s for s in cfg.sources.sources if s.id == source_id), None)
    if source is None:
        typer.echo(f"no source {source_id!r} in {cfg.dir / 'sources.yaml'}", err=True)
        raise typer.Exit(2)

    async def go() -> Any:
        url = common.db_url(cfg)
        store = None
        if not url.startswith("sqlite") or _sqlite_exists(url):
            store = await Store.open(url)
        try:
            return await try_source(cfg, source, store=store)
        finally:
            if store is not None:
                await store.close()

    try:
        result = common.run(go())
    except SentinelError as e:
        typer.echo(f"{source_id}: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        common.print_json(try_json(result))
    else:
        typer.echo(render_try(result))


def _sqlite_exists(url: str) -> bool:
    path = url.split(":///", 1)[-1]
    return Path(path).exists()


def patrol(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only these source ids.")
    ] = None,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """One patrol of all (or the named) sources, then exit: fetch, extract, match, cluster, store.

    For cron and a first look; `sentinel run` patrols each source on its cadence.
    """
    cfg = common.config_checked(config_dir)
    chosen = cfg.sources.sources
    if source:
        known = {s.id for s in chosen}
        missing = [s for s in source if s not in known]
        if missing:
            typer.echo(f"unknown source id(s): {', '.join(missing)}", err=True)
            raise typer.Exit(2)
        chosen = [s for s in chosen if s.id in set(source)]
    report = common.run(_patrol(cfg, chosen if source else None))
    if as_json:
        common.print_json(patrol_json(report))
    else:
        typer.echo(render_patrol_summary(report))
    failed = nothing_read(report)
    if failed is not None:  # a patrol that read nothing is a failure a cron job must see
        typer.echo(failed, err=True)
        raise typer.Exit(1)


async def _patrol(cfg: Config, sources: list[Any] | None) -> PatrolReport:
    progress = _progress_bar(len(sources if sources is not None else cfg.sources.sources))
    async with await Patrol.open(cfg, database_url=common.db_url(cfg)) as p:
        report = await p.run(sources, progress=progress)
        await recheck_gone(p)
        return report


def _progress_bar(total: int) -> Callable[[SourceReport], None] | None:
    if not sys.stderr.isatty() or total == 0:
        return None
    done = 0

    def tick(report: SourceReport) -> None:
        nonlocal done
        done += 1
        width = 30
        filled = width * done // total
        mark = "" if report.ok else f"  ✗ {report.source_id}"
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{mark:<40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return tick


def run(
    config_dir: ConfigDir = None,
    tick: Annotated[
        str, typer.Option("--tick", help="Time between ticks; each patrols what is due.")
    ] = "60s",
    grace: Annotated[
        float,
        typer.Option(
            "--grace", help="Seconds a running tick may finish at shutdown (its fetches are cut)."
        ),
    ] = 30.0,
    once: Annotated[
        bool, typer.Option("--once", help="One duty cycle (patrol, sweep, digests, send), exit.")
    ] = False,
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="Serve the duty desk beside the patrols.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the duty desk listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the duty desk listens on.")] = 8080,
) -> None:
    """Run the service: patrol on the duty cadence, send digests and pushes, serve the desk.

    SIGTERM or Ctrl-C stops it cleanly: no new tick starts, the fetches in flight are cut, and
    what was read is stored; the sources cut are patrolled at the next start.
    """
    from sentinel.config.models import parse_duration

    cfg = common.config_checked(config_dir)
    interval = parse_duration(tick)
    assert isinstance(interval, timedelta)
    desk = (host, port) if web and not once else None
    try:
        common.run(_serve(cfg, interval, grace=grace, once=once, desk=desk))
    except SentinelError as e:
        typer.echo(f"sentinel: {e}", err=True)
        raise typer.Exit(1) from e


async def _serve(
    cfg: Config,
    tick: timedelta,
    *,
    grace: float,
    once: bool,
    desk: tuple[str, int] | None = None,
) -> None:
    from sentinel.daemon import daemon_for

    async with daemon_for(cfg, tick=tick) as daemon:
        if once:
            report = await daemon.tick(force_duty=True)
            typer.echo(
                f"patrolled {len(report.patrolled)} sources, {report.posts_new} new posts, "
                f"{report.digests} digests queued; sent {report.dispatch.sent}, "
                f"failed {report.dispatch.failed}"
            )
            return
        from sentinel.cli_hints import announce

        for line in await announce(daemon.patrol.store, common.redact(daemon.db_url()), desk):
            typer.echo(line)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if desk is None:
            await daemon.serve(stop, grace=grace)
            return
        from sentinel.cli_web import serve_desk

        async with serve_desk(cfg, *desk, health=daemon.health, metrics=daemon.metrics):
            await daemon.serve(stop, grace=grace)


def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put config, database and mail.")
    ] = None,
    tick: Annotated[str, typer.Option("--tick", help="Time between ticks.")] = "10s",
    port: Annotated[int, typer.Option(help="Port of the duty desk (0: no desk).")] = 8080,
) -> None:
    """A working demo offline: a local site publishing posts, a mail sink, the daemon, the desk."""
    from sentinel.config.models import parse_duration

    try:
        from sentinel.demo import run_demo
    except ImportError as e:  # the demo's mail sink is an extra, not part of the service
        typer.echo(f"sentinel demo needs the demo extra: pip install 'sentinel-yq[demo]' ({e})")
        raise typer.Exit(1) from e

    interval = parse_duration(tick)
    assert isinstance(interval, timedelta)
    common.run(run_demo(directory, tick=interval, echo=typer.echo, web_port=port or None))


def mount(app: typer.Typer) -> None:
    app.command("try")(try_)
    app.command()(patrol)
    app.command()(run)
    app.command()(demo)
