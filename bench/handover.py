"""Worker mode: from a worker killed -9 mid-job to its job back in the queue, by its life lock.

Two `sentinel worker` processes on a PostgreSQL database of the bench's own; one source whose
page never answers (until the round ends), so its job is running when its worker is killed.
The sweep a scheduler runs every SWEEP_EVERY seconds (daemon/queued.py) runs here in the bench's
process, with `workers.stall_timeout` at ten minutes: the figure is the life lock's, not the
heartbeat's. Each round kills the worker running the job, times the kill to the job's retry
(its `attempts` going up), lets the page answer, and starts a new worker.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres); skipped without it and under --quick.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.harness import ROOT, write_config
from bench.workers import _answers, _database, _environ, _one, _stop

KILLS = 5
SOURCES = """\
sources:
  - {{id: slow, kind: rss, url: "http://127.0.0.1:{port}/slow.xml", allow_private: true}}
"""
WORKERS = "workers: {enabled: true, lock: source, stall_timeout: 600s, heartbeat: 1s}\n"


def run(*, quick: bool) -> dict[str, Any]:
    if quick:
        return {"skipped": "not under --quick (it needs PostgreSQL)"}
    if not _answers():
        return {"skipped": "no PostgreSQL answers on 127.0.0.1:5432"}
    release = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(60)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as tmp, _database() as url:
            config = write_config(Path(tmp) / "cfg", SOURCES.format(port=server.server_port))
            with (config / "sentinel.yaml").open("a", encoding="utf-8") as f:
                f.write(WORKERS)
            subprocess.run(
                [sys.executable, "-m", "sentinel", "db", "upgrade", "-c", str(config)],
                cwd=ROOT,
                env={**_environ(), "SENTINEL_DATABASE_URL": url},
                check=True,
                capture_output=True,
            )
            seconds = asyncio.run(_rounds(config, url, release))
    finally:
        release.set()
        server.shutdown()
    return {
        "kills": len(seconds),
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
        "stall_timeout_s": 600,
    }


def rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    label = "worker mode: a worker killed -9 mid-job → its job back in the queue"
    if "skipped" in r:
        return [(label, "skipped: " + r["skipped"], "")]
    return [
        (
            label,
            f"median {r['median_s']} s, max {r['max_s']} s ({r['kills']} kills)",
            f"by its life lock; stall_timeout {r['stall_timeout_s']} s not reached",
        )
    ]


async def _rounds(config: Path, url: str, release: threading.Event) -> list[float]:
    from sentinel.config import load_config
    from sentinel.daemon.queued import SWEEP_EVERY
    from sentinel.store import Store
    from sentinel.workers.enqueue import Enqueuer

    cfg = load_config(config)
    store = await Store.open(url)
    enqueuer = Enqueuer(url, lock="source", stall_timeout=cfg.settings.workers.stall_timeout)
    await enqueuer.open()

    async def sweep() -> None:  # as the schedulers do
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            await enqueuer.retry_dead(store)

    sweeper = asyncio.create_task(sweep())
    procs: list[subprocess.Popen[bytes]] = []
    seconds: list[float] = []
    try:
        for _ in range(KILLS):
            while sum(p.poll() is None for p in procs) < 2:
                procs.append(_worker(config, url))
            pids = ",".join(str(p.pid) for p in procs if p.poll() is None)
            await _until(url, f"SELECT count(*) FROM worker_node WHERE pid IN ({pids})", 2)
            release.clear()
            (job,) = await enqueuer.enqueue(cfg.sources.sources, duty_at=None)
            running = (
                "SELECT count(*) FROM procrastinate_jobs j JOIN worker_node n "
                f"ON n.worker_id = j.worker_id WHERE j.id = {job} AND j.status = 'doing'"
            )
            await _until(url, running, 1)
            await asyncio.sleep(0.5)  # its page asked for: the worker is mid-job
            pid = _one(url, running.replace("count(*)", "min(n.pid)"))
            [victim] = [p for p in procs if p.pid == pid]
            victim.kill()
            t0 = time.perf_counter()
            victim.wait(10)
            # put back: attempts 1 (or done already, by the other worker, and deleted)
            retried = f"SELECT coalesce(max(attempts), 1) FROM procrastinate_jobs WHERE id = {job}"
            await _until(url, retried, 1, poll=0.01)
            seconds.append(time.perf_counter() - t0)
            release.set()  # the rerun's page answers; the job ends
            left = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            await _until(url, left, 0)
    finally:
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        _stop(procs)
        await enqueuer.close()
        await store.close()
    return seconds


def _worker(config: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sentinel", "worker", "-c", str(config)],
        cwd=ROOT,
        env={**_environ(), "SENTINEL_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _until(url: str, sql: str, want: int, *, poll: float = 0.1) -> None:
    deadline = time.monotonic() + 120
    while _one(url, sql) != want:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the handover bench stalled: {sql}")
        await asyncio.sleep(poll)
