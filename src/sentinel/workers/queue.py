"""The patrol queue: procrastinate in the store's PostgreSQL database.

One task, `sentinel.patrol`, takes a source id. Its jobs carry two locks:
- queueing lock `source:<id>`: at most one job of a source waits in the queue, so a slow
  patrol never piles up jobs behind it;
- lock `host:<host>` (`workers.lock: host`, the default): the jobs of one host run one at a time
  across every worker, so a host never sees more requests at once than one process's
  politeness allows. As a source's list pages are on its host, one patrol of a source at a time
  follows. `workers.lock: source` locks the source only: more jobs of one host at once.
Either way each host's rate holds across workers (every request claims the host's next slot in
PostgreSQL, store/hostshare.py), and its robots.txt is fetched once for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Job
from sqlalchemy.engine import make_url

from sentinel.config import Config, Source
from sentinel.errors import ConfigError
from sentinel.store import database_url

QUEUE = "patrol"
TASK = "sentinel.patrol"
# After enqueuing this many jobs at once the queue table's statistics are refreshed: planned on
# the stale ones of a near-empty table, procrastinate's fetch_job takes ~1.3 s per job with
# 10,000 waiting (it checks each candidate's lock); after ANALYZE, ~1 ms. Autovacuum would get
# there only a minute or more later. (procrastinate issue #1242 is about the same query.)
ANALYZE_AT = 500


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
    """The patrol task, run by `patrol(source_id=…, duty_at=…)` (workers register theirs)."""
    app.task(name=TASK, queue=QUEUE, pass_context=True)(patrol)


def source_host(source: Source) -> str:
    urls = source.list_urls or [str(source.url)]
    return urlsplit(urls[0]).netloc.lower()


def patrol_job(source: Source, *, duty_at: datetime | None, lock: str) -> Job:
    """The job patrolling `source` (see the module docstring for its locks)."""
    return Job(
        id=None,
        queue=QUEUE,
        task_name=TASK,
        lock=f"host:{source_host(source)}" if lock == "host" else f"source:{source.id}",
        queueing_lock=f"source:{source.id}",
        task_kwargs={
            "source_id": source.id,
            "duty_at": duty_at.isoformat() if duty_at is not None else None,
        },
    )


async def waiting_sources(app: App) -> set[str]:
    """Sources with a job waiting (todo): enqueueing them again would break the queueing lock."""
    rows = await app.connector.execute_query_all_async(
        query="SELECT queueing_lock FROM procrastinate_jobs "  # type: ignore[arg-type]
        "WHERE status = 'todo' AND queueing_lock LIKE 'source:%%'"
    )
    return {str(r["queueing_lock"]).removeprefix("source:") for r in rows}


async def enqueue(
    app: App, sources: Sequence[Source], *, duty_at: datetime | None, lock: str
) -> list[int]:
    """One job per source not already waiting; their ids."""
    waiting = await waiting_sources(app)
    jobs = [patrol_job(s, duty_at=duty_at, lock=lock) for s in sources if s.id not in waiting]
    if not jobs:
        return []
    done = await app.job_manager.batch_defer_jobs_async(jobs)
    if len(jobs) >= ANALYZE_AT:
        await app.connector.execute_query_async(query="ANALYZE procrastinate_jobs")
    return [j.id for j in done if j.id is not None]
