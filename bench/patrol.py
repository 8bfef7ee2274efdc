"""Patrol scenarios: end-to-end throughput, 10,000 mostly-unchanged sources, critical-post latency.

The site runs in its own process (bench/server.py), so CPU figures are the patrol's alone. Each
end-to-end run patrols the whole site into a fresh SQLite file: every post is new, every page is
parsed, matched and stored — the most work a patrol of this site can cost.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import free_port

from bench.harness import ROOT, bump, peak_rss_mb, serving, timed, write_config
from bench.site import Spec, build, build_many


@dataclass(frozen=True, kw_only=True)
class Run:
    wall: float
    cpu: float
    pages: int
    posts: int
    hits: int
    stories: int
    failed: int
    not_modified: int
    latencies: tuple[float, ...]  # seconds from fetching a critical post's page to its outbox row


async def _patrol(config: Path, db: Path) -> Run:
    from sentinel.config import load_config
    from sentinel.pipeline import Patrol

    cfg = load_config(config)
    async with await Patrol.open(cfg, database_url=f"sqlite+aiosqlite:///{db}") as patrol:
        wall, cpu = time.perf_counter(), time.process_time()
        report = await patrol.run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        latencies = tuple(
            (item.created_at - item.fetched_at).total_seconds()
            for item in await patrol.store.outbox()
        )
    return Run(
        wall=wall,
        cpu=cpu,
        pages=report.pages + report.details,
        posts=report.posts_new,
        hits=report.hits_new,
        stories=report.stories_new,
        failed=report.sources_failed,
        not_modified=report.not_modified,
        latencies=latencies,
    )


def end_to_end(*, quick: bool, runs: int = 3) -> dict[str, Any]:
    spec = Spec(forums=10, portals=4, feeds=10) if quick else Spec()
    runs = 1 if quick else runs
    with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as tmp:
        root = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        built = build(spec, root / "site", base)
        fast = write_config(root / "fast", built.sources_yaml)
        slow = write_config(
            root / "slow", built.sources_yaml, transport="httpx", engine="reference"
        )
        with serving(root / "site", port):
            results = [
                timed(lambda i=i: _patrol(fast, root / f"fast-{i}.db"))[0] for i in range(runs)
            ]
            baseline = timed(lambda: _patrol(slow, root / "slow.db"), uvloop=False)[0]
            # The usual patrol: every list page and feed changed (no 304), nothing new on them.
            bump(base, 1)
            repeat = timed(lambda: _patrol(fast, root / "fast-0.db"))[0]
    best = sorted(results, key=lambda r: r.wall)[len(results) // 2]  # the median run
    latencies = [x for r in results for x in r.latencies]

    def rate(r: Run) -> float:
        return r.pages / r.wall

    return {
        "site": {"pages": built.pages, "posts": built.posts, "relevant": built.relevant},
        "runs": runs,
        "pages": best.pages,
        "posts_new": best.posts,
        "hits_new": best.hits,
        "stories_new": best.stories,
        "failed": best.failed,
        "pages_per_s": round(rate(best), 1),
        "cpu_ms_per_page": round(best.cpu * 1000 / best.pages, 3),
        "baseline_pages_per_s": round(rate(baseline), 1),
        "baseline_cpu_ms_per_page": round(baseline.cpu * 1000 / baseline.pages, 3),
        "speedup_vs_baseline": round(rate(best) / rate(baseline), 2),
        "repeat_pages": repeat.pages,
        "repeat_posts_new": repeat.posts,
        "repeat_pages_per_s": round(rate(repeat), 1),
        "repeat_cpu_ms_per_page": round(repeat.cpu * 1000 / max(repeat.pages, 1), 3),
        "same_results_as_baseline": (best.posts, best.hits, best.stories)
        == (baseline.posts, baseline.hits, baseline.stories),
        "critical_latency_s": {
            "count": len(latencies),
            "median": round(statistics.median(latencies), 4) if latencies else None,
            "max": round(max(latencies), 4) if latencies else None,
        },
        "target_pages_per_s": 1000,
        "target_latency_s": 1.0,
    }


# ----------------------------------------------------------------- many sources


def many_sources(*, quick: bool) -> dict[str, Any]:
    """The site is generated and served from here; each patrol runs in a child process of its
    own, so each peak RSS is that patrol's alone (generating the site reads all of jieba's
    dictionary; the first patrol stores every post)."""
    count = 1000 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as tmp:
        root = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        built = build_many(count, root / "site", base)
        config = write_config(root / "cfg", built.sources_yaml)
        with serving(root / "site", port):
            first = _child("first", config, root)
            changed = bump(base, 20)
            second = _child("second", config, root)
    return {
        "sources": count,
        "config_load_s": second["config_load_s"],
        "first_patrol_s": first["patrol_s"],
        "first_posts_new": first["posts_new"],
        "first_peak_rss_mb": first["peak_rss_mb"],
        "changed": changed,
        "patrol_s": second["patrol_s"],
        "not_modified": second["not_modified"],
        "failed": second["failed"],
        "cpu_s": second["cpu_s"],
        "peak_rss_mb": second["peak_rss_mb"],
        "target_s": 60,
        "target_rss_mb": 300,
    }


def _child(name: str, config: Path, root: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.patrol", "many", str(config), str(root / "many.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{name} patrol of many sources failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _many(config: Path, db: Path) -> dict[str, Any]:
    from sentinel.config import load_config

    started = time.perf_counter()
    load_config(config)
    load_s = time.perf_counter() - started
    run = timed(lambda: _patrol(config, db))[0]
    return {
        "config_load_s": round(load_s, 2),
        "patrol_s": round(run.wall, 2),
        "posts_new": run.posts,
        "not_modified": run.not_modified,
        "failed": run.failed,
        "cpu_s": round(run.cpu, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["many"]:
        print(json.dumps(_many(Path(sys.argv[2]), Path(sys.argv[3]))))
