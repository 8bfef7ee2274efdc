"""The queue as the operator sees it (`sentinel workers status`, the desk's /operator/workers),
on PostgreSQL: what waits, since when, and who runs what."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.errors import ConfigError
from sentinel.store import Store
from sentinel.store.nodes import register_node, set_node_digest
from sentinel.web import WebSettings, create_app
from sentinel.workers.enqueue import Enqueuer
from sentinel.workers.queue import require_postgres
from sentinel.workers.status import status_data, status_lines
from sentinel.workflow.service import Workflow
from tests.fixtures.sites import write_config
from tests.servers import LocalSite
from tests.web.desk import client, sign_in

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_status_shows_the_waiting_jobs_and_the_desk_the_same(
    db_url: str, tmp_path: Path
) -> None:
    with LocalSite() as site:
        cfg_dir = write_config(tmp_path / "cfg", site)
    with (cfg_dir / "sentinel.yaml").open("a", encoding="utf-8") as f:
        f.write("\nworkers: {enabled: true}\n")
    cfg = load_config(cfg_dir)
    if not db_url.startswith("postgresql"):
        with pytest.raises(ConfigError, match="worker mode needs PostgreSQL"):
            require_postgres(cfg, db_url)
        return
    store = await Store.open(db_url)
    await store.upgrade()
    enqueuer = await Enqueuer(
        db_url, lock="host", stall_timeout=cfg.settings.workers.stall_timeout
    ).open()
    try:
        sources = cfg.sources.sources
        # the site's sources are on one host: one job (`lock: host`) patrols them all
        ids = await enqueuer.enqueue(sources, duty_at=None)
        assert len(sources) > 1 and len(ids) == 1
        # a source waiting already is not enqueued twice
        assert await enqueuer.enqueue(sources, duty_at=None) == []
        data = await status_data(store, stall_timeout=cfg.settings.workers.stall_timeout)
        assert data["waiting"] == 1 and data["running"] == 0
        assert data["workers"] == [] and data["alive"] == 0
        assert data["oldest_waiting_since"] is not None
        assert "jobs waiting: 1" in status_lines(data)[0]

        # each worker's configuration; one running other files than these is stale
        other = "0f" * 16
        for digest in (cfg.digest, other):
            wid = await enqueuer.app.job_manager.register_worker()
            await register_node(
                store, wid, node="n", pid=wid, at=T0, config_digest=digest, life_lock=False
            )
        data = await status_data(
            store, stall_timeout=cfg.settings.workers.stall_timeout, config_digest=cfg.digest
        )
        shown = {w["config_digest"]: w["stale_config"] for w in data["workers"]}
        assert shown == {cfg.digest: False, other: True} and data["stale"] == 1
        lines = status_lines(data)
        assert f"config {other} STALE" in "\n".join(lines)
        assert f"config {cfg.digest}  " in "\n".join(lines)
        assert f"configuration: {cfg.digest}; 1 alive workers run another" in lines[3]
        # a worker that reloaded is no longer stale
        await set_node_digest(store, wid, cfg.digest)
        data = await status_data(
            store, stall_timeout=cfg.settings.workers.stall_timeout, config_digest=cfg.digest
        )
        assert data["stale"] == 0
        await set_node_digest(store, wid, other)

        wf = Workflow(store, cfg.settings)
        await wf.add_user(
            "ops", role="admin", department=None, name="OPS", password="pw-123456789", at=T0
        )
        web = WebSettings(secret="test-secret-" + "x" * 20)
        app = create_app(cfg, store, wf, clock=lambda: T0, settings=web)
        async with client(app) as c:
            await sign_in(c, "ops", "pw-123456789")
            page = await c.get("/operator")
            assert 'id="workers-link"' in page.text
            page = await c.get("/operator/workers")
            assert page.status_code == 200
            assert '<span id="waiting">1</span>' in page.text
            # the desk's own configuration is the reference (no scheduler beside it here)
            assert f'<code id="config-digest">{cfg.digest}</code>' in page.text
            assert '<span id="stale" class="late">1 ' in page.text
            assert f'class="late stale"><code>{other}</code>' in page.text
            api = await c.get("/api/workers")
            assert api.json()["waiting"] == 1 and api.json()["stale"] == 1
    finally:
        await enqueuer.close()
        await store.close()
