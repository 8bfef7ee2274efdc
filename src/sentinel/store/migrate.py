"""Alembic, run in-process on the store's own connection.

The migration scripts live at the repository root (`migrations/`), beside `src/`; the package
finds them from its own location (editable installs), from the copy a wheel installs under
<prefix>/share/sentinel/migrations, or from SENTINEL_MIGRATIONS.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import sentinel
from sentinel.errors import StoreError
from sentinel.store.engine import lock_for_migration
from sentinel.store.head import ENV_MIGRATIONS

__all__ = ["ENV_MIGRATIONS", "alembic_config", "migrations_dir", "upgrade_to_head"]


def migrations_dir() -> Path:
    """SENTINEL_MIGRATIONS, else the checkout's migrations/ (editable installs), else the copy
    a wheel installs under <prefix>/share/sentinel/migrations."""
    override = os.environ.get(ENV_MIGRATIONS)
    if override:
        candidates = [Path(override)]
    else:
        candidates = [
            Path(sentinel.__file__).resolve().parents[2] / "migrations",
            Path(sys.prefix) / "share" / "sentinel" / "migrations",
        ]
    for path in candidates:
        if (path / "env.py").is_file():
            return path
    raise StoreError(
        f"no Alembic migrations at {' or '.join(map(str, candidates))} (set {ENV_MIGRATIONS})"
    )


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
