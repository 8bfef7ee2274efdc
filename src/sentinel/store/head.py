"""The schema revision this release's models expect, checked without Alembic.

Every patrol, worker and desk process opens the store with `Store.upgrade()`. When the database
is already at this revision, reading one row is the whole check, and Alembic (with the mako and
pygments it pulls in, ~7 MB resident) is never imported. tests/integration/test_migrations.py
keeps SCHEMA_HEAD equal to the newest script in migrations/.
"""

from __future__ import annotations

import os

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

# the newest revision in migrations/versions (a test fails when they differ)
SCHEMA_HEAD = "0010"
# set when migrations come from elsewhere (see store/migrate.py); then Alembic decides
ENV_MIGRATIONS = "SENTINEL_MIGRATIONS"


def at_head(connection: Connection) -> bool:
    """True when the database stands at SCHEMA_HEAD and no migrations directory is handed in."""
    if os.environ.get(ENV_MIGRATIONS):
        return False
    if not inspect(connection).has_table("alembic_version"):
        return False
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(rows) == [SCHEMA_HEAD]
