"""Worker mode: one patrol of the many-sources site by 1, 2 and 4 `sentinel worker` processes,
against the same patrol in one process, on a PostgreSQL database of its own.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, as CI's); skipped with a message without it,
and under --quick (which must stay fast and need nothing). The site is bench/site.py's
10,000 forums spread over four loopback hosts. A first patrol in one process stores every post;
each measured patrol follows a bump of every 20th page (500 changed, the rest 304), as in the
`many` scenario, so each one does the same work: in one process first, then by the workers,
with every source enqueued as a scheduler's tick does, in batches (`workers.lock: source`:
four hosts would make four lanes under the default per-host lock, four jobs at once).

CPU per source-patrol counts the patrol's processes (the workers, or the one process) and the
enqueuing; PostgreSQL's and the site's own CPU are not counted in either. The queue's overhead
per source-patrol is the workers' CPU per source less the one process's. The load average
before and after each measured patrol says how busy the machine was (the wall times depend on
it; the CPU figures much less).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tests.servers import free_port

from bench.harness import ROOT, bump, cpu_seconds, serving, write_config
from bench.site import build_many

T = TypeVar("T")

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
HOSTS = tuple(f"127.0.0.{n}" for n in range(1, 5))
COUNT = 10_000
WORKERS = (1, 2, 4)
CONCURRENCY = 8  # jobs per worker: the default
WARM = 200  # sources patrolled before measuring, so that each process has loaded its index
SETTINGS = f"workers: {{enabled: true, lock: source, concurrency: {CONCURRENCY}}}\n"


def run(*, quick: bool) -> dict[str, Any]:
    if quick:
        return {"skipped": "not under --quick (it needs PostgreSQL and takes minutes)"}
    if not _answers():
        return {"skipped": "no PostgreSQL answers on 127.0.0.1:5432"}
    with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as tmp, _database() as url:
        root = Path(tmp)
        port = free_port()
        bases = [f"http://{host}:{port}" for host in HOSTS]
        built = build_many(COUNT, root / "site", bases[0])
        config = write_config(root / "cfg", _spread(built.sources_yaml, bases))
        with (config / "sentinel.yaml").open("a", encoding="utf-8") as f:
            f.write(SETTINGS)
        with serving(root / "site", port, HOSTS):
            first = _run(_in_process(config, url, then=None))
            alone = _run(_in_process(config, url, then=lambda: bump(bases[0], 20)))
            runs = {}
            for n in WORKERS:
                runs[n] = _by_workers(n, config, url, root, then=lambda: bump(bases[0], 20))
            changed = bump(bases[0], 20)
        posts = _one(url, "SELECT count(*) FROM post")
    cpu_alone = alone["cpu_s"] / COUNT * 1000
    out: dict[str, Any] = {
        "sources": COUNT,
        "changed": changed,
        "first_patrol_s": first["wall_s"],
        "posts": posts,
        "site_posts": built.posts,
        "in_process_s": alone["wall_s"],
        "in_process_cpu_ms_per_source": round(cpu_alone, 3),
        "in_process_failed": alone["failed"],
        "in_process_load": [alone["load_before"], alone["load_after"]],
        "target_s": 60,
        "target_overhead_ms": 1.0,
    }
    out["problems"] = [
        f"workers: {what}"
        for what, wrong in (
            (f"{posts} posts stored of the site's {built.posts}", posts != built.posts),
            (f"{alone['failed']} sources failed in one process", alone["failed"]),
            *(
                (f"{r['failed_jobs']} jobs failed with {n}", r["failed_jobs"])
                for n, r in runs.items()
            ),
        )
        if wrong
    ]
    for n, r in runs.items():
        out[f"workers_{n}"] = {
            **r,
            "sources_per_s": round(COUNT / r["wall_s"], 1),
            "overhead_cpu_ms_per_source": round(r["cpu_ms_per_source"] - cpu_alone, 3),
            "cpu_vs_in_process": round(r["cpu_ms_per_source"] / cpu_alone, 2),
        }
    return out


def rows(r: dict[str, Any], met: Callable[[bool], str]) -> list[tuple[str, str, str]]:
    if "skipped" in r:
        return [("worker mode (PostgreSQL)", "skipped: " + r["skipped"], "")]
    label = f"patrol of {r['sources']:,} sources by workers, {r['changed']} changed (rest 304)"
    out = [
        (
            label,
            f"one process {r['in_process_s']} s, "
            f"{r['in_process_cpu_ms_per_source']:.2f} ms CPU/source",
            f"(PostgreSQL; first patrol {r['first_patrol_s']} s; "
            f"load {r['in_process_load'][0]}→{r['in_process_load'][1]})",
        )
    ]
    for n in WORKERS:
        w = r[f"workers_{n}"]
        ok = w["wall_s"] < r["target_s"]
        out.append(
            (
                f"  {n} worker process{'es' if n > 1 else ''} × {CONCURRENCY} at once",
                f"{w['wall_s']} s, {w['sources_per_s']:.0f} sources/s, "
                f"{w['cpu_ms_per_source']:.2f} ms CPU/source (× {w['cpu_vs_in_process']})",
                met(ok)
                + f" (< 60 s; load {w['load_before']}→{w['load_after']}); queue overhead "
                + f"{w['overhead_cpu_ms_per_source']:.2f} ms CPU/source "
                + met(w["overhead_cpu_ms_per_source"] < r["target_overhead_ms"])
                + f" (< 1 ms); {w['jobs']} jobs, failed {w['failed_jobs']}",
            )
        )
    return out


# -- one patrol in one process, and by workers ------------------------------------------------


async def _in_process(
    config: Path, url: str, *, then: Callable[[], object] | None
) -> dict[str, Any]:
    """One patrol; with `then`, a warm-up patrol of WARM sources first (the story index loaded,
    as in a daemon that has run before), then `then()`, then the measured patrol."""
    from sentinel.config import load_config
    from sentinel.pipeline import Patrol

    cfg = load_config(config)
    async with await Patrol.open(cfg, database_url=url) as patrol:
        if then is not None:
            await patrol.run(cfg.sources.sources[:WARM])
            then()
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        report = await patrol.run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "wall_s": round(wall, 2),
        "cpu_s": cpu,
        "failed": report.sources_failed,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _by_workers(
    n: int, config: Path, url: str, root: Path, *, then: Callable[[], object]
) -> dict[str, Any]:
    """Workers started and warmed up on WARM sources (each loads the story index at its first
    job, once in its life), then `then()`, then every source enqueued and measured."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(n):
            log = open(root / f"worker-{n}-{i}.log", "wb")  # noqa: SIM115
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "sentinel", "worker", "-c", str(config)],
                    cwd=ROOT,
                    env={**_environ(), "SENTINEL_DATABASE_URL": url},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()
        pids = ", ".join(str(p.pid) for p in procs)
        registered = f"SELECT count(*) FROM worker_node WHERE pid IN ({pids})"
        _wait(lambda: _one(url, registered) == n, procs, root, 120)
        _run(_enqueue(config, url, first=WARM))
        _wait(lambda: _one(url, _BUSY) == 0, procs, root, 600, poll=0.05)
        then()
        load = os.getloadavg()[0]
        before = sum(cpu_seconds(p.pid) for p in procs)
        wall = time.perf_counter()
        enqueue_cpu, jobs = _run(_enqueue(config, url))
        _wait(
            lambda: (
                _one(
                    url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                )
                == 0
            ),
            procs,
            root,
            600,
            poll=0.05,
        )
        wall = time.perf_counter() - wall
        cpu = sum(cpu_seconds(p.pid) for p in procs) - before + enqueue_cpu
        failed = _one(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
    finally:
        _stop(procs)
    return {
        "wall_s": round(wall, 2),
        "jobs": jobs,
        "cpu_ms_per_source": round(cpu / COUNT * 1000, 3),
        "enqueue_cpu_ms_per_source": round(enqueue_cpu / COUNT * 1000, 3),
        "failed_jobs": failed,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


_BUSY = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"


async def _enqueue(config: Path, url: str, *, first: int | None = None) -> tuple[float, int]:
    """Every source enqueued as a scheduler's tick does; the CPU it took and the jobs."""
    from datetime import timedelta

    from sentinel.config import load_config
    from sentinel.workers.enqueue import Enqueuer
    from sentinel.workers.queue import enqueue, job_sources

    sources = load_config(config).sources.sources[:first]
    enqueuer = await Enqueuer(url, lock="source", stall_timeout=timedelta(minutes=1)).open()
    try:
        cpu = time.process_time()
        jobs = await enqueue(enqueuer.app, sources, duty_at=None, lock="source")
        cpu = time.process_time() - cpu
    finally:
        await enqueuer.close()
    enqueued = sum(len(job_sources(j.task_kwargs)) for j in jobs)
    assert enqueued == len(sources), (enqueued, len(sources))
    return cpu, len(jobs)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """On uvloop, as `sentinel patrol`, `sentinel run` and `sentinel worker` run."""
    from sentinel.cli_common import run

    return run(coro)


def _wait(
    check: Callable[[], bool],
    procs: list[subprocess.Popen[bytes]],
    root: Path,
    within: float,
    *,
    poll: float = 0.2,
) -> None:
    deadline = time.monotonic() + within
    while not check():
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in root.glob("*.log"))
            raise RuntimeError(f"workers stopped or stalled:\n{logs}")
        time.sleep(poll)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def _environ() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _spread(sources_yaml: str, bases: list[str]) -> str:
    """Source i on bases[i % 4]: the site answers the same pages on every host."""
    out, i = [], 0
    for line in sources_yaml.splitlines(keepends=True):
        if line.startswith("  - {id: m-"):
            line = line.replace(bases[0], bases[i % len(bases)])
            i += 1
        out.append(line)
    return "".join(out)


# -- the database -------------------------------------------------------------------------------


def _answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A database of the bench's own, dropped at the end whatever happens."""
    import psycopg

    name = f"sentinel_bench_{secrets.token_hex(6)}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one(url: str, sql: str) -> Any:
    import psycopg

    with psycopg.connect(url.replace("+asyncpg", ""), autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None
