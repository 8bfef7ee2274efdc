"""A worker killed -9 mid-job, as real processes on PostgreSQL: its job runs again at once, put
back by the scheduler that saw its life lock gone (store/lifelock.py), not after
`workers.stall_timeout` (ten minutes here); its rows are forgotten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.daemon_kit import MailServer, notify_yaml
from tests.fixtures.sites import KEYWORDS, SENTINEL
from tests.integration.test_workers_process import (
    FEEDS_PER_HOST,
    HOSTS,
    ITEMS,
    Procs,
    Sites,
    database,  # noqa: F401  (the fixture)
    one,
    query,
    sources_yaml,
    wait_for,
)

pytestmark = pytest.mark.postgres

STALL = 600  # seconds: a job put back within the test was not put back by the stall timeout


def test_a_killed_workers_job_is_put_back_by_its_life_lock(
    tmp_path: Path,
    database: str,  # noqa: F811
) -> None:
    sites = Sites().start()
    mail = MailServer().start()
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "sources.yaml").write_text(sources_yaml(sites), encoding="utf-8")
    (config / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    workers = (
        f"workers: {{enabled: true, concurrency: 4, stall_timeout: {STALL}s, heartbeat: 1s, "
        "duty_wait: 60s}\n"
    )
    settings = SENTINEL.replace("timeout: 1.5", "timeout: 60")  # /f/slow.xml waits for the test
    (config / "sentinel.yaml").write_text(
        settings + notify_yaml(mail.port) + workers, encoding="utf-8"
    )
    procs = Procs(config, database)
    url = database
    try:
        assert procs.start("db", "upgrade").wait(60) == 0, procs.logs()
        scheduler = procs.start("run", "--tick", "2s", "--no-web")
        for _ in range(2):
            procs.start("worker")
        wait_for(
            "two workers registered with their life locks",
            lambda: one(url, "SELECT count(*) FROM worker_node WHERE life_lock") == 2,
            procs,
        )
        assert sites.slow_arrived.wait(60), procs.logs()
        doing = query(
            url,
            "SELECT n.pid, n.worker_id FROM procrastinate_jobs j "
            "JOIN worker_node n ON n.worker_id = j.worker_id "
            "WHERE j.status = 'doing' AND j.args->'source_ids' ? 'slow'",
        )
        assert len(doing) == 1, doing
        pid, worker_id = (int(v) for v in doing[0])  # type: ignore[call-overload]
        victim = procs.by_pid(pid)
        victim.kill()
        victim.wait(10)
        sites.slow_release.set()  # the dead worker's request ends; the rerun's is answered

        # a failure bound far below STALL, not a timing assertion
        expected = (len(HOSTS) * FEEDS_PER_HOST + 1) * ITEMS
        wait_for(
            "every post stored",
            lambda: one(url, "SELECT count(*) FROM post") == expected,
            procs,
            within=120,
        )
        assert one(url, "SELECT count(*) FROM post WHERE source_id = 'slow'") == ITEMS
        # the dead worker is forgotten, here and in procrastinate's table
        assert one(url, f"SELECT count(*) FROM worker_node WHERE worker_id = {worker_id}") == 0
        gone = f"SELECT count(*) FROM procrastinate_workers WHERE id = {worker_id}"
        assert one(url, gone) == 0
    finally:
        procs.stop_all()
        sites.stop()
        mail.stop()
    log = (config / f"log-{procs.all.index(scheduler)}.txt").read_text(errors="replace")
    assert re.search(rf"worker {worker_id} \([^)]*, pid {pid}\) is gone", log), log[-3000:]
    assert "of a dead worker (its life lock gone) put back in the queue" in log, log[-3000:]
    assert "silent for the stall timeout" not in log
    # the other worker, stopped cleanly, dropped its row before its lock: not taken for dead
    assert log.count(") is gone (its life lock was dropped)") == 1, log[-3000:]
