"""`python -m fuzz [--minutes 10] [--corpus DIR] [--config DIR] [--findings DIR] [--seed N]
[--only TARGET ...] [--slow 2] [--memory 300]`

Runs until the time is up, then prints what it tried: inputs per target, the slowest input,
the largest memory peak of one call (this process's, or the guarded child's for a page over
256 KB), and the findings saved. Exits 1 when it saved any.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

SLOW = 2.0  # seconds of CPU one input may take
HARD_STOP = 30.0  # seconds of CPU after which an input is interrupted
MEMORY = 300 * 1024 * 1024  # bytes of peak growth one input may cause
PAGE_CAP = 1_000_000  # bytes a mutated page may grow to
CONFIG_CAP = 200_000


class Interrupted(BaseException):
    """An input ran past HARD_STOP (a BaseException: library code catching Exception must
    not swallow it)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


def _seeds(corpus: Path | None, shipped: Path) -> dict[str, list[bytes]]:
    from tests.fixtures.sites import API_ITEMS, BIG5_PAGE, feed, forum_page, portal_list

    seeds: dict[str, list[bytes]] = {
        "page": [forum_page(), portal_list().encode(), BIG5_PAGE.encode("big5")],
        "feed": [feed("http://feeds.example.cn").encode()],
        "json": [json.dumps({"data": {"list": API_ITEMS["data"]["list"]}}).encode()],
        "config": [
            name.encode() + b"\n" + (shipped / name).read_bytes()
            for name in ("sources.yaml", "keywords.yaml", "sentinel.yaml")
        ],
    }
    if corpus is not None:
        for path in sorted(corpus.rglob("*")):
            if not path.is_file() or path.name in ("MANIFEST.tsv", "README.md"):
                continue
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            kind = {".xml": "feed", ".rss": "feed", ".atom": "feed", ".json": "json"}.get(
                path.suffix.removesuffix(".gz") if path.suffix != ".gz" else Path(path.stem).suffix,
                "page",
            )
            seeds[kind].append(data)
            if kind == "feed":
                seeds["page"].append(data)  # pages that are feeds, and the other way round
    return seeds


def _mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--corpus", type=Path, default=os.environ.get("SENTINEL_CORPUS") or None)
    parser.add_argument("--config", type=Path, default=ROOT, help="the shipped configuration")
    parser.add_argument("--findings", type=Path, default=ROOT / "fuzz" / "findings")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", nargs="*", help="target names (default: all)")
    parser.add_argument(
        "--slow", type=float, default=SLOW, help="seconds of CPU over which an input is saved"
    )
    parser.add_argument(
        "--memory", type=float, default=MEMORY >> 20, help="MB over which an input is saved"
    )
    args = parser.parse_args(argv)

    import logging

    logging.disable(logging.CRITICAL)  # the entry points log what they skip; not news here
    from fuzz.mutate import CONFIG_SNIPPETS, LOL, PAGE_SNIPPETS, mutate
    from fuzz.targets import Finding, child, forget_child, targets
    from sentinel.read.guard import GUARD_BYTES, GUARD_MEMORY
    from sentinel.read.procmem import reset_peak, sizes

    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    seeds = _seeds(args.corpus, args.config)
    seeds["config"] += [s.replace(b"\ntopics:", b"\n" + LOL + b"topics:") for s in seeds["config"]]
    chosen = [t for t in targets(args.config) if not args.only or t.name in args.only]
    signal.signal(signal.SIGPROF, _interrupt)
    tried: Counter[str] = Counter()
    slowest = (0.0, "", "")
    biggest = (0, "", "")  # the largest per-call peak of an input read (not refused)
    refused = 0
    findings = 0
    baseline = sizes()["VmRSS"]
    deadline = time.monotonic() + args.minutes * 60
    print(
        f"fuzz: seed {seed}, {sum(map(len, seeds.values()))} seeds, targets: "
        + ", ".join(t.name for t in chosen),
        flush=True,
    )
    while time.monotonic() < deadline:
        target = rng.choice(chosen)
        config = target.kind == "config"
        base = rng.choice(seeds[target.kind])
        if config:
            name, _, text = base.partition(b"\n")
            data = name + b"\n" + mutate(text, rng, CONFIG_SNIPPETS, CONFIG_CAP)
        else:
            data = mutate(base, rng, PAGE_SNIPPETS, PAGE_CAP)
        call_rng = random.Random(rng.random())
        problem = None
        forget_child()
        resettable = reset_peak()
        before = sizes()["VmRSS"] if resettable else sizes()["VmHWM"]
        signal.setitimer(signal.ITIMER_PROF, HARD_STOP)
        started = time.process_time()
        try:
            target.run(data, call_rng)
        except Interrupted:
            problem = f"interrupted after {HARD_STOP:g} s of CPU"
        except Finding as e:
            problem = f"invalid result: {e}"
        except target.allowed:
            pass
        except BaseException as e:
            problem = "escaped:\n" + "".join(traceback.format_exception(e))
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        took = time.process_time() - started + child.cpu
        # this process's peak over where it stood, or the guarded child's for a big page
        grew = max(sizes()["VmHWM"] - before, child.peak)
        tried[target.name] += 1
        digest = hashlib.sha1(data).hexdigest()[:12]
        if took > slowest[0]:
            slowest = (took, target.name, digest)
        if child.refused:
            refused += 1
        elif grew > biggest[0]:
            biggest = (grew, target.name, digest)
        if problem is None and child.ended is not None:
            problem = f"the guarded child ended: {child.ended}"
        if problem is None and took > args.slow:
            problem = f"slow: {took:.2f} s of CPU"
        if problem is None and grew > args.memory * 2**20:
            problem = f"memory: peak grew by {_mb(grew)}"
        if problem is not None:
            findings += 1
            args.findings.mkdir(parents=True, exist_ok=True)
            stem = args.findings / f"{target.name.replace(':', '-')}-{digest}"
            stem.with_suffix(".bin").write_bytes(data)
            stem.with_suffix(".txt").write_text(
                f"target: {target.name}\nseed: {seed}\ncpu: {took:.3f} s\n{problem}\n",
                encoding="utf-8",
            )
            print(f"finding: {target.name} {digest}: {problem.splitlines()[0]}", flush=True)
    total = sum(tried.values())
    print(f"inputs tried: {total:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(tried.items()))})")
    print(f"slowest input: {slowest[0]:.3f} s of CPU ({slowest[1]}, {slowest[2]})")
    print(f"peak memory of one call: {_mb(biggest[0])} ({biggest[1]}, {biggest[2]})")
    print(
        f"pages over {GUARD_BYTES >> 10} KB refused by the guarded child at its "
        f"{GUARD_MEMORY >> 20} MB per page: {refused}"
    )
    print(f"this process: {_mb(sizes()['VmRSS'])} resident at the end (at start: {_mb(baseline)})")
    print(f"findings: {findings}" + (f", saved under {args.findings}" if findings else ""))
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
