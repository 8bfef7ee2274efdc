"""Typed model of the worker mode's part of `sentinel.yaml` (mounted as `workers:`).

    workers:
      enabled: true          # `sentinel run` enqueues patrols; `sentinel worker` runs them
      lock: host             # a host patrolled by one worker at a time (or: source)
      concurrency: 8         # sources one worker process patrols at once
      stall_timeout: 60s     # a worker silent this long is dead: its jobs are run again
      duty_wait: 10m         # how long a duty patrol waits for its jobs before the digests

Worker mode needs PostgreSQL: the queue (procrastinate) lives in the same database as the store.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from sentinel.config.base import Duration, Strict


class WorkersConfig(Strict):
    enabled: bool = Field(
        False,
        description="patrols run as jobs by `sentinel worker` processes (PostgreSQL only)",
    )
    lock: Literal["host", "source"] = Field(
        "host",
        description="a host's sources are patrolled by one worker at a time (politeness across "
        "workers), or only each source",
    )
    concurrency: int = Field(8, ge=1, le=256, description="sources one worker patrols at once")
    stall_timeout: Duration = Field(
        timedelta(seconds=60),
        description="a worker without a heartbeat for this long is dead; its jobs run again (a "
        "worker whose process dies or whose node drops off is noticed sooner, by its life lock: "
        "within about a second, or 12 s)",
    )
    heartbeat: Duration = Field(
        timedelta(seconds=10), description="how often a worker says it is alive"
    )
    duty_wait: Duration = Field(
        timedelta(minutes=10),
        description="how long a duty patrol waits for its jobs before its digests go out",
    )
