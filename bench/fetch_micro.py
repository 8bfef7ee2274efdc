"""Fetch micro-benchmark: N small pages from a LocalSite at C concurrent, per transport.

    .venv/bin/python bench/fetch_micro.py [--pages 2000] [--concurrency 50] [--runs 3] [--uvloop]

The site runs in a child process so `time.process_time()` here counts the client alone. Each
line is the median of the runs: pages/s (wall clock) and CPU ms per page in this process. The
`aiohttp (raw)` line is a bare aiohttp.ClientSession doing the same GETs: the floor under the
Fetcher's own cost (robots, politeness, address rule, capped reading, Page records).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

PAGE = (
    "<html><head><meta charset='utf-8'><title>明光论坛</title></head><body><ul>"
    + "".join(f"<li><a href='/t/{i}.html'>女山湖镇群众反映问题第{i}条</a></li>" for i in range(20))
    + "</ul></body></html>"
)


def serve(pages: int) -> None:
    """Child process: start the site, print its base URL, run until stdin closes."""
    from tests.servers import LocalSite

    with LocalSite() as site:
        site.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        for i in range(pages):
            site.serve(f"/p/{i}.html", PAGE)
        print(site.base, flush=True)
        sys.stdin.read()


async def run_fetcher(transport: str, urls: list[str], concurrency: int) -> tuple[float, float]:
    from sentinel.config.models import HttpSettings
    from sentinel.fetch import Fetcher, FetchPolicy

    settings = HttpSettings.model_validate({"transport": transport, "concurrency": concurrency})
    policy = FetchPolicy(source_id="bench", rate=1e9, concurrency=concurrency, allow_private=True)
    async with Fetcher(settings) as f:
        return await measure(lambda u: f.get(u, policy=policy), urls, concurrency)


async def run_raw_aiohttp(urls: list[str], concurrency: int) -> tuple[float, float]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(url: str) -> bytes:
            async with session.get(url) as response:
                return await response.read()

        return await measure(one, urls, concurrency)


async def measure(
    get: Callable[[str], Awaitable[object]], urls: list[str], concurrency: int
) -> tuple[float, float]:
    """(pages/s, CPU ms per page) for fetching `urls` with `concurrency` workers."""
    for url in urls[:100]:  # warm up: connections, robots.txt, caches
        await get(url)
    queue = list(reversed(urls))

    async def worker() -> None:
        while queue:
            await get(queue.pop())

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(urls) / wall, cpu * 1000 / len(urls)


def run(coro: Coroutine[None, None, tuple[float, float]], *, uvloop: bool) -> tuple[float, float]:
    if uvloop:
        import uvloop as uv

        return uv.run(coro)
    return asyncio.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.pages)
        return

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--pages", str(args.pages)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        base = child.stdout.readline().strip()
        urls = [f"{base}/p/{i}.html" for i in range(args.pages)]
        cases: list[tuple[str, Callable[[], Coroutine[None, None, tuple[float, float]]]]] = [
            ("aiohttp", lambda: run_fetcher("aiohttp", urls, args.concurrency)),
            ("httpx", lambda: run_fetcher("httpx", urls, args.concurrency)),
            ("aiohttp (raw)", lambda: run_raw_aiohttp(urls, args.concurrency)),
        ]
        loop = "uvloop" if args.uvloop else "asyncio"
        print(f"{args.pages} pages, {args.concurrency} concurrent, {loop}, median of {args.runs}")
        print(f"{'transport':<16}{'pages/s':>10}{'CPU ms/page':>14}")
        for name, case in cases:
            results = [run(case(), uvloop=args.uvloop) for _ in range(args.runs)]
            rate = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            print(f"{name:<16}{rate:>10.0f}{cpu:>14.3f}", flush=True)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
