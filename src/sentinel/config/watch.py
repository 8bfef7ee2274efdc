"""Live configuration: the three YAML files are re-read when they change.

Two ways to notice a change, checked whenever the holder polls (the daemon at the start of
every tick, a worker at the start of every job), so a valid edit takes effect at the next one:
- a watchfiles task on the config directory (inotify, FSEvents, …) marks the configuration
  dirty as soon as a file is written, even one whose mtime and size come out unchanged;
- a stat of the three files (mtime and size), the fallback where filesystem events do not arrive
  (network mounts, some containers) or before the watch task runs.
A forced poll skips both and compares the files' contents: a worker does that when a job was
enqueued under another configuration than its own.
An invalid edit is logged as `file:line: message` and kept as `last_error` for the health view;
the last good configuration keeps running until the files are fixed.

What a valid configuration is, is the holder's `load` (`sentinel.sources.load_checked` adds the
checks on presets and selectors, which sit above this layer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import watchfiles

from sentinel.config.loader import FILES, Config, digest_of
from sentinel.errors import ConfigError, ConfigErrors

log = logging.getLogger(__name__)

Stamp = tuple[tuple[int, int] | None, ...]


def render_errors(e: ConfigError) -> list[str]:
    return [err.render() for err in (e.errors if isinstance(e, ConfigErrors) else [e])]


def _ours(change: watchfiles.Change, path: str) -> bool:
    # editors write swap and backup files next to the YAML; only the three files matter
    return Path(path).name in FILES


def files_digest(directory: Path) -> str:
    """The three files in `directory` as they are now, hashed as `Config.digest` hashes them."""
    out: list[bytes | None] = []
    for name in FILES:
        try:
            out.append((directory / name).read_bytes())
        except OSError:
            out.append(None)
    return digest_of(out)


class ConfigWatcher:
    """Polled for a new configuration; `load` reads and checks one (a ConfigError if invalid).

    `running`: the digest of the configuration its holder runs (`Config.digest`); files that
    differ from it are loaded at the first poll. Without it, the files as they are now count
    as running.
    """

    def __init__(
        self,
        directory: Path,
        *,
        load: Callable[[Path], Config],
        watch: bool = True,
        running: str | None = None,
    ) -> None:
        self.directory = directory
        self._load = load
        self._stamp = self.stamp()
        now = self.digest()
        self._digest = now if running is None else running
        self.last_error: str | None = None
        # set by the watch task, cleared by poll(); set now if the files were edited after the
        # running configuration was read from them
        self.dirty = self._digest != now
        self._watch = watch
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def watching(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start the watch task on the running loop (idempotent); False when there is no loop."""
        if not self._watch or self.watching:
            return self.watching
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stop), name="sentinel-config-watch")
        return True

    async def _run(self, stop: asyncio.Event) -> None:
        try:
            async for _ in watchfiles.awatch(
                self.directory, watch_filter=_ours, stop_event=stop, debounce=50, step=20
            ):
                self.dirty = True
        except Exception:  # no inotify, a removed directory, …: the stat check still works
            log.warning(
                "watching %s failed; falling back to checking it at each poll",
                self.directory,
                exc_info=True,
            )

    async def close(self) -> None:
        """Stop the watch task."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._stop is not None:
            self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=2)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def stamp(self) -> Stamp:
        out: list[tuple[int, int] | None] = []
        for name in FILES:
            try:
                st = (self.directory / name).stat()
            except OSError:
                out.append(None)
            else:
                out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def digest(self) -> str:
        """The three files' contents, hashed: what decides whether there is anything to load."""
        return files_digest(self.directory)

    def poll(self, *, force: bool = False) -> Config | None:
        """A new configuration if the files changed and are valid; None otherwise. `force`:
        compare the contents even though neither an event nor the stat said they changed."""
        self.start()
        stamp = self.stamp()
        if stamp == self._stamp and not self.dirty and not force:
            return None
        self._stamp, self.dirty = stamp, False
        # Events and stats only say something may have changed: an editor's save, a touch, or
        # a watch event arriving after the stat check already reloaded it would otherwise
        # reopen the patrol for the same files. An invalid edit is reported once, likewise.
        digest = self.digest()
        if digest == self._digest:
            return None
        self._digest = digest
        try:
            cfg = self._load(self.directory)
        except ConfigError as e:
            lines = render_errors(e)
            self.last_error = "\n".join(lines)
            for line in lines:
                log.error("configuration not reloaded, the last good one keeps running: %s", line)
            return None
        # what runs from now on, should a file have changed again between the hash and the read
        self._digest, self.last_error = cfg.digest, None
        log.warning("configuration reloaded from %s (%s)", self.directory, cfg.digest)
        return cfg

    def retry(self) -> None:
        """Offer the files again at the next poll: what they gave could not be put to use."""
        self._digest, self.dirty = "", True
