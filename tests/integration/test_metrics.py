"""/metrics, /healthz and /readyz of the desk the daemon serves, after real patrols."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sentinel.daemon import Daemon, load_checked
from sentinel.store import Store
from sentinel.web import WebSettings, create_app
from sentinel.web.ops import daemon_problems
from sentinel.workflow.service import Workflow
from tests.daemon_kit import TZ, Clock, MailServer, write_county
from tests.fixtures.sites import publish
from tests.servers import LocalSite
from tests.web.desk import client

ROOT = Path(__file__).resolve().parents[2]
MONDAY_10 = datetime(2026, 11, 23, 10, 5, tzinfo=TZ)
SETTINGS = WebSettings(secret="test-secret-" + "x" * 20)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return sum(v for (n, _), v in found.items() if n == name)


async def test_metrics_count_patrols_pages_304s_failures_sweeps_and_read_the_store(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    site.serve("/api/list?page=1", "down", status=500)  # one source fails
    config = write_county(tmp_path / "cfg", site, mail.port)
    clock = Clock(MONDAY_10)
    url = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    async with Daemon(load_checked(config), database_url=url, clock=clock, env={}) as d:
        await d.tick(force_duty=True)
        clock.advance(hours=1)  # the 11:00 duty patrol: the feed answers 304 to its ETag
        second = await d.tick()
        assert second.duty
        store = d.patrol.store
        app = create_app(
            d.cfg, store, Workflow(store, d.cfg.settings), clock=clock, settings=SETTINGS,
            health=d.health, metrics=d.metrics,
        )  # fmt: skip
        async with client(app) as c:
            r = await c.get("/metrics")  # no sign-in
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
            found = samples(r.text)
            again = samples((await c.get("/metrics")).text)
        alerts = await store.alerts()
        statuses = await store.sources_status()
        outbox = await store.outbox(pending=True)

    assert found[("sentinel_patrols_total", ())] == 2
    assert found[("sentinel_deadline_sweeps_total", ())] == 2
    assert found[("sentinel_sources_patrolled_total", (("result", "failed"),))] == 2
    assert found[("sentinel_sources_patrolled_total", (("result", "ok"),))] == 8
    assert total(found, "sentinel_source_failures_total") == 2  # the api, twice
    assert found[("sentinel_pages_fetched_total", (("kind", "list"),))] >= 8
    assert found[("sentinel_pages_fetched_total", (("kind", "detail"),))] >= 1
    assert found[("sentinel_not_modified_total", ())] >= 1
    assert found[("sentinel_posts_new_total", ())] > 0
    assert found[("sentinel_last_tick_timestamp_seconds", ())] == clock.now.timestamp()
    # gauges: what the database holds now
    assert total(found, "sentinel_alerts") == len(alerts) > 0
    by_state = {dict(k[1])["state"]: v for k, v in found.items() if k[0] == "sentinel_alerts"}
    assert by_state == {
        s: float(sum(a.state == s for a in alerts)) for s in {a.state for a in alerts}
    }
    assert found[("sentinel_sources", (("health", "ok"),))] == sum(
        s.health == "ok" for s in statuses
    )
    assert found[("sentinel_sources_failing", ())] == 1
    assert found[("sentinel_outbox_queued", (("table", "outbox"),))] == len(outbox)
    assert ("sentinel_outbox_failing", (("table", "digest"),)) in found
    # the desk counts its own requests, by route template
    labels = (("method", "GET"), ("route", "/metrics"), ("status", "200"))
    key = ("sentinel_desk_requests_total", labels)
    assert key not in found and again[key] == 1


async def test_healthz_is_alive_and_readyz_checks_the_store_and_the_daemons_last_tick(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site)
    config = write_county(tmp_path / "cfg", site, mail.port)
    clock = Clock(MONDAY_10)
    url = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    async with Daemon(load_checked(config), database_url=url, clock=clock, env={}) as d:
        await d.tick(force_duty=True)
        store = d.patrol.store
        app = create_app(
            d.cfg, store, Workflow(store, d.cfg.settings), clock=clock, settings=SETTINGS,
            health=d.health, metrics=d.metrics,
        )  # fmt: skip
        async with client(app) as c:
            assert (await c.get("/healthz")).json() == {"status": "ok"}
            ready = await c.get("/readyz")
            assert ready.status_code == 200 and ready.json()["problems"] == []
            clock.advance(minutes=20)  # no tick for 20 minutes at a 60 s tick: stuck
            stuck = await c.get("/readyz")
            assert stuck.status_code == 503
            assert stuck.json()["problems"][0].startswith("last tick at 2026-11-23T10:05")
            assert (await c.get("/healthz")).status_code == 200  # alive all the same


async def test_readyz_is_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    from sentinel.config import load_config
    from tests.fixtures.sites import write_config

    folder = tmp_path / "db"
    folder.mkdir()
    store = await Store.open(f"sqlite+aiosqlite:///{folder / 'sentinel.db'}")
    await store.upgrade()
    cfg = load_config(write_config(tmp_path / "cfg", LocalSite()))
    app = create_app(
        cfg, store, Workflow(store, cfg.settings), clock=lambda: MONDAY_10, settings=SETTINGS
    )
    try:
        async with client(app) as c:
            assert (await c.get("/readyz")).status_code == 200
            await store.engine.dispose()  # the pooled connection goes, and the folder moves
            folder.rename(tmp_path / "away")
            try:
                r = await c.get("/readyz")
                assert r.status_code == 503 and r.json()["problems"][0].startswith("database:")
                assert (await c.get("/healthz")).status_code == 200
            finally:  # back, so closing the store's connections can tidy the WAL files
                (tmp_path / "away").rename(folder)
            assert (await c.get("/readyz")).status_code == 200  # and ready again
    finally:
        await store.close()


def test_readiness_wants_every_scout_running_once_the_daemon_has_ticked() -> None:
    now = MONDAY_10
    health = {"tick_seconds": 60, "last_tick_at": now.isoformat(), "ticks": 3, "scouts": 2}
    assert daemon_problems({**health, "scouts_running": 2}, now) == []
    assert daemon_problems({**health, "scouts_running": 1}, now) == ["scouts: 1 of 2 running"]
    assert daemon_problems({**health, "ticks": 0, "scouts_running": 0}, now) == []
    # before the first tick ends, the start counts; a long tick is tolerated for 15 minutes
    fresh = {"tick_seconds": 60, "last_tick_at": None, "started_at": now.isoformat()}
    assert daemon_problems(fresh, now + timedelta(minutes=14)) == []
    assert daemon_problems(fresh, now + timedelta(minutes=16))[0].startswith("no tick since")


def test_the_grafana_dashboard_asks_only_for_metrics_sentinel_serves() -> None:
    import json
    import re

    from sentinel.metrics import Metrics

    served = set()
    for family in Metrics().registry.collect():
        served |= {family.name, family.name + "_total"}
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text("utf-8"))
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bsentinel_\w+", target["expr"])
    }
    assert asked and asked <= served, asked - served
