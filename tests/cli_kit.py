"""The real `sentinel` command in-process, on a county patrolled into the test's database."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel.cli import app
from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `sentinel ARGS`."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def patrolled_county(
    site: LocalSite, cfg_dir: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, at: datetime
) -> Path:
    """The fixture county published on `site`, its config written to `cfg_dir`, patrolled once
    at `at` into `db_url`; the command reads both from the environment from then on."""
    publish(site)
    write_config(cfg_dir, site)
    monkeypatch.setenv("SENTINEL_CONFIG_DIR", str(cfg_dir))
    monkeypatch.setenv("SENTINEL_DATABASE_URL", db_url)

    async def patrol() -> None:
        cfg = load_config(cfg_dir)
        async with await Patrol.open(cfg, database_url=db_url, clock=lambda: at) as p:
            await p.run()

    asyncio.run(patrol())
    return cfg_dir
