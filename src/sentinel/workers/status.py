"""What `sentinel workers status` and the desk's operator page show of worker mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.store import Store
from sentinel.store.nodes import queue_status


async def status_data(
    store: Store, *, stall_timeout: timedelta, config_digest: str | None = None
) -> dict[str, Any]:
    """The queue's status as JSON-ready data (`sentinel workers status`, the desk's page).
    `config_digest`: that of the configuration the workers should run (the files as they are,
    or the scheduler's); a worker running another one is marked stale."""
    s = await queue_status(store, stall_timeout=stall_timeout)
    now = datetime.now(UTC)
    return {
        "workers": [
            {
                "id": w.worker_id,
                "node": w.node,
                "pid": w.pid,
                "alive": w.alive,
                "last_heartbeat": w.last_heartbeat.isoformat(),
                "running": list(w.running),
                "config_digest": w.config_digest,
                # a worker reloads before its next job: an idle one stays stale until then
                "stale_config": _stale(w.config_digest, config_digest),
            }
            for w in s.workers
        ],
        "alive": sum(w.alive for w in s.workers),
        "config_digest": config_digest,
        "stale": sum(_stale(w.config_digest, config_digest) for w in s.workers if w.alive),
        "waiting": s.waiting,
        "running": s.running,
        "oldest_waiting_since": s.oldest_waiting_since.isoformat()
        if s.oldest_waiting_since
        else None,
        "oldest_waiting_seconds": round((now - s.oldest_waiting_since).total_seconds(), 1)
        if s.oldest_waiting_since
        else None,
        "failed_last_hour": s.failed_last_hour,
        "scheduler": s.leader,
    }


def _stale(running: str | None, wanted: str | None) -> bool:
    # unknown either side (a worker of an older release, no reference): not judged
    return running is not None and wanted is not None and running != wanted


def status_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"workers alive: {data['alive']} of {len(data['workers'])}; "
        f"jobs waiting: {data['waiting']}, running: {data['running']}, "
        f"failed in the last hour: {data['failed_last_hour']}",
        "oldest waiting job: "
        + (
            f"queued {data['oldest_waiting_seconds']} s ago ({data['oldest_waiting_since']})"
            if data["oldest_waiting_since"]
            else "none"
        ),
        f"enqueuing scheduler: {data['scheduler'] or 'none right now (between ticks)'}",
        f"configuration: {data['config_digest'] or '?'}"
        + (f"; {data['stale']} alive workers run another (stale)" if data["stale"] else ""),
    ]
    for w in data["workers"]:
        state = "alive" if w["alive"] else "DEAD (no heartbeat)"
        running = ", ".join(w["running"]) or "idle"
        config = (w["config_digest"] or "?") + (" STALE" if w["stale_config"] else "")
        lines.append(
            f"  worker {w['id']:>4}  {w['node'] or '?'}:{w['pid'] or '?'}  {state}  "
            f"config {config}  last heartbeat {w['last_heartbeat']}  running: {running}"
        )
    return lines
