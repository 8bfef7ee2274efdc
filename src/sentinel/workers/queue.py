"""The patrol queue: procrastinate in the store's PostgreSQL database.

One task, `sentinel.patrol`, takes a batch of source ids: a job per source cost more than the
patrol it ran (procrastinate's fetch and finish statements, a notification to every worker,
the source's health and validators read one by one), so the due sources of a tick go out in
jobs of up to BATCH sources, and a job reads its sources' state in bulk.

A job's lock keeps what a lock per source or per host gave: every source (`workers.lock:
source`) or every host (`workers.lock: host`, the default) falls in one of BUCKETS lanes by a
stable hash, and a job holds the lock of its lane, `source-lane:<n>` or `host-lane:<n>`. The jobs
of one lane run one at a time across every worker, so:
- a source is patrolled by one job at a time (it is always in the same lane);
- with `lock: host`, a host's sources are patrolled by one process at a time, so the host never
  sees more requests at once than one process's politeness allows. Hosts sharing a lane share
  its turn; a job runs its sources at once, each host within its own politeness.
Either way each host's rate holds across workers (every request claims the host's next slot in
PostgreSQL, store/hostshare.py), and its robots.txt is fetched once for all of them.

Each job carries the digest of the scheduler's configuration (`config_digest`, Config.digest):
a worker running another one reloads its files before the job (workers/live.py). Jobs queued
before that carry none and run with the worker's configuration as it is.

No queueing lock: a source already waiting in a job is not enqueued again (the enqueuer reads
them first, and one scheduler enqueues at a time), and a lane's later jobs wait their turn.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Job
from procrastinate.types import JSONValue
from sqlalchemy.engine import make_url

from sentinel.config import Config, Source
from sentinel.errors import ConfigError
from sentinel.store import database_url

QUEUE = "patrol"
TASK = "sentinel.patrol"
# After enqueuing this many sources at once the queue table's statistics are refreshed: planned
# on the stale ones of a near-empty table, procrastinate's fetch_job took ~1.3 s per job with
# 10,000 jobs waiting (it checks each candidate's lock); after ANALYZE, ~1 ms. Autovacuum would
# get there only a minute or more later. (procrastinate issue #1242 is about the same query.)
ANALYZE_AT = 500
# Sources per job at most: what a killed worker's job does again, and how long one job runs.
BATCH = 100
# Lanes of the job locks: jobs running at once in the whole deployment at most (a tick's due
# sources go out in about as many jobs, so a small tick still spreads over the workers).
BUCKETS = 256


def conninfo(url: str) -> str:
    """The libpq URL psycopg wants for the store's SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgres(cfg: Config, url: str | None = None) -> str:
    """The database URL; a ConfigError naming the file when it is not PostgreSQL."""
    url = url or database_url(cfg.settings)
    if not make_url(url).drivername.startswith("postgresql"):
        raise ConfigError(
            f"{cfg.dir / 'sentinel.yaml'}: worker mode needs PostgreSQL (set database_url or "
            f"SENTINEL_DATABASE_URL to postgresql://…); the database is {make_url(url).drivername}"
        )
    return url


def queue_app(url: str, *, pool_size: int = 4) -> App:
    """A procrastinate App on the store's database (open it with `async with app.open_async()`)."""
    connector = PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=pool_size)
    return App(connector=connector)


def register(app: App, patrol: Callable[..., Any]) -> None:
    """The patrol task, run by `patrol(source_ids=[…], duty_at=…, config_digest=…)` (workers
    register theirs)."""
    app.task(name=TASK, queue=QUEUE, pass_context=True)(patrol)


def source_host(source: Source) -> str:
    urls = source.list_urls or [str(source.url)]
    return urlsplit(urls[0]).netloc.lower()


def lane(source: Source, lock: str) -> str:
    """The lock of the jobs that may patrol `source` (see the module docstring)."""
    key = source_host(source) if lock == "host" else source.id
    return f"{lock}-lane:{zlib.crc32(key.encode()) % BUCKETS}"


def patrol_jobs(
    sources: Sequence[Source],
    *,
    duty_at: datetime | None,
    lock: str,
    config_digest: str | None = None,
) -> list[Job]:
    """The jobs patrolling `sources`: one per lane, or more of up to BATCH sources each.
    `config_digest`: the digest of the configuration they were enqueued under."""
    lanes: dict[str, list[str]] = defaultdict(list)
    for s in sources:
        lanes[lane(s, lock)].append(s.id)
    when = duty_at.isoformat() if duty_at is not None else None
    return [
        Job(
            id=None,
            queue=QUEUE,
            task_name=TASK,
            lock=name,
            queueing_lock=None,
            task_kwargs={
                "source_ids": list[JSONValue](ids[i : i + BATCH]),
                "duty_at": when,
                "config_digest": config_digest,
            },
        )
        for name, ids in lanes.items()
        for i in range(0, len(ids), BATCH)
    ]


def job_sources(kwargs: dict[str, Any]) -> list[str]:
    """The source ids a job patrols (a job queued before batches carries one, `source_id`)."""
    ids = kwargs.get("source_ids")
    if ids is None:
        one = kwargs.get("source_id")
        return [str(one)] if one is not None else []
    return [str(i) for i in ids]


async def waiting_sources(app: App) -> set[str]:
    """Sources in a job waiting to run (todo): not enqueued again."""
    rows = await app.connector.execute_query_all_async(
        query="SELECT jsonb_array_elements_text("  # type: ignore[arg-type]
        "coalesce(args->'source_ids', jsonb_build_array(args->'source_id'))) AS id "
        "FROM procrastinate_jobs WHERE status = 'todo' AND task_name = %(task)s",
        task=TASK,
    )
    return {str(r["id"]) for r in rows}


async def enqueue(
    app: App,
    sources: Sequence[Source],
    *,
    duty_at: datetime | None,
    lock: str,
    config_digest: str | None = None,
) -> list[Job]:
    """Jobs for the sources not already waiting; the jobs (with their ids)."""
    waiting = await waiting_sources(app)
    todo = [s for s in sources if s.id not in waiting]
    jobs = patrol_jobs(todo, duty_at=duty_at, lock=lock, config_digest=config_digest)
    if not jobs:
        return []
    done = await app.job_manager.batch_defer_jobs_async(jobs)
    if sum(len(job_sources(j.task_kwargs)) for j in jobs) >= ANALYZE_AT:
        await app.connector.execute_query_async(query="ANALYZE procrastinate_jobs")
    return done
