"""The SQLite engine's driver: one trip to aiosqlite's thread per statement, same answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from sentinel.store import onehop
from sentinel.store.engine import create_engine

metadata = MetaData()
thing = Table(
    "thing",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'one.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every call sent to a connection's thread."""
    seen: list[str] = []
    original = onehop.OneHopConnection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(onehop.OneHopConnection, "_execute", counting)
    return seen


async def test_one_trip_per_statement(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as conn:
        trips.clear()
        await conn.execute(insert(thing), {"name": "a"})
        rows = (await conn.execute(select(thing.c.name))).all()
        statements = [t for t in trips if t == "_run"]
        assert rows == [("a",)]
        # aiosqlite's own cursor takes four: cursor, execute, fetchall, close
        assert len(trips) == len(statements) == 2


async def test_same_answers_as_sqlite3(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(thing), {"name": "a"})
        assert first.inserted_primary_key == (1,)  # from lastrowid
        many = await conn.execute(insert(thing), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        changed = await conn.execute(
            update(thing).where(thing.c.id > 1).values(name=thing.c.name + "!")
        )
        assert changed.rowcount == 2
        result = await conn.execute(select(thing.c.id, thing.c.name).order_by(thing.c.id))
        assert list(result.keys()) == ["id", "name"]  # from the description
        assert result.all() == [(1, "a"), (2, "b!"), (3, "c!")]
        assert (await conn.execute(select(thing.c.id).where(thing.c.id > 9))).first() is None


async def test_a_failed_statement_raises_and_rolls_back_whole(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(thing), {"name": "kept"})
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(thing), {"name": "lost"})
            await conn.execute(insert(thing), {"name": "kept"})  # unique name taken
    async with engine.connect() as conn:
        names = (await conn.execute(select(thing.c.name))).scalars().all()
    assert names == ["kept"]


async def test_the_urls_options_reach_sqlite(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As under plain aiosqlite, sqlite3.connect gets the dialect's own arguments: here the
    # URL's uri=true, which makes mode=ro a read-only open of the same file.
    async with engine.begin() as conn:
        await conn.execute(insert(thing), {"name": "a"})
    monkeypatch.chdir(tmp_path)
    readonly = create_engine("sqlite:///file:one.db?mode=ro&uri=true")
    try:
        async with readonly.connect() as conn:
            assert (await conn.execute(select(thing.c.name))).scalars().all() == ["a"]
        with pytest.raises(OperationalError, match="readonly"):
            async with readonly.begin() as conn:
                await conn.execute(insert(thing), {"name": "b"})
    finally:
        await readonly.dispose()


def test_the_aiosqlite_in_use_is_in_the_pinned_range_and_has_what_onehop_reaches_into() -> None:
    """The boundary of the pin in pyproject.toml: onehop uses three private parts of
    aiosqlite.Connection. A release that moves them must fail here, not in a patrol."""
    import inspect
    import re
    import tomllib
    from importlib.metadata import version

    import aiosqlite
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    (pin,) = [d for d in project["project"]["dependencies"] if d.startswith("aiosqlite")]
    spec = SpecifierSet(re.sub(r"^aiosqlite", "", pin))
    assert spec.contains(version("aiosqlite")), (pin, version("aiosqlite"))
    assert "<" in str(spec)  # bounded above: the next release is tried on purpose, not by chance
    execute = aiosqlite.Connection._execute
    assert inspect.iscoroutinefunction(execute)
    assert list(inspect.signature(execute).parameters)[:2] == ["self", "fn"]
    source = inspect.getsource(aiosqlite.Connection)
    assert "self._conn" in source and "self._thread" in source
