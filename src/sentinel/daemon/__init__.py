"""The daemon behind `sentinel run`: the tick, live configuration, digests and the dispatcher."""

from __future__ import annotations

from sentinel.daemon.dispatch import Dispatcher, DispatchReport, backoff
from sentinel.daemon.reload import ConfigWatcher, load_checked
from sentinel.daemon.service import Daemon, TickReport

__all__ = [
    "ConfigWatcher",
    "Daemon",
    "DispatchReport",
    "Dispatcher",
    "TickReport",
    "backoff",
    "load_checked",
]
