"""`sentinel sources status|add`: sources' health, and adding one from a preset."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from sentinel import cli_common as common
from sentinel.cli_common import AsJson, ConfigDir
from sentinel.errors import ConfigError, SentinelError
from sentinel.pipeline import try_source
from sentinel.render import render_sources, render_try, source_json

sources_app = typer.Typer(help="Sources and their health.", no_args_is_help=True)


@sources_app.command("status")
def sources_status(config_dir: ConfigDir = None, as_json: AsJson = False) -> None:
    """Per source: last fetch, result, items, consecutive failures, and its health (broken
    layout, unreachable, blocked) with the reason and since when."""
    cfg = common.load(config_dir)

    rows = {r.source_id: r for r in common.with_store(cfg, lambda store: store.sources_status())}
    if as_json:
        common.print_json([source_json(s, rows.get(s.id)) for s in cfg.sources.sources])
    else:
        tz = ZoneInfo(cfg.settings.timezone)
        typer.echo(render_sources(cfg.sources.sources, rows, tz))


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

    cfg = common.config_checked(config_dir)
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
        result = common.run(try_source(cfg, trial))
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
        common.fail_config(e)
    typer.echo(f"added source {entry['id']!r} to {cfg.dir / 'sources.yaml'}")


def _id_from(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or url
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in host.lower()).strip("-")
    return (slug or "source")[:64]


def mount(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
