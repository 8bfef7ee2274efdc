"""What `sentinel workers status` and the desk's operator page show of worker mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.store import Store
from sentinel.store.nodes import queue_status


async def status_data(store: Store, *, stall_timeout: timedelta) -> dict[str, Any]:
    """The queue's status as JSON-ready data (`sentinel workers status`, the desk's page)."""
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
            }
            for w in s.workers
        ],
        "alive": sum(w.alive for w in s.workers),
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
    ]
    for w in data["workers"]:
        state = "alive" if w["alive"] else "DEAD (no heartbeat)"
        running = ", ".join(w["running"]) or "idle"
        lines.append(
            f"  worker {w['id']:>4}  {w['node'] or '?'}:{w['pid'] or '?'}  {state}  "
            f"last heartbeat {w['last_heartbeat']}  running: {running}"
        )
    return lines
