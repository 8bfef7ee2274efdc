"""Store: everything Sentinel keeps, behind one small async API (SQLAlchemy Core).

Reads run beside writes; writes go through `transaction()` (or the one-shot write methods).
On SQLite an asyncio.Lock makes this process one writer, as WAL wants; PostgreSQL needs none.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sentinel.errors import StoreError
from sentinel.fetch.page import Validators
from sentinel.locks import PriorityLock
from sentinel.sources.health import Event as HealthEvent
from sentinel.sources.health import Health
from sentinel.store.alerts_read import AlertReads
from sentinel.store.engine import (
    create_engine,
    single_writer,
    translate_errors,
)
from sentinel.store.fetchlog import HealthRecord, write_fetches, write_health
from sentinel.store.head import at_head
from sentinel.store.posts_read import PostReads, _chunks
from sentinel.store.records import (
    FetchRecord,
)
from sentinel.store.schema import (
    url_state,
)
from sentinel.store.sources_read import SourceReads
from sentinel.store.tx import Tx

T = TypeVar("T")

log = logging.getLogger("sentinel.store")

# Fetch records held back before they are written on their own (see record_fetch).
FETCH_BATCH = 500
# Held-back records ride along with a write transaction once this many have gathered. Carried
# by every transaction, a few at a time, they cost six statements per list page stored, about a
# tenth of a patrol's store work; carried in hundreds, the same six statements serve them all.
FETCH_CARRY = 100


def _sqlite_pragma(conn: Connection, pragma: str) -> None:
    # On the driver connection: SQLAlchemy's own execute would begin a transaction first.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def _foreign_keys_hold(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise StoreError(f"the migration left rows whose foreign keys do not hold: {broken[:5]}")


class Store(PostReads, AlertReads, SourceReads):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._write_lock: PriorityLock | None = PriorityLock() if single_writer(engine) else None
        self._pending: list[FetchRecord | HealthRecord] = []
        self._on_push: list[Callable[[], None]] = []

    def on_push(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that queued a push (the daemon sends it at once)."""
        self._on_push.append(callback)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect (failing now, with a StoreError, if the database cannot be reached)."""
        engine = create_engine(url)
        try:
            with translate_errors("cannot open the database"):
                async with engine.connect():
                    pass
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def upgrade(self) -> None:
        """Migrate the schema to head (Alembic, in-process); a version check when it is there."""
        with translate_errors("checking the database's schema"):
            async with self.engine.connect() as conn:
                if await conn.run_sync(at_head):
                    return
        async with self._writer():
            with translate_errors("migrating the database"):
                async with self.engine.connect() as conn:
                    sqlite = conn.dialect.name == "sqlite"
                    if sqlite:
                        # Batch migrations rebuild a table (copy, drop, rename); with foreign
                        # keys on, dropping a table that other rows refer to fails. The pragma
                        # only takes effect outside a transaction, so it goes in before BEGIN.
                        await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=OFF")
                    try:
                        # Imported here: Alembic costs ~7 MB that a store at head never needs.
                        from sentinel.store.migrate import upgrade_to_head

                        async with conn.begin():
                            await conn.run_sync(upgrade_to_head)
                            if sqlite:
                                await conn.run_sync(_foreign_keys_hold)
                    finally:
                        if sqlite:
                            await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=ON")

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            await self.engine.dispose()

    def _writer(self, urgent: bool = False) -> AbstractAsyncContextManager[Any]:
        if self._write_lock is None:
            return nullcontext()
        return self._write_lock.hold(urgent=urgent)

    def transaction(self, *, urgent: bool = False) -> AbstractAsyncContextManager[Tx]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        urgent: go before the writes already waiting (a page with a critical post).
        """
        return self._transaction(urgent)

    @asynccontextmanager
    async def _transaction(self, urgent: bool) -> AsyncIterator[Tx]:
        # An urgent write (a critical post) carries nothing else: its push must not wait.
        carry = not urgent and len(self._pending) >= FETCH_CARRY
        async with self._write(urgent, carry=carry) as conn:
            tx = Tx(conn)
            yield tx
        if tx.pushed:
            for callback in self._on_push:
                callback()

    @asynccontextmanager
    async def _write(
        self, urgent: bool = False, *, carry: bool = True
    ) -> AsyncIterator[AsyncConnection]:
        """A write transaction; with `carry`, the held-back fetch records are written first."""
        async with self._writer(urgent):
            pending: list[FetchRecord | HealthRecord] = []
            if carry:
                pending, self._pending = self._pending, []
            try:
                with translate_errors("writing to the database"):
                    async with self.engine.begin() as conn:
                        if pending:
                            await self._write_pending(conn, pending)
                        yield conn
            except BaseException:
                self._pending[:0] = pending  # rolled back with the rest: keep them for later
                raise

    @staticmethod
    async def _write_pending(
        conn: AsyncConnection, pending: list[FetchRecord | HealthRecord]
    ) -> None:
        # In a savepoint: fetch records that cannot be written (a bug, a constraint) are logged
        # and dropped, never allowed to fail the posts written with them, nor every write after.
        try:
            async with conn.begin_nested():
                # Fetches first: they create the source rows that health is written to.
                await write_fetches(conn, [r for r in pending if isinstance(r, FetchRecord)])
                await write_health(conn, [r for r in pending if isinstance(r, HealthRecord)])
        except SQLAlchemyError:
            log.exception("dropped %d fetch records that could not be written", len(pending))

    # ----------------------------------------------------------------- fetches

    async def validators(self, urls: Sequence[str]) -> dict[str, Validators]:
        """The ETag / Last-Modified remembered for each of these URLs that has any."""
        out: dict[str, Validators] = {}
        await self.flush()
        with translate_errors("reading validators"):
            async with self.engine.connect() as conn:
                for chunk in _chunks(urls):
                    q = select(url_state.c.url, url_state.c.etag, url_state.c.last_modified)
                    for u, etag, modified in await conn.execute(
                        q.where(url_state.c.url.in_(chunk))
                    ):
                        out[u] = Validators(etag=etag, last_modified=modified)
        return out

    async def record_fetch(self, rec: FetchRecord) -> None:
        """Keep one fetch in the history, its source's status and the URL's validators.

        Written with a write transaction once FETCH_CARRY have gathered, on their own in a batch
        of FETCH_BATCH, or by flush(); every read that shows fetch state flushes first, a patrol
        flushes when it ends, and close() flushes.
        """
        self._pending.append(rec)
        if len(self._pending) >= FETCH_BATCH:
            await self.flush()

    async def record_health(
        self, source_id: str, health: Health, event: HealthEvent | None, at: datetime
    ) -> None:
        """A source's health after a patrol (and the change, if any), written like fetches."""
        self._pending.append(HealthRecord(source_id=source_id, at=at, health=health, event=event))
        if len(self._pending) >= FETCH_BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write the fetch and health records still held back."""
        if not self._pending:
            return
        async with self._write():
            pass  # _write() writes whatever is pending, then commits

    # ------------------------------------------------------------------- posts

    # ----------------------------------------------------------------- stories

    # ---------------------------------------------------------------- evidence

    # ------------------------------------------------------------------ alerts

    # ------------------------------------------------------------------- users
