"""What every `sentinel` command shares: options, the event loop, config loading, the store."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from sentinel.config import Config, load_config
from sentinel.errors import ConfigError, ConfigErrors
from sentinel.store import Store, database_url

T = TypeVar("T")

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


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        try:
            import uvloop

            return uvloop.run(coro)  # type: ignore[no-any-return]
        except ImportError:  # pragma: no cover - uvloop is absent on Windows
            return asyncio.run(coro)
    finally:
        stop_reading()


def stop_reading() -> None:
    """Stop the child that reads big pages, when this command started one (read/guard.py):
    the command's end, not the interpreter's, decides when it goes, and a page it is reading
    is finished first (at most the guard's CPU budget). A command that read no page never
    imported the guard, and does not now."""
    guard = sys.modules.get("sentinel.read.guard")
    if guard is not None:
        guard.shutdown()


def with_store(cfg: Config, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured database, bring it to head, run `work` on it, close it."""

    async def go() -> T:
        store = await Store.open(db_url(cfg))
        try:
            await store.upgrade()
            return await work(store)
        finally:
            await store.close()

    return run(go())


def load(config_dir: Path | None) -> Config:
    try:
        return load_config(config_dir)
    except ConfigError as e:
        fail_config(e)
        raise  # unreachable: fail_config exits


def fail_config(e: ConfigError) -> None:
    errors = e.errors if isinstance(e, ConfigErrors) else [e]
    for err in errors:
        typer.echo(err.render(), err=True)
    raise typer.Exit(1)


def config_checked(config_dir: Path | None) -> Config:
    from sentinel.sources import check

    cfg = load(config_dir)
    problems = check(cfg)
    if problems:
        fail_config(ConfigErrors(problems))
    return cfg


def db_url(cfg: Config) -> str:
    return database_url(cfg.settings)


def redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def parse_since(since: str | None) -> datetime | None:
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
