"""Politeness across worker processes on PostgreSQL: three workers patrol the sources of two
hosts with `workers.lock: source`, so jobs of one host run at once on different workers. Each
host still sees its requests at least 1/rate apart, and its robots.txt fetched once."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

from tests.fixtures.sites import KEYWORDS, SENTINEL
from tests.integration.test_workers_process import (
    ITEMS,
    Procs,
    Sites,
    database,  # noqa: F401 (the fixture)
    one,
    wait_for,
)

pytestmark = pytest.mark.postgres

HOSTS = ("127.0.0.1", "127.0.0.2")
FEEDS_PER_HOST = 4
RATE = 2.0  # requests a second per host: a gap of 0.5 s, far above one request's own time
# Arrival times are taken by the site, after the sending process's own delays (waking from its
# wait, opening the connection), which shortened one gap by over 0.1 s at load 6-9. Without a
# pace shared by the workers, two of their requests to one host arrived 0.04 ms apart, so
# half the gap still tells the two apart.
JITTER = 0.5 / RATE


def sources_yaml(sites: Sites) -> str:
    lines = ["defaults:", f"  politeness: {{rate: {RATE}, concurrency: 4, robots: true}}"]
    lines.append("sources:")
    for h, host in enumerate(HOSTS):
        for i in range(FEEDS_PER_HOST):
            lines += [
                f"  - id: h{h}s{i}",
                "    kind: rss",
                f"    url: {sites.base(host)}/f/h{h}s{i}.xml",
                "    territorial: true",
                "    allow_private: true",
            ]
    return "\n".join(lines) + "\n"


def test_rate_and_robots_hold_across_workers(tmp_path: Path, database: str) -> None:  # noqa: F811
    sites = Sites().start()
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "sources.yaml").write_text(sources_yaml(sites), encoding="utf-8")
    (config / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    workers = "workers: {enabled: true, lock: source, concurrency: 4, heartbeat: 1s}\n"
    (config / "sentinel.yaml").write_text(SENTINEL + workers, encoding="utf-8")
    procs = Procs(config, database)
    try:
        assert procs.start("db", "upgrade").wait(60) == 0, procs.logs()
        for _ in range(3):
            procs.start("worker")
        wait_for(
            "three workers registered",
            lambda: one(database, "SELECT count(*) FROM worker_node") == 3,
            procs,
        )
        procs.start("run", "--tick", "2s", "--no-web")
        expected = len(HOSTS) * FEEDS_PER_HOST * ITEMS
        wait_for(
            "every post stored",
            lambda: one(database, "SELECT count(*) FROM post") == expected,
            procs,
        )
        # the jobs were spread over the workers, so the limits had several processes to hold
        busy = one(database, "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs")
    finally:
        procs.stop_all()
        sites.stop()
    assert all(p.returncode is not None for p in procs.all)

    by_host: dict[str, list[float]] = defaultdict(list)
    robots: dict[str, int] = defaultdict(int)
    for host, path, at in sites.arrivals:
        by_host[host].append(at)
        robots[host] += path == "/robots.txt"
    assert sorted(by_host) == sorted(HOSTS)
    assert dict(robots) == dict.fromkeys(HOSTS, 1), (robots, busy)
    for host, times in by_host.items():
        times.sort()
        gaps = [b - a for a, b in pairwise(times)]
        assert len(gaps) >= FEEDS_PER_HOST, (host, gaps)
        assert min(gaps) >= 1 / RATE - JITTER, (host, gaps)
