"""`sentinel run` as a real process: SIGTERM and kill -9 mid-patrol, then restarts.

No loss (what was read before a stop is stored; what was cut is read at the next start) and no
duplicates (posts, alerts, and each queued notification delivered once) across the stops and
restarts. SIGTERM cuts a hanging fetch rather than waiting for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.daemon_kit import MailServer, write_county
from tests.fixtures.sites import good_sources, publish
from tests.servers import LocalSite, free_port

SLOW_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>慢新闻</title><link>{base}/slow/</link>
<item><title>管店镇某小区门前垃圾成堆 污水横流无人管</title><link>{base}/slow/{n}.html</link>
<description>管店镇某小区门前垃圾成堆、污水横流，居民反映多次无人处理。</description>
<pubDate>Mon, 23 Nov 2026 01:00:00 +0000</pubDate></item>
</channel></rss>"""


class Slow:
    """A feed that hangs until released, saying when a request has arrived."""

    def __init__(self, site: LocalSite, n: int) -> None:
        self.site, self.n = site, n
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.arrived.set()
        await asyncio.to_thread(self.release.wait)  # every test releases it in the end
        body = SLOW_FEED.format(base=self.site.base, n=self.n)
        return web.Response(text=body, content_type="application/rss+xml")


def slow_source(base: str, n: int) -> str:
    return f"""\
  - id: slow{n}
    kind: rss
    url: {base}/slow/feed{n}.xml
    territorial: true
    allow_private: true
"""


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def sentinel(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "sentinel", *args, "-c", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def desk_answers(port: int, *, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                return bool(r.status == 200 and "登录" in r.read().decode("utf-8"))
        except OSError:
            time.sleep(0.2)
    return False


def finish(proc: subprocess.Popen[bytes]) -> int:
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    return proc.returncode


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        one = lambda q: conn.execute(q).fetchone()[0]  # noqa: E731
        return {
            "post": one("SELECT count(*) FROM post"),
            "alert": one("SELECT count(*) FROM alert"),
            "story": one("SELECT count(*) FROM story"),
            # rows delivered by mail: every outbox row but the fanned-out wildcards, and digests
            "sent": one("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND recipient != ''")
            + one("SELECT count(*) FROM digest WHERE sent_at IS NOT NULL"),
            "pending": one("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            + one("SELECT count(*) FROM digest WHERE sent_at IS NULL"),
        }


def posts_of(db: Path, source: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT count(*) FROM post WHERE source_id = ?", (source,)).fetchone()[0]
        )


def forget_schedule(db: Path) -> None:
    """As if a day had passed: every source is due again at the next tick."""
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM schedule_state WHERE key LIKE 'source:%'")


def assert_each_mail_once(mail: MailServer, db: Path) -> None:
    pairs = [(str(m["Subject"]), str(m["To"]), str(m["Message-ID"])) for m in mail.inbox.mails]
    assert len({(s, t) for s, t, _ in pairs}) == len(pairs)
    assert len(pairs) == counts(db)["sent"]


def test_sigterm_and_kill_9_mid_patrol_lose_nothing_and_duplicate_nothing(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    slow1, slow2 = Slow(site, 1), Slow(site, 2)
    site.handle("/slow/feed1.xml", slow1)
    site.handle("/slow/feed2.xml", slow2)
    db = tmp_path / "sentinel.db"
    extra = f"database_url: sqlite+aiosqlite:///{db}\n"
    sources = good_sources(site.base) + slow_source(site.base, 1)
    config = write_county(tmp_path / "cfg", site, mail.port, sources=sources, extra_settings=extra)
    settings = config / "sentinel.yaml"
    settings.write_text(settings.read_text().replace("timeout: 1.5", "timeout: 30"))

    # 1. SIGTERM while slow1 hangs: its fetch is cut, the rest is kept, exit 0 — with a grace
    # of ten minutes and a fetch deadline of thirty seconds, only the cut makes it exit now
    desk = free_port()
    proc = sentinel(config, "run", "--tick", "1h", "--grace", "600", "--port", str(desk))
    assert slow1.arrived.wait(30)
    # The duty desk is served by the same process, beside the patrol.
    assert desk_answers(desk)
    proc.send_signal(signal.SIGTERM)
    finish(proc)
    assert not slow1.release.is_set()  # exited while the fetch was still outstanding
    slow1.release.set()
    first = counts(db)
    assert posts_of(db, "slow1") == 0  # cut: patrolled at the next start
    assert first["alert"] > 0 and first["pending"] == 0
    # critical pushes left at once; the duty patrol's digests wait for it to be complete
    assert not [s for s in mail.inbox.subjects() if "舆情摘要" in s]

    # 2. restart: the cut source and the duty patrol's digests, nothing twice
    finish(sentinel(config, "run", "--once"))
    second = counts(db)
    assert posts_of(db, "slow1") == 1
    assert second["post"] > first["post"]  # slow1's, and those of any other source cut
    assert second["pending"] == 0 and [s for s in mail.inbox.subjects() if "舆情摘要" in s]
    assert_each_mail_once(mail, db)
    forget_schedule(db)  # every source due again: nothing new, nothing twice
    finish(sentinel(config, "run", "--once"))
    again = counts(db)
    assert {k: again[k] for k in ("post", "alert", "story")} == {
        k: second[k] for k in ("post", "alert", "story")
    }
    assert_each_mail_once(mail, db)

    # 3. kill -9 while a new source is being fetched, then restart
    (config / "sources.yaml").write_text(sources + slow_source(site.base, 2))
    proc = sentinel(config, "run", "--tick", "1h", "--no-web")
    assert slow2.arrived.wait(30)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    slow2.release.set()
    forget_schedule(db)
    finish(sentinel(config, "run", "--once"))
    after = counts(db)
    assert posts_of(db, "slow2") == 1
    assert after["post"] == second["post"] + 1
    # slow2's post is a repost of slow1's: the same story, so no new alert
    assert after["alert"] == second["alert"] and after["pending"] == 0
    assert_each_mail_once(mail, db)

    # what the operator sees: every notification, sent once, none failing
    shown = sentinel(config, "outbox", "list", "--json")
    out, _ = shown.communicate(timeout=60)
    rows = json.loads(out)
    assert rows and all(r["sent_at"] and not r["last_error"] for r in rows)
    assert sum(r["table"] == "digest" for r in rows) >= 1
