"""Which database, and the few things that differ between SQLite and PostgreSQL.

Every dialect difference the store knows about lives here: driver names in URLs, SQLite pragmas,
the dialect's INSERT (for ON CONFLICT) and the migration lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sentinel.config.models import SentinelFile
from sentinel.errors import StoreError
from sentinel.store import onehop

ENV_URL = "SENTINEL_DATABASE_URL"

# Set on every new SQLite connection: WAL lets readers run beside the one writer; a busy
# writer elsewhere (the CLI beside the daemon) is waited for rather than failed at once.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}

# Any constant will do: it only has to be the same in every process that migrates.
_MIGRATION_LOCK = 7_301_845_112


def default_url(data_dir: str) -> str:
    """The embedded database: `<data_dir>/sentinel.db`, the folder created if need be."""
    folder = Path(data_dir).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / 'sentinel.db'}"


def database_url(settings: SentinelFile) -> str:
    """SENTINEL_DATABASE_URL, else `database_url` in sentinel.yaml, else the embedded default."""
    url = os.environ.get(ENV_URL) or settings.database_url
    return normalize_url(url) if url else default_url(settings.data_dir)


def normalize_url(url: str) -> str:
    """The async driver for a plain `postgresql://`, `postgres://` or `sqlite://` URL."""
    parsed = _parse(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as e:
        raise StoreError(f"invalid database URL: {e}") from e


def create_engine(url: str) -> AsyncEngine:
    parsed = _parse(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        # A fixed set of connections: the default pool opens and closes overflow connections
        # (each a new thread under aiosqlite, plus its pragmas) whenever a patrol's workers
        # outnumber it, which cost more than the queries themselves. Writers queue on the
        # store's lock anyway; readers wait for a free connection instead of opening one.
        # The arguments SQLAlchemy's own dialect would give sqlite3.connect (the absolute path,
        # the URL's options), so the URL means what it meant under plain aiosqlite.
        args, kwargs = parsed.get_dialect()().create_connect_args(parsed)

        async def connect() -> Any:
            # aiosqlite, one trip to its thread per statement (see onehop.py)
            return await onehop.connect(*args, **kwargs)

        engine = create_async_engine(
            parsed, pool_size=4, max_overflow=0, pool_timeout=120, async_creator=connect
        )
    else:
        engine = create_async_engine(parsed, pool_size=10, max_overflow=20, pool_timeout=120)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling begins late (only before DML) and never
    # around DDL; turned off here so that SQLAlchemy's transactions are SQLite's, migrations
    # included (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


# Execution option of single-statement reads on SQLite: no BEGIN of their own (one round trip
# to the driver's thread saved; a single SELECT is consistent by itself).
BARE_READ = "sentinel_bare_read"


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(BARE_READ):
        return
    connection.exec_driver_sql("BEGIN")


def single_writer(engine: AsyncEngine) -> bool:
    """SQLite takes one writer at a time; PostgreSQL sorts writers out itself."""
    return engine.dialect.name == "sqlite"


def dialect_insert(dialect_name: str, table: Table) -> Any:
    """INSERT with ON CONFLICT support for the backend at hand."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"unsupported database dialect {dialect_name!r}")


def lock_for_migration(connection: Connection) -> None:
    """On PostgreSQL, two processes starting at once must not both create the tables."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """SQLAlchemy and driver errors become StoreError here, where they enter."""
    try:
        yield
    except SQLAlchemyError as e:
        raise StoreError(f"{what}: {e}") from e
    except OSError as e:  # a refused connection surfaces from the driver as an OSError
        raise StoreError(f"{what}: {e}") from e
