"""Live configuration: the three YAML files are re-read when they change.

Checked at the start of every tick (a stat of three files), so a valid edit takes effect at
the next tick. An invalid edit is logged as `file:line: message` and kept as `last_error` for
the health view; the last good configuration keeps running until the files are fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sentinel.config import Config, load_config
from sentinel.config.loader import KEYWORDS, SETTINGS, SOURCES
from sentinel.errors import ConfigError, ConfigErrors

log = logging.getLogger(__name__)

Stamp = tuple[tuple[int, int] | None, ...]


def load_checked(directory: Path) -> Config:
    """The configuration in `directory`, with the source checks `sentinel check` runs."""
    from sentinel.sources import check

    cfg = load_config(directory)
    problems = check(cfg)
    if problems:
        raise ConfigErrors(problems)
    return cfg


def render_errors(e: ConfigError) -> list[str]:
    return [err.render() for err in (e.errors if isinstance(e, ConfigErrors) else [e])]


class ConfigWatcher:
    def __init__(self, directory: Path, *, load: Callable[[Path], Config] = load_checked) -> None:
        self.directory = directory
        self._load = load
        self._stamp = self.stamp()
        self.last_error: str | None = None

    def stamp(self) -> Stamp:
        out: list[tuple[int, int] | None] = []
        for name in (SOURCES, KEYWORDS, SETTINGS):
            try:
                st = (self.directory / name).stat()
            except OSError:
                out.append(None)
            else:
                out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def poll(self) -> Config | None:
        """A new configuration if the files changed and are valid; None otherwise."""
        stamp = self.stamp()
        if stamp == self._stamp:
            return None
        self._stamp = stamp  # an invalid edit is reported once, not at every tick
        try:
            cfg = self._load(self.directory)
        except ConfigError as e:
            lines = render_errors(e)
            self.last_error = "\n".join(lines)
            for line in lines:
                log.error("configuration not reloaded, the last good one keeps running: %s", line)
            return None
        self.last_error = None
        log.warning("configuration reloaded from %s", self.directory)
        return cfg
