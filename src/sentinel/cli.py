"""The `sentinel` command. Thin: parse arguments, call the services, print.

The commands live in cli_*.py modules by what they deal with; this one assembles them.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from sentinel import cli_common as common
from sentinel import cli_patrol, cli_records, cli_sources, cli_web, cli_workers, cli_workflow
from sentinel.cli_common import ConfigDir
from sentinel.logs import setup_logging
from sentinel.store import Store

app = typer.Typer(
    help="Sentinel: public-opinion (舆情) monitoring for local government offices.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
cli_records.mount(app)
cli_sources.mount(app)
app.add_typer(db_app, name="db")
cli_web.mount(app)
cli_workflow.mount(app)
cli_workers.mount(app)


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logs.")] = 0,
) -> None:
    setup_logging(verbose)


@app.command()
def check(config_dir: ConfigDir = None) -> None:
    """Validate the three configuration files; print `file:line: message` for each problem."""
    cfg = common.config_checked(config_dir)
    n_src = len(cfg.sources.sources)
    n_top = len(cfg.keywords.topics)
    n_dep = len(cfg.settings.departments)
    typer.echo(f"ok: {n_src} sources, {n_top} topics, {n_dep} departments ({cfg.dir})")
    # a year without official calendar data makes deadlines provisional: say so, still exit 0
    for warning in cli_workflow.calendar_warnings(cfg):
        typer.echo(f"warning: {warning}", err=True)


cli_patrol.mount(app)


@db_app.command("upgrade")
def db_upgrade(config_dir: ConfigDir = None) -> None:
    """Create or upgrade the database schema to the newest version."""
    cfg = common.load(config_dir)

    async def nothing(_store: Store) -> None:
        return None  # opening brings it to head

    common.with_store(cfg, nothing)
    typer.echo(f"database at head: {common.redact(common.db_url(cfg))}")


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
