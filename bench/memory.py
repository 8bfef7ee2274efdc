"""Memory over many pages: what a long-running daemon keeps of the pages it has read.

    python -m bench.memory [--pages 3000] [--long 50]

Extracts `--pages` distinct list pages of 100 items in this process, as a patrol reads pages
under 256 KB, each with `--long` links of 5,000 characters (a broken site's, or a hostile
one's) among ordinary ones, all distinct, and prints the resident memory (VmRSS) every tenth
of the way. What extraction keeps between pages (its caches) is bounded, so the figures rise
while the caches fill and then stay flat; a cache keyed by whole links grew without end
(`python -m fuzz` reached 2 GB).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from sentinel.config.models import Selectors, Source  # noqa: E402
from sentinel.extract import extract_list  # noqa: E402
from sentinel.fetch.page import Page  # noqa: E402

ITEMS = 100
LONG = 5_000
BASE = "http://bbs.example.cn/forum-2-1.html"
SOURCE = Source(
    id="f", kind="html", url=BASE, selectors=Selectors(item="li", title="a", replies="em")
)


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _page(n: int, long: int) -> Page:
    rows = []
    for i in range(ITEMS):
        link = f"/thread-{n}-{i}-1.html"
        if i < long:
            link += "?p=" + f"{n:08d}{i:04d}" * (LONG // 12)
        rows.append(f"<li><a href='{link}'>明光市第{n}页第{i}条</a><em>{i}</em></li>")
    body = "<html><body><ul>" + "".join(rows) + "</ul></body></html>"
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return Page(
        url=BASE, requested_url=BASE, status=200, content_type="text/html",
        body=body.encode(), fetched_at=now,
    )  # fmt: skip


def run(pages: int, long: int) -> list[tuple[int, float]]:
    """(pages read, VmRSS MB) every tenth of the way."""
    gc.collect()
    marks = [(0, _rss_mb())]
    step = max(1, pages // 10)
    for n in range(1, pages + 1):
        extract_list(SOURCE, _page(n, long))
        if n % step == 0:
            gc.collect()
            marks.append((n, _rss_mb()))
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--long", type=int, default=50, help="5,000-character links per page")
    args = parser.parse_args(argv)
    started = time.process_time()
    marks = run(args.pages, args.long)
    cpu = time.process_time() - started
    print(
        f"{args.pages:,} list pages of {ITEMS} items, {args.long} links of {LONG:,} characters "
        f"on each, all distinct ({cpu:.1f} s of CPU)"
    )
    for n, mb in marks:
        print(f"  after {n:>6,} pages: {mb:6.0f} MB resident")
    half = marks[len(marks) // 2][1]
    print(f"second half of the run: {marks[-1][1] - half:+.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
