"""Migrations against the models: an empty database upgraded to head has exactly their schema."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection

from sentinel.store import Store
from sentinel.store.head import SCHEMA_HEAD
from sentinel.store.migrate import alembic_config
from sentinel.store.schema import metadata


def _ours(name: str | None, type_: str, *_: Any) -> bool:
    # procrastinate's queue tables (worker mode, PostgreSQL) are its own, not in the models
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _ours}
    )
    return list(compare_metadata(context, metadata))


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_upgrading_an_empty_database_gives_exactly_the_models(db_url: str) -> None:
    store = await Store.open(db_url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(lambda c: inspect(c).get_table_names()) == []
        await store.upgrade()
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            revision = await conn.run_sync(_revision)
        assert {t for t in tables if _ours(t, "table")} == {*metadata.tables, "alembic_version"}
        if db_url.startswith("postgresql"):  # the queue of worker mode, on PostgreSQL only
            assert {"procrastinate_jobs", "procrastinate_workers"} <= tables
        else:
            assert not [t for t in tables if t.startswith("procrastinate_")]
        assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    finally:
        await store.close()


async def test_upgrading_twice_changes_nothing(db_url: str) -> None:
    store = await Store.open(db_url)
    try:
        await store.upgrade()
        statements: list[str] = []

        def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            statements.append(statement.strip().split()[0].upper())

        event.listen(store.engine.sync_engine, "before_cursor_execute", record)
        try:
            await store.upgrade()
        finally:
            event.remove(store.engine.sync_engine, "before_cursor_execute", record)
        # Only reads (and PostgreSQL's migration lock): no DDL, no version bump.
        assert statements
        assert not {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"} & set(statements)
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await store.close()


async def test_a_database_with_rows_upgrades_from_the_first_revision(db_url: str) -> None:
    """Batch migrations rebuild tables on SQLite: rows that refer to them must survive it."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    def to_first(c: Connection) -> None:
        command.upgrade(alembic_config(c), "0001")

    at = datetime(2026, 11, 20, tzinfo=UTC)
    store = await Store.open(db_url)
    try:
        async with store.engine.begin() as conn:
            await conn.run_sync(to_first)
        async with store.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO source (id, kind, url, consecutive_failures)"
                    " VALUES ('forum', 'html', 'http://bbs.example.cn/', 0)"
                )
            )
            await conn.execute(
                text(
                    'INSERT INTO "fetch" (source_id, url, started_at, bytes, items, new_items,'
                    " elapsed_ms) VALUES ('forum', 'http://bbs.example.cn/', :at, 1, 2, 2, 3)"
                ),
                {"at": at},
            )
        await store.upgrade()
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            rows = (await conn.execute(text("SELECT id, health FROM source"))).all()
            fetches = (await conn.execute(text('SELECT count(*) FROM "fetch"'))).scalar_one()
        assert rows == [("forum", "ok")] and fetches == 1
        (status,) = await store.sources_status()
        assert (status.source_id, status.health) == ("forum", "ok")
    finally:
        await store.close()


def test_the_head_the_store_checks_is_the_newest_script() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


_OPEN_TWICE = """
import asyncio, sys
from sentinel.store import Store

async def main(url):
    store = await Store.open(url)
    await store.upgrade()
    await store.close()

asyncio.run(main(sys.argv[1]))
print("alembic" in sys.modules)
"""


async def test_a_store_at_head_opens_without_alembic(db_url: str) -> None:
    """Every patrol, worker and desk process opens the store: at head, Alembic (~7 MB) stays
    out of memory. The first opening migrates, so it needs Alembic; the second must not."""
    runs = []
    for _ in range(2):
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _OPEN_TWICE, db_url, stdout=asyncio.subprocess.PIPE
        )
        out, _err = await child.communicate()
        assert child.returncode == 0
        runs.append(out.decode().split()[-1])
    assert runs == ["True", "False"]
