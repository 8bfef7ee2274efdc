"""Patrol scenarios: end-to-end throughput, 10,000 mostly-unchanged sources, critical-post latency.

The site runs in its own process (bench/server.py), so CPU figures are the patrol's alone. Each
end-to-end run patrols the whole site into a fresh SQLite file: every post is new, every page is
parsed, matched and stored — the most work a patrol of this site can cost.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import free_port

from bench.harness import ROOT, bump, cpu_seconds, peak_rss_mb, serving, timed, write_config
from bench.site import Spec, build, build_many


@dataclass(frozen=True, kw_only=True)
class Run:
    wall: float
    cpu: float  # seconds, the patrol's process and its scouts together
    scouts_cpu: float
    pages: int
    posts: int
    hits: int
    stories: int
    failed: int
    not_modified: int
    latencies: tuple[float, ...]  # seconds from fetching a critical post's page to its outbox row


async def _patrol(config: Path, db: Path) -> Run:
    return (await _patrols(config, db))[0]


async def _patrols(
    config: Path, db: Path, *, then: Callable[[], object] | None = None, reader: Any = None
) -> list[Run]:
    """One patrol, and with `then` a second one after calling it, by the same open Patrol
    (as the daemon keeps it: its scouts stay up between patrols). A `reader` (a ScoutPool)
    handed in is used and left running."""
    from sentinel.config import load_config
    from sentinel.pipeline import Patrol
    from sentinel.read import ScoutPool

    cfg = load_config(config)
    runs: list[Run] = []
    url = f"sqlite+aiosqlite:///{db}"
    async with await Patrol.open(cfg, database_url=url, reader=reader) as patrol:
        scouts = patrol.reader if isinstance(patrol.reader, ScoutPool) else None
        if scouts is not None:
            await scouts.start()  # their start-up is not patrolling; their reads are counted
        for _ in range(1 if then is None else 2):
            if runs and then is not None:
                then()
            runs.append(await _measure(patrol, scouts.pids if scouts is not None else []))
    return runs


async def _measure(patrol: Any, pids: list[int]) -> Run:
    outbox = len(await patrol.store.outbox())
    # The previous run's patrol (its index, pages, sessions) is garbage by now: collected here,
    # not charged to whichever mode happens to run next.
    gc.collect()
    before = sum(cpu_seconds(pid) for pid in pids)
    wall, cpu = time.perf_counter(), time.process_time()
    report = await patrol.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scouts_cpu = sum(cpu_seconds(pid) for pid in pids) - before
    latencies = tuple(
        (item.created_at - item.fetched_at).total_seconds()
        for item in (await patrol.store.outbox())[outbox:]
    )
    return Run(
        wall=wall,
        cpu=cpu + scouts_cpu,
        scouts_cpu=scouts_cpu,
        pages=report.pages + report.details,
        posts=report.posts_new,
        hits=report.hits_new,
        stories=report.stories_new,
        failed=report.sources_failed,
        not_modified=report.not_modified,
        latencies=latencies,
    )


# A county's sources sit on many hosts; the site is served on several loopback addresses so
# that scouts (one host always in one scout) share the work as they would on the internet.
HOSTS = tuple(f"127.0.0.{n}" for n in range(1, 5))
SCOUTS = 2  # on this 2-core machine: the patrol's process, two scouts, and the site's server


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def _latency(runs: list[Run]) -> dict[str, Any]:
    latencies = [x for r in runs for x in r.latencies]
    return {
        "count": len(latencies),
        "median": round(statistics.median(latencies), 4) if latencies else None,
        "max": round(max(latencies), 4) if latencies else None,
    }


def end_to_end(*, quick: bool, runs: int = 3) -> dict[str, Any]:
    spec = Spec(forums=10, portals=4, feeds=10) if quick else Spec()
    runs = 1 if quick else runs
    with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as tmp:
        root = Path(tmp)
        port = free_port()
        bases = [f"http://{host}:{port}" for host in HOSTS]
        built = build(spec, root / "site", bases)
        fast = write_config(root / "fast", built.sources_yaml)
        # the same without the event step (near-copies only): what the step costs a patrol
        plain = write_config(root / "plain", built.sources_yaml, events=False)
        scouted = write_config(root / "scouts", built.sources_yaml, scouts=SCOUTS)
        slow = write_config(
            root / "slow", built.sources_yaml, transport="httpx", engine="reference"
        )
        with serving(root / "site", port, HOSTS) as server:
            # one process and scouts in turn, so a slow spell of the machine hits both alike
            results: list[Run] = []
            without_events: list[Run] = []
            with_scouts: list[Run] = []
            site_cpu, site_pages = 0.0, 0  # what the site's server took of the same cores

            # The last run of each is followed by the usual patrol, by the same open Patrol:
            # every list page and feed changed (no 304), nothing new on them.
            def again() -> None:
                bump(bases[0], 1)

            async def rounds() -> tuple[list[Run], list[Run]]:
                nonlocal site_cpu, site_pages
                # One set of scouts for every run, as a daemon keeps its scouts between
                # patrols; each run still patrols into an empty store of its own.
                from sentinel.config import load_config
                from sentinel.read import ScoutPool

                http = load_config(scouted).settings.http
                pool = ScoutPool(http, http.scouts)
                await pool.start()
                try:
                    # The process's first patrol pays for lazy imports and loading the
                    # segmenter's dictionaries. Unmeasured here, so that neither mode carries it:
                    # it fell on the event step's first round and biased its median.
                    await _patrol(fast, root / "warm.db")
                    for i in range(runs):
                        then = again if i == runs - 1 else None
                        if i % 2:  # the event step off first in every other round
                            without_events.append(await _patrol(plain, root / f"p{i}.db"))
                        before = cpu_seconds(server)
                        one = await _patrols(fast, root / f"f{i}.db", then=then)
                        site_cpu += cpu_seconds(server) - before
                        site_pages += sum(r.pages for r in one)
                        results.append(one[0])
                        if not i % 2:
                            without_events.append(await _patrol(plain, root / f"p{i}.db"))
                        two = await _patrols(scouted, root / f"s{i}.db", then=then, reader=pool)
                        with_scouts.append(two[0])
                finally:
                    await pool.aclose()
                return one, two

            last_one, last_two = timed(rounds)[0]
            repeat, scouts_repeat = last_one[1], last_two[1]
            baseline = timed(lambda: _patrol(slow, root / "slow.db"), uvloop=False)[0]
    best = _median(results)
    plain_run = _median(without_events)
    scout = _median(with_scouts)

    def rate(r: Run) -> float:
        return r.pages / r.wall

    def outcome(r: Run) -> tuple[int, int]:
        return r.posts, r.hits

    def same(a: Run, b: Run) -> bool:
        # The same posts and hits; stories may differ by a few: which of two posts of one event
        # arrives first decides whether a third one joins them, and the modes read pages in
        # different orders (the event step compares with stories, not with every post).
        return outcome(a) == outcome(b) and abs(a.stories - b.stories) <= max(2, a.stories // 50)

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
        "same_results_as_baseline": same(best, baseline),
        "stories_by_mode": {
            "one_process": best.stories,
            "scouts": scout.stories,
            "baseline": baseline.stories,
        },
        "events_off_pages_per_s": round(rate(plain_run), 1),
        "events_off_cpu_ms_per_page": round(plain_run.cpu * 1000 / plain_run.pages, 3),
        # pages/s with the event step over pages/s without it, medians of the same rounds
        "events_on_vs_off": round(rate(best) / rate(plain_run), 3),
        # the same by CPU, which a busy machine disturbs less than wall time: the median CPU per
        # page without the step over the median with it, over every round
        "events_cpu_on_vs_off": round(
            statistics.median(r.cpu / r.pages for r in without_events)
            / statistics.median(r.cpu / r.pages for r in results),
            3,
        ),
        "events_off_stories_new": plain_run.stories,
        "events_off_posts_new": plain_run.posts,
        "critical_latency_s": _latency(results),
        "site_server_cpu_ms_per_page": round(site_cpu * 1000 / site_pages, 3),
        "scouts": SCOUTS,
        "scouts_pages_per_s": round(rate(scout), 1),
        "scouts_cpu_ms_per_page": round(scout.cpu * 1000 / scout.pages, 3),
        "scouts_patrol_cpu_ms_per_page": round(
            (scout.cpu - scout.scouts_cpu) * 1000 / scout.pages, 3
        ),
        "scouts_speedup": round(rate(scout) / rate(best), 2),
        "scouts_repeat_pages_per_s": round(rate(scouts_repeat), 1),
        "scouts_repeat_cpu_ms_per_page": round(
            scouts_repeat.cpu * 1000 / max(scouts_repeat.pages, 1), 3
        ),
        "scouts_same_results": same(scout, best),
        "scouts_critical_latency_s": _latency(with_scouts),
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
