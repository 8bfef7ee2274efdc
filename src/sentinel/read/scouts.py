"""ScoutPool: reads pages in scout processes, so a patrol uses more than one core.

Python runs one thread of bytecode at a time; fetching and parsing a page cost about two
thirds of a patrol's CPU (bench/). The pool moves that part into N processes and keeps
matching, clustering and every write in the patrol's own, so the store keeps its one writer.

A host is always read by the same scout (crc32 of the host name), so per-host politeness,
robots.txt and Retry-After backoff stay whole in one Fetcher. A scout is started on first use
and again after it stopped; the reads it had in hand fail as FetchErrors of their sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import subprocess
import sys
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sentinel.config import Source
from sentinel.config.models import HttpSettings
from sentinel.errors import ExtractError, FetchError
from sentinel.extract.post import Post
from sentinel.fetch.page import FetchPolicy, Validators
from sentinel.read.pages import DetailRead, ListRead
from sentinel.read.wire import frame, read_frame, unpack_error

log = logging.getLogger("sentinel.read")

_AUTHORITIES = 10_000  # remembered host → scout choices (a list may link anywhere)
_START_WAIT = 60.0  # seconds a new scout may take to import and answer "ready"
_STOP_WAIT = 5.0  # seconds a scout is given to close its connections before it is killed


class ScoutLost(FetchError):
    """The scout process reading this page stopped."""


class _Scout:
    def __init__(self, settings: HttpSettings, number: int) -> None:
        self.settings = settings
        self.number = number
        self._start_lock = asyncio.Lock()
        self._process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()

    @property
    def running(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self.running else None

    async def start(self) -> None:
        await self._ensure()

    async def call(self, op: str, args: tuple[Any, ...]) -> Any:
        writer = await self._ensure()
        call_id = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = answer
        try:
            try:
                writer.write(frame((call_id, op, args)))
                await writer.drain()
            except ConnectionError as e:  # it stopped between the check and the write
                writer.close()
                raise ScoutLost(f"scout process {self.number} stopped") from e
            return await answer
        finally:
            self._pending.pop(call_id, None)

    async def _ensure(self) -> asyncio.StreamWriter:
        if self._writer is not None and self.running:
            return self._writer
        async with self._start_lock:
            if self._writer is not None and self.running:
                return self._writer
            await self._reap()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "sentinel.read.scout",
                    str(theirs.fileno()),
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                )
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            reader, writer = await asyncio.open_unix_connection(sock=ours)
            try:
                writer.write(frame(self.settings))
                hello = await asyncio.wait_for(read_frame(reader), _START_WAIT)
            except (TimeoutError, ConnectionError):
                hello = None
            if hello != "ready":
                writer.close()
                process, self._process = self._process, None
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                code = await process.wait()
                raise ScoutLost(f"scout process {self.number} did not start (exit code {code})")
            self._writer = writer
            self._listener = asyncio.create_task(self._listen(reader, writer))
            log.info("scout %d started (pid %d)", self.number, self._process.pid)
            return writer

    async def _listen(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (reply := await read_frame(reader)) is not None:
                call_id, ok, payload = reply
                answer = self._pending.get(call_id)
                if answer is None or answer.done():
                    continue
                if ok:
                    answer.set_result(payload)
                else:
                    answer.set_exception(unpack_error(payload))
        except (OSError, EOFError, ValueError) as e:
            log.warning("scout %d: broken reply (%s)", self.number, e)
        finally:
            # closed before the reads in hand fail, so a retry starts a new scout
            writer.close()
            lost = [f for f in self._pending.values() if not f.done()]
            if lost:
                code = self._process.returncode if self._process is not None else None
                log.warning(
                    "scout %d stopped with %d reads in hand (exit code %s)",
                    self.number,
                    len(lost),
                    code,
                )
            for answer in lost:
                answer.set_exception(ScoutLost(f"scout process {self.number} stopped"))

    async def _reap(self) -> None:
        """Close the connection and wait for the process (killed if it will not stop)."""
        writer, process, listener = self._writer, self._process, self._listener
        self._writer = self._process = self._listener = None
        if writer is not None:
            writer.close()
        if process is not None:
            try:
                await asyncio.wait_for(process.wait(), _STOP_WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()
        if listener is not None:
            await listener

    async def aclose(self) -> None:
        async with self._start_lock:
            await self._reap()


class ScoutPool:
    """A Reader that reads in `processes` scout processes."""

    def __init__(self, settings: HttpSettings, processes: int) -> None:
        if processes < 1:
            raise ValueError("a scout pool needs at least one process")
        # `concurrency` is the requests in flight in all: each scout gets its share
        share = settings.model_copy(update={"concurrency": -(-settings.concurrency // processes)})
        self._scouts = [_Scout(share, n) for n in range(processes)]
        self._by_authority: dict[str, int] = {}

    async def start(self) -> None:
        """Start every scout now rather than on first use (each imports for a moment)."""
        await asyncio.gather(*(s.start() for s in self._scouts))

    @property
    def pids(self) -> list[int]:
        """The running scouts' process ids (what a benchmark adds to the patrol's CPU)."""
        return [pid for s in self._scouts if (pid := s.pid) is not None]

    def _index(self, url: str) -> int:
        # by the URL's authority (a cheap split), and each authority's host hashed once
        authority = url.partition("//")[2].partition("/")[0]
        index = self._by_authority.get(authority)
        if index is None:
            host = (urlsplit(url).hostname or "").encode()
            index = zlib.crc32(host) % len(self._scouts)
            if len(self._by_authority) >= _AUTHORITIES:
                self._by_authority.clear()
            self._by_authority[authority] = index
        return index

    async def read_list(
        self,
        src: Source,
        policy: FetchPolicy,
        url: str,
        validators: Validators | None,
        *,
        first: bool,
        more: bool,
    ) -> ListRead:
        page, posts, error, blocked, next_url, skipped = await self._scouts[self._index(url)].call(
            "list", (src, policy, url, validators, first, more)
        )
        failed = unpack_error(error) if error is not None else None
        if failed is not None and not isinstance(failed, ExtractError):
            raise failed
        return ListRead(
            page=page,
            posts=posts,
            error=failed,
            blocked=blocked,
            next_url=next_url,
            skipped=skipped,
        )

    async def read_details(
        self, src: Source, policy: FetchPolicy, posts: Sequence[Post]
    ) -> list[DetailRead]:
        groups: dict[int, list[Post]] = {}
        for post in posts:
            groups.setdefault(self._index(post.url), []).append(post)
        parts = await asyncio.gather(
            *(self._scouts[n].call("details", (src, policy, group)) for n, group in groups.items())
        )
        return [
            DetailRead(post=post, page=page, failure=failure)
            for part in parts
            for post, page, failure in part
        ]

    async def aclose(self) -> None:
        await asyncio.gather(*(s.aclose() for s in self._scouts))
