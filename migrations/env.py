"""Alembic environment for Sentinel.

In-process (`Store.upgrade`, `sentinel db upgrade`) the store hands its own connection in through
`config.attributes["connection"]`. From the `alembic` command line an async engine is opened on
SENTINEL_DATABASE_URL, else `sqlalchemy.url` from alembic.ini, else the embedded default.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from sentinel.store.engine import create_engine, default_url, normalize_url
from sentinel.store.schema import metadata

config = context.config
target_metadata = metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = os.environ.get("SENTINEL_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    return normalize_url(url) if url else default_url("data")


async def _online_own_engine() -> None:
    engine = create_engine(_url())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await engine.dispose()


def online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
    else:
        asyncio.run(_online_own_engine())


if context.is_offline_mode():
    offline()
else:
    online()
