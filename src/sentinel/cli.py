"""The `sentinel` command. Thin: parse arguments, call the services, print."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from sentinel import cli_web, cli_workers, cli_workflow
from sentinel.config import Config, load_config
from sentinel.errors import ConfigError, ConfigErrors, SentinelError
from sentinel.logs import setup_logging
from sentinel.pipeline import Patrol, PatrolReport, SourceReport, try_source
from sentinel.recheck import recheck_gone
from sentinel.render import (
    nothing_read,
    patrol_json,
    post_json,
    render_patrol_summary,
    render_sources,
    render_stories,
    render_try,
    source_json,
    story_json,
    try_json,
)
from sentinel.store import Store, database_url

T = TypeVar("T")

app = typer.Typer(
    help="Sentinel: public-opinion (舆情) monitoring for local government offices.",
    no_args_is_help=True,
    add_completion=False,
)
stories_app = typer.Typer(
    help="Stories: near-duplicate posts grouped into one.", no_args_is_help=True
)
posts_app = typer.Typer(help="Posts found by patrols.", no_args_is_help=True)
sources_app = typer.Typer(help="Sources and their health.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
outbox_app = typer.Typer(help="Notifications queued for delivery.", no_args_is_help=True)
app.add_typer(stories_app, name="stories")
app.add_typer(posts_app, name="posts")
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
cli_web.mount(app)
app.add_typer(outbox_app, name="outbox")
cli_workflow.mount(app)
cli_workers.mount(app)

ConfigDir = Annotated[
    Path | None,
    typer.Option(
        "--config-dir",
        "-c",
        help="Folder with sources.yaml, keywords.yaml, sentinel.yaml "
        "(default: $SENTINEL_CONFIG_DIR, else the current folder).",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print stable JSON.")]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop

        return uvloop.run(coro)  # type: ignore[no-any-return]
    except ImportError:  # pragma: no cover - uvloop is absent on Windows
        return asyncio.run(coro)


def _with_store(cfg: Config, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured database, bring it to head, run `work` on it, close it."""

    async def go() -> T:
        store = await Store.open(_db_url(cfg))
        try:
            await store.upgrade()
            return await work(store)
        finally:
            await store.close()

    return _run(go())


def _load(config_dir: Path | None) -> Config:
    try:
        return load_config(config_dir)
    except ConfigError as e:
        _fail_config(e)
        raise  # unreachable: _fail_config exits


def _fail_config(e: ConfigError) -> None:
    errors = e.errors if isinstance(e, ConfigErrors) else [e]
    for err in errors:
        typer.echo(err.render(), err=True)
    raise typer.Exit(1)


def _config_checked(config_dir: Path | None) -> Config:
    from sentinel.sources import check

    cfg = _load(config_dir)
    problems = check(cfg)
    if problems:
        _fail_config(ConfigErrors(problems))
    return cfg


def _db_url(cfg: Config) -> str:
    return database_url(cfg.settings)


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    from sentinel.config.models import parse_duration

    try:
        delta = parse_duration(since)
        if isinstance(delta, timedelta):
            return datetime.now(UTC) - delta
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(since)
    except ValueError as e:
        raise typer.BadParameter(f"{since!r}: use an ISO date/time or a duration like 24h") from e
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return when


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logs.")] = 0,
) -> None:
    setup_logging(verbose)


@app.command()
def check(config_dir: ConfigDir = None) -> None:
    """Validate the three configuration files; print `file:line: message` for each problem."""
    cfg = _config_checked(config_dir)
    n_src = len(cfg.sources.sources)
    n_top = len(cfg.keywords.topics)
    n_dep = len(cfg.settings.departments)
    typer.echo(f"ok: {n_src} sources, {n_top} topics, {n_dep} departments ({cfg.dir})")
    # a year without official calendar data makes deadlines provisional: say so, still exit 0
    for warning in cli_workflow.calendar_warnings(cfg):
        typer.echo(f"warning: {warning}", err=True)


