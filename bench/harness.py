"""What every scenario needs: the site's server process, a config folder, CPU and memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")

SETTINGS = """\
name: bench
http:
  contact: bench@localhost
  timeout: 20
  concurrency: {concurrency}
  transport: {transport}
  scouts: {scouts}
match:
  engine: {engine}
departments:
  - {{id: mg-lead, name: 牵头单位, lead: true}}
  - {{id: mg-wangxin, name: 网信办}}
  - {{id: mg-zwgk, name: 政务公开办}}
  - {{id: mg-zrzy, name: 自然资源局}}
  - {{id: mg-rlsb, name: 人社局}}
  - {{id: mg-sthj, name: 生态环境分局}}
  - {{id: mg-zjj, name: 住建局}}
  - {{id: mg-jyj, name: 教体局}}
  - {{id: mg-yjj, name: 应急管理局}}
  - {{id: mg-nsh, name: 女山湖镇}}
"""


@contextlib.contextmanager
def serving(root: Path, port: int, hosts: Sequence[str] = ("127.0.0.1",)) -> Iterator[int]:
    """Run bench/server.py on `root` in a child process; yield its pid (for its CPU)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(root), str(port), *hosts],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("the bench server did not start")
        yield child.pid
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def bump(base: str, every: int) -> int:
    """Give every `every`-th page with an ETag a new one (the server's control endpoint)."""
    request = urllib.request.Request(f"{base}/_bump?every={every}", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(answer.read())


def write_config(
    directory: Path,
    sources_yaml: str,
    *,
    concurrency: int = 50,
    transport: str = "aiohttp",
    engine: str = "fast",
    scouts: int = 0,
    events: bool = True,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    shutil.copy(ROOT / "keywords.yaml", directory / "keywords.yaml")
    settings = SETTINGS.format(
        concurrency=concurrency, transport=transport, engine=engine, scouts=scouts
    )
    if not events:
        settings += "cluster:\n  events:\n    enabled: false\n"
    (directory / "sentinel.yaml").write_text(settings, encoding="utf-8")
    return directory


def peak_rss_mb() -> float:
    """This process's peak resident set, from /proc (VmHWM) where there is one.

    Not ru_maxrss: Linux carries it over exec from the parent's memory, so a child started by a
    bench that had just generated a site would report the bench's peak, not its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU a running process has used so far (/proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Callable[[], Awaitable[T]], *, uvloop: bool = True) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds of this process) of running `fn()` on a new loop."""

    async def wrapped() -> tuple[T, float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = await fn()
        return result, time.perf_counter() - wall, time.process_time() - cpu

    if uvloop:
        try:
            import uvloop as uv
        except ImportError:
            pass
        else:
            return uv.run(wrapped())
    return asyncio.run(wrapped())
