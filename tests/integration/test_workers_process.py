"""Worker mode as real processes on PostgreSQL: two schedulers and three workers patrol local
sites on three loopback hosts; one worker is killed (-9) mid-patrol and the enqueuing scheduler
mid-tick. Every post is stored once, one alert per story, no mail sent twice, no source
patrolled twice at once, and no host ever sees more requests at once than its politeness allows.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from aiohttp import web

from tests.daemon_kit import MailServer, notify_yaml
from tests.fixtures.sites import KEYWORDS, SENTINEL
from tests.servers import free_port

pytestmark = pytest.mark.postgres

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
PER_HOST = 2  # each host's politeness: requests at once
FEEDS_PER_HOST = 4
ITEMS = 3
TITLES = (
    "管店镇{n}号地块强拆 村民称补偿款未到位",  # critical (land, see critical keywords)
    "女山湖镇某工地拖欠农民工工资{n}个月",
    "明东街道小区{n}期门前垃圾成堆 污水横流",
)


def feed(base: str, name: str) -> str:
    items = "".join(
        f"<item><title>{t.format(n=name)}</title><link>{base}/p/{name}/{i}.html</link>"
        f"<description>{t.format(n=name)}，居民反映多次无人处理。</description>"
        "<pubDate>Mon, 23 Nov 2026 01:00:00 +0000</pubDate></item>"
        for i, t in enumerate(TITLES)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>{base}/</link>{items}</channel></rss>"
    )


class Sites:
    """One aiohttp app on three loopback addresses, counting requests in flight per host and
    per path, and noting when each arrives; /f/slow.xml hangs until released."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.arrivals: list[tuple[str, str, float]] = []  # host, path, time.monotonic()
        self.slow_arrived = threading.Event()
        self.slow_release = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def base(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def _enter(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self.active[k] += 1
                self.peak[k] = max(self.peak[k], self.active[k])

    def _leave(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self.active[k] -= 1

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host, path = request.host, request.path
        with self.lock:
            self.arrivals.append((host.rsplit(":", 1)[0], path, time.monotonic()))
        self._enter("host:" + host, "path:" + host + path)
        try:
            if path == "/robots.txt":
                return web.Response(text="User-agent: *\nAllow: /\n")
            await asyncio.sleep(0.2)  # patrols overlap, and a kill lands mid-patrol
            name = path.removeprefix("/f/").removesuffix(".xml")
            if name == "slow":
                self.slow_arrived.set()
                await asyncio.to_thread(self.slow_release.wait, 60)
            base = f"http://{host}"
            return web.Response(text=feed(base, name), content_type="application/rss+xml")
        finally:
            self._leave("host:" + host, "path:" + host + path)

    def start(self) -> Sites:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for host in HOSTS:
            await web.TCPSite(self._runner, host, self.port).start()

    def stop(self) -> None:
        self.slow_release.set()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def sources_yaml(sites: Sites) -> str:
    lines = [
        "defaults:",
        f"  politeness: {{rate: 50, concurrency: {PER_HOST}, robots: true}}",
        "sources:",
    ]
    for h, host in enumerate(HOSTS):
        names = [f"h{h}s{i}" for i in range(FEEDS_PER_HOST)] + (["slow"] if h == 0 else [])
        for name in names:
            lines += [
                f"  - id: {name}",
                "    kind: rss",
                f"    url: {sites.base(host)}/f/{name}.xml",
                "    territorial: true",
                "    allow_private: true",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def database() -> Iterator[str]:
    server = os.environ.get("SENTINEL_TEST_DATABASE_URL")
    if not server:
        pytest.skip("SENTINEL_TEST_DATABASE_URL is not set")
    plain = server.replace("postgresql+asyncpg://", "postgresql://")
    name = f"sentinel_w_{secrets.token_hex(6)}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = plain.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Procs:
    """Every process the test starts, killed at the end whatever happens."""

    def __init__(self, config: Path, url: str) -> None:
        self.config, self.url = config, url
        self.all: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SENTINEL_DATABASE_URL": self.url}
        log = open(self.config / f"log-{len(self.all)}.txt", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "sentinel", *args, "-c", str(self.config)],
            cwd=self.config,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.all.append(proc)
        return proc

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        [proc] = [p for p in self.all if p.pid == pid]
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.args}\n" + (self.config / f"log-{i}.txt").read_text(errors="replace")[-3000:]
            for i, p in enumerate(self.all)
        )

    def stop_all(self) -> None:
        for p in self.all:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in self.all:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql).fetchall())


def one(url: str, sql: str) -> object:
    return query(url, sql)[0][0]


