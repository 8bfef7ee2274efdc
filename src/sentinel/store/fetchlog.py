"""Fetch records written in batches: history rows, source status, conditional-GET validators.

A patrol of 10,000 sources makes 10,000 fetch records, most of them a 304 with nothing else to
write. One transaction each cost more than the fetches; here the records of many pages go in
together, with one executemany per statement, and the source rows get the state the batch ends
in (failures counted across it exactly as if the records had been written one by one).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sentinel.sources.health import Event, Health
from sentinel.store.engine import dialect_insert
from sentinel.store.records import FetchRecord
from sentinel.store.schema import fetch, source, source_event, url_state


@dataclass(slots=True)
class _SourceState:
    last: FetchRecord
    last_ok: FetchRecord | None = None
    trailing_failures: int = 0  # errors after the last success in the batch
    saw_ok: bool = False


def _ok(rec: FetchRecord) -> bool:
    return rec.error is None and rec.error_kind is None


def _fold(records: Sequence[FetchRecord]) -> dict[str, _SourceState]:
    states: dict[str, _SourceState] = {}
    for rec in records:
        st = states.get(rec.source_id)
        if st is None:
            st = states[rec.source_id] = _SourceState(last=rec)
        st.last = rec
        if _ok(rec):
            st.last_ok, st.saw_ok, st.trailing_failures = rec, True, 0
        else:
            st.trailing_failures += 1
    return states


# Built once per dialect: building them cost more than the writes (each `excluded` column is a
# new Column object).
@functools.cache
def _source_upsert(dialect: str, *, reset: bool) -> Any:
    """reset: a success in the batch sets the failure count; else the batch's errors add to it."""
    ins = dialect_insert(dialect, source).values(
        id=bindparam("b_id"),
        kind=bindparam("b_kind"),
        url=bindparam("b_url"),
        last_fetch_at=bindparam("b_at"),
        last_status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        last_error_kind=bindparam("b_error_kind"),
        items_last=bindparam("b_items"),
        consecutive_failures=bindparam("b_failures"),
        last_ok_at=bindparam("b_ok_at"),
    )
    changes: dict[str, Any] = {
        "kind": ins.excluded.kind,
        "url": ins.excluded.url,
        "last_fetch_at": ins.excluded.last_fetch_at,
        "last_status": ins.excluded.last_status,
        "last_error": ins.excluded.last_error,
        "last_error_kind": ins.excluded.last_error_kind,
    }
    if reset:
        changes |= {
            "items_last": ins.excluded.items_last,
            "consecutive_failures": ins.excluded.consecutive_failures,
            "last_ok_at": ins.excluded.last_ok_at,
        }
    else:
        changes["consecutive_failures"] = (
            source.c.consecutive_failures + ins.excluded.consecutive_failures
        )
    return ins.on_conflict_do_update(index_elements=[source.c.id], set_=changes)


@functools.cache
def _validators_upsert(dialect: str) -> Any:
    ins = dialect_insert(dialect, url_state).values(
        url=bindparam("b_url"),
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_modified"),
        updated_at=bindparam("b_at"),
    )
    return ins.on_conflict_do_update(
        index_elements=[url_state.c.url],
        set_={
            "etag": ins.excluded.etag,
            "last_modified": ins.excluded.last_modified,
            "updated_at": ins.excluded.updated_at,
        },
    )


_HISTORY = fetch.insert()
_FORGET = url_state.delete().where(url_state.c.url == bindparam("b_url"))


async def write_fetches(conn: AsyncConnection, records: Sequence[FetchRecord]) -> None:
    if not records:
        return
    dialect = conn.dialect.name
    reset: list[dict[str, Any]] = []
    add: list[dict[str, Any]] = []
    for sid, st in _fold(records).items():
        last, ok = st.last, st.last_ok
        row = {
            "b_id": sid,
            "b_kind": last.kind,
            "b_url": last.url,
            "b_at": last.started_at,
            "b_status": last.status,
            "b_error": last.error,
            "b_error_kind": last.error_kind,
            "b_items": ok.items if ok else None,
            "b_failures": st.trailing_failures,
            "b_ok_at": ok.started_at if ok else None,
        }
        (reset if st.saw_ok else add).append(row)
    if reset:
        await conn.execute(_source_upsert(dialect, reset=True), reset)
    if add:
        await conn.execute(_source_upsert(dialect, reset=False), add)
    # After the source rows: the history refers to them.
    await conn.execute(
        _HISTORY,
        [
            {
                "source_id": r.source_id,
                "url": r.url,
                "started_at": r.started_at,
                "status": r.status,
                "error_kind": r.error_kind,
                "error": r.error,
                "bytes": r.bytes,
                "items": r.items,
                "new_items": r.new_items,
                "elapsed_ms": r.elapsed_ms,
            }
            for r in records
        ],
    )

    remember: dict[str, dict[str, Any]] = {}
    forget: dict[str, dict[str, Any]] = {}
    for r in records:
        v = r.validators
        if v is None or r.status not in (200, 304):
            continue
        if v.etag is None and v.last_modified is None:
            # The server stopped sending validators: forgetting stale ones keeps url_state true.
            if r.status == 200:
                forget[r.url] = {"b_url": r.url}
                remember.pop(r.url, None)
            continue
        forget.pop(r.url, None)
        remember[r.url] = {
            "b_url": r.url,
            "b_etag": v.etag,
            "b_modified": v.last_modified,
            "b_at": r.started_at,
        }
    if remember:
        await conn.execute(_validators_upsert(dialect), list(remember.values()))
    if forget:
        await conn.execute(_FORGET, list(forget.values()))


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthRecord:
    source_id: str
    at: datetime
    health: Health
    event: Event | None


_HEALTH = (
    update(source)
    .where(source.c.id == bindparam("b_id"))
    .values(
        health=bindparam("b_health"),
        health_reason=bindparam("b_reason"),
        health_failures=bindparam("b_failures"),
        had_items=bindparam("b_items"),
        had_titles=bindparam("b_titles"),
        had_dates=bindparam("b_dates"),
    )
)
_HEALTH_SINCE = _HEALTH.values(health_since=bindparam("b_since"))
_SOURCE_EVENT = source_event.insert()


async def write_health(conn: AsyncConnection, records: Sequence[HealthRecord]) -> None:
    """The sources' health as the batch leaves it, and one event row per change."""
    last: dict[str, HealthRecord] = {}
    changed: dict[str, datetime] = {}
    events: list[dict[str, Any]] = []
    for r in records:
        last[r.source_id] = r
        if r.event is not None:
            changed[r.source_id] = r.at
            events.append(
                {
                    "source_id": r.source_id,
                    "at": r.at,
                    "kind": r.event.kind,
                    "state": r.event.state.value,
                    "reason": r.event.reason,
                }
            )
    rows = {
        sid: {
            "b_id": sid,
            "b_health": r.health.state.value,
            "b_reason": r.health.reason,
            "b_failures": r.health.failures,
            "b_items": r.health.had_items,
            "b_titles": r.health.had_titles,
            "b_dates": r.health.had_dates,
        }
        for sid, r in last.items()
    }
    still = [row for sid, row in rows.items() if sid not in changed]
    moved = [rows[sid] | {"b_since": at} for sid, at in changed.items()]
    if still:
        await conn.execute(_HEALTH, still)
    if moved:
        await conn.execute(_HEALTH_SINCE, moved)
    if events:
        await conn.execute(_SOURCE_EVENT, events)