@app.command("try")
def try_(
    source_id: Annotated[str, typer.Argument(help="The id of a source in sources.yaml.")],
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Fetch one source now and show what was extracted and which rules matched. Writes nothing."""
    cfg = _config_checked(config_dir)
    source = next((s for s in cfg.sources.sources if s.id == source_id), None)
    if source is None:
        typer.echo(f"no source {source_id!r} in {cfg.dir / 'sources.yaml'}", err=True)
        raise typer.Exit(2)

    async def go() -> Any:
        url = _db_url(cfg)
        store = None
        if not url.startswith("sqlite") or _sqlite_exists(url):
            store = await Store.open(url)
        try:
            return await try_source(cfg, source, store=store)
        finally:
            if store is not None:
                await store.close()

    try:
        result = _run(go())
    except SentinelError as e:
        typer.echo(f"{source_id}: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        _print_json(try_json(result))
    else:
        typer.echo(render_try(result))


def _sqlite_exists(url: str) -> bool:
    path = url.split(":///", 1)[-1]
    return Path(path).exists()


@app.command()
def patrol(
    once: Annotated[bool, typer.Option("--once", help="One patrol, then exit.")] = True,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only these source ids.")
    ] = None,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """One patrol of all (or the named) sources: fetch, extract, match, cluster, store."""
    cfg = _config_checked(config_dir)
    chosen = cfg.sources.sources
    if source:
        known = {s.id for s in chosen}
        missing = [s for s in source if s not in known]
        if missing:
            typer.echo(f"unknown source id(s): {', '.join(missing)}", err=True)
            raise typer.Exit(2)
        chosen = [s for s in chosen if s.id in set(source)]
    report = _run(_patrol(cfg, chosen if source else None))
    if as_json:
        _print_json(patrol_json(report))
    else:
        typer.echo(render_patrol_summary(report))
    failed = nothing_read(report)
    if failed is not None:  # a patrol that read nothing is a failure a cron job must see
        typer.echo(failed, err=True)
        raise typer.Exit(1)


async def _patrol(cfg: Config, sources: list[Any] | None) -> PatrolReport:
    progress = _progress_bar(len(sources if sources is not None else cfg.sources.sources))
    async with await Patrol.open(cfg, database_url=_db_url(cfg)) as p:
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


@app.command()
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

    cfg = _config_checked(config_dir)
    interval = parse_duration(tick)
    assert isinstance(interval, timedelta)
    desk = (host, port) if web and not once else None
    try:
        _run(_serve(cfg, interval, grace=grace, once=once, desk=desk))
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
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if desk is None:
            await daemon.serve(stop, grace=grace)
            return
        from sentinel.cli_web import serve_desk

        async with serve_desk(cfg, *desk, health=daemon.health):
            await daemon.serve(stop, grace=grace)


@outbox_app.command("list")
def outbox_list(
    pending: Annotated[bool, typer.Option("--pending", help="Only what is not sent yet.")] = False,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Notifications queued for delivery: pushes, reminders and digests, with their attempts."""
    from sentinel.store import Deliveries

    cfg = _load(config_dir)

    async def read(store: Store) -> Any:
        rows = await store.outbox(pending=pending)
        return rows, await Deliveries(store).digests(pending=pending)

    rows, digests = _with_store(cfg, read)
    items = [_outbox_json(r) for r in rows] + [_digest_json(d) for d in digests]
    if as_json:
        _print_json(items)
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


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put config, database and mail.")
    ] = None,
    tick: Annotated[str, typer.Option("--tick", help="Time between ticks.")] = "10s",
    port: Annotated[int, typer.Option(help="Port of the duty desk (0: no desk).")] = 8080,
) -> None:
    """A working demo offline: a local site publishing posts, a mail sink, the daemon, the desk."""
    from sentinel.config.models import parse_duration
    from sentinel.demo import run_demo

    interval = parse_duration(tick)
    assert isinstance(interval, timedelta)
    _run(run_demo(directory, tick=interval, echo=typer.echo, web_port=port or None))


@stories_app.command("list")
def stories_list(
    since: Annotated[
        str | None, typer.Option(help="Only stories first seen since (ISO time or e.g. 24h).")
    ] = None,
    config_dir: ConfigDir = None,
    as_json: AsJson = False,
) -> None:
    """Stories with their topic, severity, department, matched words and posts."""
    cfg = _load(config_dir)
    when = _parse_since(since)

    stories = _with_store(cfg, lambda store: store.stories(since=when))
    if as_json:
        _print_json([story_json(s) for s in stories])
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
    cfg = _load(config_dir)
    when = _parse_since(since)

    posts = _with_store(cfg, lambda store: store.posts(source_id=source, since=when, limit=limit))
    if as_json:
        _print_json([post_json(p) for p in posts])
    else:
        for p in posts:
            when_s = p.published_at.isoformat() if p.published_at else "-"
            typer.echo(f"{p.id:>6}  {p.source_id:<16} {when_s:<25} {p.title}")