def wait_for(what: str, check: object, procs: Procs, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {within} s\n{procs.logs()}")


def test_two_schedulers_three_workers_survive_kill_9(tmp_path: Path, database: str) -> None:
    sites = Sites().start()
    mail = MailServer().start()
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "sources.yaml").write_text(sources_yaml(sites), encoding="utf-8")
    keywords = KEYWORDS.replace(
        "severity: major\n    any: [强拆", "severity: critical\n    any: [强拆"
    )
    (config / "keywords.yaml").write_text(keywords, encoding="utf-8")
    workers = (
        "workers: {enabled: true, concurrency: 4, stall_timeout: 3s, heartbeat: 1s, "
        "duty_wait: 60s}\n"
    )
    (config / "sentinel.yaml").write_text(
        SENTINEL + notify_yaml(mail.port) + workers, encoding="utf-8"
    )
    procs = Procs(config, database)
    url = database
    try:
        # the schema (procrastinate's too) is applied by `sentinel db upgrade`, not at import
        upgrade = procs.start("db", "upgrade")
        assert upgrade.wait(60) == 0, procs.logs()
        assert one(url, "SELECT count(*) FROM procrastinate_jobs") == 0
        schedulers = [procs.start("run", "--tick", "2s", "--no-web") for _ in range(2)]
        for _ in range(3):
            procs.start("worker")
        wait_for(
            "three workers registered",
            lambda: one(url, "SELECT count(*) FROM worker_node") == 3,
            procs,
        )

        # 1. kill -9 the worker running the slow source's patrol
        assert sites.slow_arrived.wait(60), procs.logs()
        expected = (len(HOSTS) * FEEDS_PER_HOST + 1) * ITEMS
        # ... once the other sources' posts are in and their pushes out: the kills land
        # mid-patrol and mid-tick, not between a mail sent and its row marked sent (a scheduler
        # killed there has that mail sent again: delivery is at least once). The slow source's
        # batch-mates finish beside it, so this waits for them.
        wait_for(
            "every other post stored and every push sent",
            lambda: (
                one(url, "SELECT count(*) FROM post") == expected - ITEMS
                and one(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
            ),
            procs,
        )
        doing = query(
            url,
            "SELECT n.pid FROM procrastinate_jobs j "
            "JOIN worker_node n ON n.worker_id = j.worker_id "
            "WHERE j.status = 'doing' AND j.args->'source_ids' ? 'slow'",
        )
        assert len(doing) == 1, doing
        victim = procs.by_pid(int(doing[0][0]))  # type: ignore[call-overload]
        # 2. and the scheduler whose duty tick waits for the jobs (it holds the lock)
        leader = query(
            url,
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = 730184511 "
            "AND a.datname = current_database()",  # other tests' schedulers run meanwhile
        )
        assert len(leader) == 1, leader
        boss = procs.by_pid(int(str(leader[0][0]).rsplit(":", 1)[1]))
        assert boss in schedulers
        victim.kill()
        boss.kill()
        victim.wait(10)
        boss.wait(10)
        sites.slow_release.set()  # the dead worker's request ends; its job runs again elsewhere

        wait_for(
            "every post stored", lambda: one(url, "SELECT count(*) FROM post") == expected, procs
        )
        wait_for(
            "every push sent",
            lambda: (
                one(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
                and one(url, "SELECT count(*) FROM outbox") > 0
            ),
            procs,
        )
        # the slow source's job was put back (its worker's life lock gone) and done by another
        assert one(url, "SELECT count(*) FROM post WHERE source_id = 'slow'") == ITEMS

        # the operator's view of the queue
        shown = subprocess.run(
            [sys.executable, "-m", "sentinel", "workers", "status", "-c", str(config)],
            env={**os.environ, "SENTINEL_DATABASE_URL": url},
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout.decode()
        assert "workers alive: 2 of" in shown, shown
    finally:
        procs.stop_all()
        sites.stop()
        mail.stop()
    assert all(p.returncode is not None for p in procs.all)

    # every post once (the database refuses a second), one alert per story
    assert one(url, "SELECT count(*) FROM (SELECT DISTINCT source_id, url FROM post) p") == expected
    stories = one(url, "SELECT count(*) FROM story")
    assert stories and one(url, "SELECT count(DISTINCT story_id) FROM alert") == stories
    assert one(url, "SELECT count(*) FROM alert") == stories
    # no mail twice, and each sent row is one mail
    ids = [str(m["Message-ID"]) for m in mail.inbox.mails]
    assert ids and len(ids) == len(set(ids))
    sent = one(url, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND recipient != ''")
    digests = one(url, "SELECT count(*) FROM digest WHERE sent_at IS NOT NULL")
    assert len(ids) == sent + digests  # type: ignore[operator]
    # no source patrolled twice at once; no host over its politeness
    paths = {k: v for k, v in sites.peak.items() if k.startswith("path:") and "/f/" in k}
    assert paths and max(paths.values()) == 1, paths
    hosts = {k: v for k, v in sites.peak.items() if k.startswith("host:")}
    assert len(hosts) == len(HOSTS) and max(hosts.values()) <= PER_HOST, hosts
