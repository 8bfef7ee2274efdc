"""Prometheus figures: what this process did (counters) and what the database holds (gauges).

Counters (patrols, pages, 304s, failures by kind, sweeps, deliveries, desk requests) count
since the process started, as Prometheus expects; `rate()` and `increase()` make sense of
restarts. In worker mode the patrol counters are the leading scheduler's: it counts what the
workers found at each tick (workers/tally.py), each source patrol once across all schedulers,
so their sum over the schedulers is the deployment's. Gauges (sources by health, alerts by
state and overdue, the outbox) are read from the database at each scrape (store/gauges.py), so
they are right whichever process did the work.

Each Metrics has its own registry: the daemon, its desk and each test build their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from sentinel.sources.health import State as HealthState

if TYPE_CHECKING:
    from sentinel.pipeline import PatrolReport
    from sentinel.store.gauges import Reading

CONTENT_TYPE = CONTENT_TYPE_LATEST
_P = "sentinel_"


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.patrols = Counter(
            _P + "patrols",
            "Patrols run, or enqueued for the workers (each over the sources due).",
            registry=r,
        )
        self.sources_patrolled = Counter(
            _P + "sources_patrolled", "Sources read by patrols, by result.", ["result"], registry=r
        )
        self.pages = Counter(
            _P + "pages_fetched",
            "Pages fetched: list pages, feeds and API answers (list), posts' own pages (detail).",
            ["kind"],
            registry=r,
        )
        self.not_modified = Counter(
            _P + "not_modified", "List pages and feeds answered 304 Not Modified.", registry=r
        )
        self.failures = Counter(
            _P + "source_failures",
            "Sources that failed in a patrol, by kind.",
            ["kind"],
            registry=r,
        )
        self.posts_new = Counter(_P + "posts_new", "New posts stored.", registry=r)
        self.stories_new = Counter(_P + "stories_new", "New stories opened.", registry=r)
        self.sweeps = Counter(
            _P + "deadline_sweeps", "Deadline sweeps run (after each duty patrol).", registry=r
        )
        self.deliveries = Counter(
            _P + "deliveries",
            "Notifications handed to their channel (sent) or refused by it (failed).",
            ["result"],
            registry=r,
        )
        self.last_tick = Gauge(
            _P + "last_tick_timestamp_seconds", "When the daemon's last tick began.", registry=r
        )
        self.requests = Counter(
            _P + "desk_requests",
            "Requests to the duty desk, by route (its template) and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.sources = Gauge(
            _P + "sources", "Sources by health (stored state).", ["health"], registry=r
        )
        self.sources_failing = Gauge(
            _P + "sources_failing", "Sources whose last fetch failed.", registry=r
        )
        self.alerts = Gauge(_P + "alerts", "Alerts by workflow state.", ["state"], registry=r)
        self.alerts_overdue = Gauge(
            _P + "alerts_overdue", "Open alerts with a step past its deadline.", registry=r
        )
        self.queued = Gauge(
            _P + "outbox_queued",
            "Notifications not sent yet: pushes and reminders (outbox), digests (digest).",
            ["table"],
            registry=r,
        )
        self.queued_failing = Gauge(
            _P + "outbox_failing",
            "Notifications not sent yet whose last delivery attempt failed.",
            ["table"],
            registry=r,
        )

    def patrolled(self, report: PatrolReport) -> None:
        """A patrol this process ran, and what it found."""
        self.patrols.inc()
        self.found(report)

    def enqueued(self) -> None:
        """Worker mode: a patrol enqueued for the workers (what they find comes to `found`)."""
        self.patrols.inc()

    def found(self, report: PatrolReport) -> None:
        """What source patrols found: a patrol run here, or in worker mode what the workers
        finished since the leading scheduler's last count (each patrol is counted once)."""
        self.sources_patrolled.labels("ok").inc(report.sources_ok)
        self.sources_patrolled.labels("failed").inc(report.sources_failed)
        self.pages.labels("list").inc(report.pages)
        self.pages.labels("detail").inc(report.details)
        self.not_modified.inc(report.not_modified)
        self.posts_new.inc(report.posts_new)
        self.stories_new.inc(report.stories_new)
        for s in report.sources:
            if not s.ok:
                self.failures.labels(s.error_kind or "other").inc()

    def swept(self) -> None:
        self.sweeps.inc()

    def ticked(self, at: datetime, *, sent: int, failed: int) -> None:
        self.last_tick.set(at.timestamp())
        self.deliveries.labels("sent").inc(sent)
        self.deliveries.labels("failed").inc(failed)

    def request(self, method: str, route: str, status: int) -> None:
        self.requests.labels(method, route, str(status)).inc()

    def read(self, reading: Reading) -> None:
        """Set the gauges to what the database holds now."""
        self.sources.clear()
        for state in HealthState:  # every health shown, at 0 when no source has it
            self.sources.labels(state.value).set(reading.sources_by_health.get(state.value, 0))
        self.sources_failing.set(reading.sources_failing)
        self.alerts.clear()
        for name, n in reading.alerts_by_state.items():
            self.alerts.labels(name).set(n)
        self.alerts_overdue.set(reading.alerts_overdue)
        for table, n in reading.queued.items():
            self.queued.labels(table).set(n)
            self.queued_failing.labels(table).set(reading.failing.get(table, 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
