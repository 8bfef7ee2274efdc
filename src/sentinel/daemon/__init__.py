"""The daemon behind `sentinel run`: the tick, live configuration, digests and the dispatcher."""

from __future__ import annotations

from typing import Any

from sentinel.config import Config
from sentinel.config.watch import ConfigWatcher
from sentinel.daemon.dispatch import Dispatcher, DispatchReport, backoff
from sentinel.daemon.service import Daemon, TickReport
from sentinel.sources import load_checked


def daemon_for(cfg: Config, **kwargs: Any) -> Daemon:
    """The in-process daemon, or the scheduler of worker mode when `workers.enabled`."""
    if cfg.settings.workers.enabled:
        from sentinel.daemon.queued import QueuedDaemon

        return QueuedDaemon(cfg, **kwargs)
    return Daemon(cfg, **kwargs)


__all__ = [
    "ConfigWatcher",
    "Daemon",
    "DispatchReport",
    "Dispatcher",
    "TickReport",
    "backoff",
    "daemon_for",
    "load_checked",
]
