"""The child that reads big pages (read/guard.py) ends with the command that started it.

An idle child waits on its queue: before, a `sentinel patrol` killed (by cron's timeout, or
kill -9) left it and the multiprocessing resource tracker running for good, holding what the
child had read. Linux now ends the child with its parent, and a command that ends normally
stops it itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_daemon_process import Slow, slow_source
from tests.servers import LocalSite
from tests.unit.test_hostile_guard import cheap_page

WAIT = 60.0  # seconds a process gets to start, import and read (the machine may be busy)

SETTINGS = """\
http:
  timeout: 120
departments:
  - {id: lead, name: 牵头单位, lead: true}
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(int(entry))
    return found


def _is_guard(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"multiprocessing.spawn" in f.read()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT:g} s: {what}")
        time.sleep(0.1)


@pytest.fixture
def county(site: LocalSite, tmp_path: Path) -> Iterator[tuple[Path, Slow]]:
    """A source with a big page (read in the guarded child) and one that hangs until released."""
    site.serve("/big.html", cheap_page())
    slow = Slow(site, 1)
    site.handle("/slow/feed1.xml", slow)
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "sentinel.yaml").write_text(SETTINGS, encoding="utf-8")
    (config / "keywords.yaml").write_text("region: [明光]\ntopics: []\n", encoding="utf-8")
    (config / "sources.yaml").write_text(
        f"""\
sources:
  - id: big
    kind: html
    url: {site.base}/big.html
    allow_private: true
    selectors: {{item: li, title: a}}
"""
        + slow_source(site.base, 1),
        encoding="utf-8",
    )
    yield config, slow
    slow.release.set()


def _start(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SENTINEL_DATABASE_URL": f"sqlite+aiosqlite:///{config.parent / 'db.sqlite'}",
    }
    with open(config.parent / "stderr.txt", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "sentinel", *args, "-c", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _guard_of(process: subprocess.Popen[bytes], slow: Slow) -> int:
    """The guarded child, once the big page has been read and the slow feed holds the patrol."""
    guards: list[int] = []

    def found() -> bool:
        guards[:] = [p for p in _children(process.pid) if _is_guard(p)]
        return bool(guards) and slow.arrived.is_set()

    _wait_for(found, "the guarded child started")
    return guards[0]


def test_a_killed_patrol_leaves_no_child_behind(county: tuple[Path, Slow]) -> None:
    config, slow = county
    process = _start(config, "patrol")
    child = None
    try:
        child = _guard_of(process, slow)
        process.kill()
        process.wait()
        _wait_for(lambda: not _alive(child), f"the guarded child {child} ended")
    finally:
        if process.poll() is None:
            process.kill()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)  # not left to run, whatever the test found


def test_a_stopped_daemon_has_stopped_its_child(county: tuple[Path, Slow]) -> None:
    config, slow = county
    process = _start(config, "run", "--no-web", "--tick", "1s", "--grace", "5")
    child = None
    try:
        child = _guard_of(process, slow)
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT) == 0, (config.parent / "stderr.txt").read_text("utf-8")
        assert not _alive(child)  # stopped before the daemon exited, not after
    finally:
        if process.poll() is None:
            process.kill()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