@sources_app.command("status")
def sources_status(config_dir: ConfigDir = None, as_json: AsJson = False) -> None:
    """Per source: last fetch, result, items, consecutive failures, and its health (broken
    layout, unreachable, blocked) with the reason and since when."""
    cfg = _load(config_dir)

    rows = {r.source_id: r for r in _with_store(cfg, lambda store: store.sources_status())}
    if as_json:
        _print_json([source_json(s, rows.get(s.id)) for s in cfg.sources.sources])
    else:
        typer.echo(render_sources(cfg.sources.sources, rows))


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="The list page (for --preset rsshub: the route).")],
    preset: Annotated[str, typer.Option("--preset", "-p", help="discuz, tieba, gov_list, ...")],
    source_id: Annotated[
        str | None, typer.Option("--id", help="Stable id (default: from the host name).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    territorial: Annotated[
        bool, typer.Option("--territorial", help="Posts are local by definition.")
    ] = False,
    department: Annotated[
        str | None, typer.Option("--department", help="Territorial department of the site.")
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="The site is on a private address.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Add it even if nothing is found.")] = (
        False
    ),
    config_dir: ConfigDir = None,
) -> None:
    """Try a page with a preset now; if it yields items, append the source to sources.yaml.

    Comments and layout of sources.yaml are kept; the result is validated before it is written.
    """
    from sentinel.config.loader import rsshub_url
    from sentinel.config.models import Source
    from sentinel.sources import ALL_PRESETS
    from sentinel.sources.yamledit import append_source

    cfg = _config_checked(config_dir)
    found = ALL_PRESETS.get(preset)
    if found is None:
        typer.echo(f"unknown preset {preset!r} (known: {', '.join(sorted(ALL_PRESETS))})", err=True)
        raise typer.Exit(2)
    entry: dict[str, Any] = {"id": source_id or _id_from(url), "kind": found.kind.value}
    if entry["id"] in {s.id for s in cfg.sources.sources}:
        typer.echo(f"a source with id {entry['id']!r} exists already (use --id)", err=True)
        raise typer.Exit(2)
    if name:
        entry["name"] = name
    try:
        if preset == "rsshub":
            hub = cfg.settings.rsshub
            if hub is None:
                typer.echo(f"{cfg.dir / 'sentinel.yaml'}: set rsshub: {{base_url: ...}}", err=True)
                raise typer.Exit(2)
            entry["rsshub"] = url
            fetch_url = rsshub_url(hub.base_url, url)
        else:
            entry["url"] = fetch_url = url
        entry["preset"] = preset
        if territorial:
            entry["territorial"] = True
        if department:
            entry["department"] = department
        if allow_private:
            entry["allow_private"] = True
        trial = Source.model_validate({**entry, "rsshub": None, "url": fetch_url})
    except ValueError as e:  # pydantic's ValidationError is one
        typer.echo(f"{url}: {e}", err=True)
        raise typer.Exit(2) from e
    try:
        result = _run(try_source(cfg, trial))
    except SentinelError as e:
        typer.echo(f"{url}: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(render_try(result))
    if not result.posts and not yes:
        typer.echo(
            f"preset {preset!r} found no items on this page; not added (--yes adds it anyway)",
            err=True,
        )
        raise typer.Exit(1)
    try:
        append_source(cfg.dir, entry)
    except ConfigError as e:
        _fail_config(e)
    typer.echo(f"added source {entry['id']!r} to {cfg.dir / 'sources.yaml'}")


def _id_from(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or url
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in host.lower()).strip("-")
    return (slug or "source")[:64]


@db_app.command("upgrade")
def db_upgrade(config_dir: ConfigDir = None) -> None:
    """Create or upgrade the database schema to the newest version."""
    cfg = _load(config_dir)

    async def nothing(_store: Store) -> None:
        return None  # opening brings it to head

    _with_store(cfg, nothing)
    typer.echo(f"database at head: {_redact(_db_url(cfg))}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
