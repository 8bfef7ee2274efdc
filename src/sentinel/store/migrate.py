"""Alembic, run in-process on the store's own connection.

The migration scripts live at the repository root (`migrations/`), beside `src/`; the package
finds them from its own location (editable installs and the Docker image keep the checkout),
or from SENTINEL_MIGRATIONS.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import sentinel
from sentinel.errors import StoreError
from sentinel.store.engine import lock_for_migration

ENV_MIGRATIONS = "SENTINEL_MIGRATIONS"


def migrations_dir() -> Path:
    override = os.environ.get(ENV_MIGRATIONS)
    path = (
        Path(override) if override else Path(sentinel.__file__).resolve().parents[2] / "migrations"
    )
    if not (path / "env.py").is_file():
        raise StoreError(f"no Alembic migrations at {path} (set {ENV_MIGRATIONS})")
    return path


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        # env.py runs on this connection instead of opening its own engine.
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_to_head(connection: Connection) -> None:
    """Bring the schema to the newest revision; nothing but a version check when it is there."""
    cfg = alembic_config(connection)
    lock_for_migration(connection)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return
    command.upgrade(cfg, "head")
