"""Scout processes: the same patrol as in one process, errors that cross whole, a lost scout
replaced, and one host always in one scout (so its politeness limits hold)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aiohttp import web

from sentinel.config import Config, load_config
from sentinel.config.models import HttpSettings
from sentinel.errors import HTTPStatusError
from sentinel.extract.post import Post
from sentinel.fetch.page import FetchPolicy
from sentinel.pipeline import Patrol
from sentinel.read import ScoutPool
from sentinel.read.scouts import ScoutLost
from sentinel.sources import resolve
from tests.fixtures.sites import publish, write_config
from tests.integration.test_patrol import EXPECTED, story_shape
from tests.servers import LocalSite


def with_scouts(cfg: Config, n: int) -> Config:
    http = cfg.settings.http.model_copy(update={"scouts": n})
    return dataclasses.replace(cfg, settings=cfg.settings.model_copy(update={"http": http}))


async def _patrol_rows(cfg: Config, db_url: str) -> tuple[object, ...]:
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run()
        outcome = sorted(
            (r.source_id, r.ok, r.error_kind, r.url, r.pages, r.details, r.items, r.posts_new)
            for r in report.sources
        )
        posts = sorted(
            (p.source_id, p.url, p.title, p.body, p.published_at, p.replies, p.views)
            for p in await patrol.store.posts()
        )
        stories = story_shape(await patrol.store.stories())
        status = sorted(
            (s.source_id, s.consecutive_failures, s.last_status, s.items_last)
            for s in await patrol.store.sources_status()
        )
        return outcome, posts, stories, status


async def test_a_patrol_with_scouts_stores_what_one_process_stores(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site, faults=True))
    local = await _patrol_rows(cfg, f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
    scouted = await _patrol_rows(with_scouts(cfg, 2), db_url)
    assert scouted == local
    outcome, posts, stories, _ = scouted
    assert stories == EXPECTED
    kinds = {sid: kind for sid, ok, kind, *_ in outcome if not ok}
    # every failure crossed from the scout as the same error the patrol records in-process
    assert kinds["hang"] == "fetch_timeout"
    assert kinds["e500"] == "http_status_error"
    assert kinds["loop"] == "too_many_redirects"
    assert kinds["robots"] == "robots_disallowed"
    assert kinds["garbage"] == "ExtractError"
    assert any(body for *_, body, _, _, _ in posts)  # detail pages were read by the scouts


def _settings() -> HttpSettings:
    return HttpSettings(timeout=30, concurrency=16)


def _policy(**kw: object) -> FetchPolicy:
    return FetchPolicy(source_id="s", rate=1000.0, allow_private=True, robots=False, **kw)  # type: ignore[arg-type]


async def test_errors_cross_with_their_attributes(site: LocalSite, tmp_path: Path) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    src = resolve(next(s for s in cfg.sources.sources if s.id == "forum"))
    pool = ScoutPool(_settings(), 1)
    try:
        with pytest.raises(HTTPStatusError) as caught:
            await pool.read_list(
                src, _policy(), site.url("/fault/status?n=503"), None, first=True, more=False
            )
        assert caught.value.status == 503
        assert caught.value.url == site.url("/fault/status?n=503")
        assert caught.value.source_id == "s"
        read = await pool.read_list(
            src, _policy(), site.url("/bbs/forum-2-1.html"), None, first=True, more=False
        )
        assert read.error is None and read.posts
        assert all(p.source_id == "forum" for p in read.posts)
    finally:
        await pool.aclose()


async def test_a_lost_scout_fails_its_reads_and_is_replaced(
    site: LocalSite, tmp_path: Path
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    src = resolve(next(s for s in cfg.sources.sources if s.id == "forum"))
    arrived = threading.Event()

    async def hang(request: web.Request) -> web.StreamResponse:
        arrived.set()
        await asyncio.sleep(3600)
        return web.Response(text="too late")

    site.handle("/hang", hang)
    pool = ScoutPool(_settings(), 1)
    try:
        await pool.start()
        [first] = pool.pids
        hanging = asyncio.create_task(
            pool.read_list(src, _policy(), site.url("/hang"), None, first=True, more=False)
        )
        assert await asyncio.to_thread(arrived.wait, 10)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(ScoutLost):
            await asyncio.wait_for(hanging, 10)
        read = await pool.read_list(
            src, _policy(), site.url("/bbs/forum-2-1.html"), None, first=True, more=False
        )
        assert read.posts
        assert pool.pids and pool.pids != [first]
    finally:
        await pool.aclose()
    assert pool.pids == []


async def test_one_host_is_always_read_by_one_scout(site: LocalSite, tmp_path: Path) -> None:
    """Per-host concurrency 1 holds across reads of many sources on that host: were the host
    split between scouts, each would let one request through at once."""
    in_flight = 0
    most = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return web.Response(text="<html><body><p>正文</p></body></html>", content_type="text/html")

    site.handle("/slow", slow)
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    src = resolve(next(s for s in cfg.sources.sources if s.id == "portal"))
    pool = ScoutPool(_settings(), 3)
    policy = _policy(concurrency=1)
    try:
        reads = [
            pool.read_list(src, policy, site.url(f"/slow?n={n}"), None, first=True, more=False)
            for n in range(6)
        ]
        posts = [
            Post(source_id="portal", url=site.url(f"/slow?d={n}"), title="t") for n in range(6)
        ]
        details = pool.read_details(src, policy, posts)
        lists = await asyncio.gather(*reads, details)
        assert len(lists[-1]) == 6
        assert site.hits("/slow") == 12
        assert most == 1
    finally:
        await pool.aclose()


def _scout_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"sentinel.read.scout" in cmdline:
                found.append(int(entry.name))
    return found


def test_the_patrol_command_runs_with_scouts_and_leaves_none_behind(
    site: LocalSite, tmp_path: Path
) -> None:
    publish(site)
    directory = write_config(tmp_path / "cfg", site)
    settings = directory / "sentinel.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("http:\n", "http:\n  scouts: 2\n"),
        encoding="utf-8",
    )
    before = set(_scout_processes())
    env = {
        **os.environ,
        "SENTINEL_CONFIG_DIR": str(directory),
        "SENTINEL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "sentinel", "-v", "patrol", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["sources_ok"] == 5 and summary["stories_new"] == 4
    assert "scout 0 started" in done.stderr or "scout 1 started" in done.stderr
    assert set(_scout_processes()) <= before


async def test_a_scout_that_cannot_start_is_reported_at_once(
    site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    src = resolve(next(s for s in cfg.sources.sources if s.id == "forum"))
    pool = ScoutPool(_settings(), 1)
    url = site.url("/bbs/forum-2-1.html")
    try:
        # an interpreter that exits at once, as a broken installation would
        monkeypatch.setattr("sentinel.read.scouts.sys.executable", "/bin/false")
        with pytest.raises(ScoutLost, match="did not start"):
            await asyncio.wait_for(
                pool.read_list(src, _policy(), url, None, first=True, more=False), 30
            )
        assert pool.pids == []
        monkeypatch.undo()
        read = await pool.read_list(src, _policy(), url, None, first=True, more=False)
        assert read.posts
    finally:
        await pool.aclose()


async def test_a_pool_handed_to_patrols_outlives_them(site: LocalSite, tmp_path: Path) -> None:
    """A daemon (or the bench) may keep its scouts warm across patrols: a patrol closes only
    the scouts it started itself."""
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    pool = ScoutPool(_settings(), 1)
    try:
        await pool.start()
        [pid] = pool.pids
        for n in range(2):
            url = f"sqlite+aiosqlite:///{tmp_path / f'{n}.db'}"
            async with await Patrol.open(cfg, database_url=url, reader=pool) as patrol:
                report = await patrol.run()
                assert report.stories_new == 4
            assert pool.pids == [pid]  # the same scout, still up after the patrol closed
    finally:
        await pool.aclose()
    assert pool.pids == []
