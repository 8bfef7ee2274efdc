"""`sentinel web`: the duty desk alone (the daemon serves the same app beside its patrols)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from typing import Annotated, Any

import typer

from sentinel.cli_common import redact
from sentinel.cli_hints import announce
from sentinel.config import Config, load_config
from sentinel.errors import ConfigError, SentinelError
from sentinel.metrics import Metrics
from sentinel.pipeline import utcnow
from sentinel.store import Store, database_url


def web(
    config_dir: Annotated[
        Path | None, typer.Option("--config-dir", "-c", help="Folder with the three YAML files.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Mark cookies Secure (on whenever users reach the desk over https).",
        ),
    ] = False,
) -> None:
    """Serve the web desk and its JSON API (set SENTINEL_WEB_SECRET to keep sessions)."""
    try:
        cfg = load_config(config_dir)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e
    try:
        asyncio.run(_serve(cfg, host, port, secure_cookies))
    except SentinelError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


async def _serve(cfg: Config, host: str, port: int, secure_cookies: bool) -> None:
    import uvicorn

    from sentinel.web import WebSettings, create_app
    from sentinel.web.serving import server_config
    from sentinel.workflow.service import Workflow

    store = await Store.open(database_url(cfg.settings))
    try:
        await store.upgrade()
        app = create_app(
            cfg,
            store,
            Workflow(store, cfg.settings),
            clock=utcnow,
            settings=WebSettings.from_env(
                secure_cookies=secure_cookies or cfg.settings.web.secure_cookies,
                trusted_proxies=cfg.settings.web.trusted_proxies,
            ),
        )
        for line in await announce(store, redact(database_url(cfg.settings)), (host, port)):
            typer.echo(line)
        server = uvicorn.Server(server_config(app, host=host, port=port, log_level="info"))
        await server.serve()
    finally:
        await store.close()


def mount(app: typer.Typer) -> None:
    app.command("web")(web)


@contextlib.asynccontextmanager
async def serve_desk(
    cfg: Config,
    host: str,
    port: int,
    health: Callable[[], dict[str, Any]] | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[None]:
    """Serve the desk in the running loop while the block runs; stop it when the block ends.

    `health` (the daemon's) shows on the operators' page beside the sources and decides
    /readyz; `metrics` (the daemon's) are served on /metrics.
    """
    import uvicorn

    from sentinel.web import WebSettings, create_app
    from sentinel.web.serving import server_config
    from sentinel.workflow.service import Workflow

    class Server(uvicorn.Server):
        # The daemon owns SIGTERM and SIGINT: uvicorn must not take them over.
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    # Its own store (engine): the daemon reopens its own when the configuration changes.
    store = await Store.open(database_url(cfg.settings))
    app = create_app(
        cfg, store, Workflow(store, cfg.settings), clock=utcnow, health=health, metrics=metrics,
        settings=WebSettings.from_env(
            secure_cookies=cfg.settings.web.secure_cookies,
            trusted_proxies=cfg.settings.web.trusted_proxies,
        ),
    )  # fmt: skip
    server = Server(server_config(app, host=host, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve(), name="web desk")
    try:
        yield
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=10)
        finally:
            await store.close()
