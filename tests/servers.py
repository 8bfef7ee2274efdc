"""A real HTTP server on 127.0.0.1 for tests, in its own thread and event loop.

Sync tests, async tests (on any loop) and subprocesses can all reach it, and sockets, streaming
and timeouts behave as they do on the wire. scrapy's tests/mockserver is the model: content is
registered with `serve`, ad-hoc behaviour with `handle`, and `/fault/...` endpoints misbehave on
purpose (hang, error status, 64 MB body, gzip bomb, garbage bytes, redirect loop).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HANG_SECONDS = 3600.0
HUGE_BYTES = 64 * 1024 * 1024
_CHUNK = b"x" * 65536


@dataclass(frozen=True, kw_only=True, slots=True)
class _Entry:
    body: bytes
    content_type: str
    status: int
    headers: dict[str, str]
    etag: str | None


def _key(path: str, query: str) -> str:
    """path + query with its parameters sorted, so `?b=2&a=1` and `?a=1&b=2` are one key."""
    if not query:
        return path
    return f"{path}?{urlencode(sorted(parse_qsl(query, keep_blank_values=True)))}"


@functools.cache
def gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GiB of zeros.

    Compressing 1 GiB takes seconds; instead one steady-state deflate block (1 MiB of zeros
    after a window full of zeros, sync-flushed so it is byte-aligned) is repeated.
    """
    mib = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = comp.compress(mib) + comp.flush(zlib.Z_SYNC_FLUSH)
    steady = comp.compress(mib) + comp.flush(zlib.Z_SYNC_FLUSH)
    last = comp.compress(mib) + comp.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + first + steady * 1022 + last + struct.pack("<II", crc, 1 << 30)


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now (for servers started by other means)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalSite:
    """An aiohttp.web server on a free 127.0.0.1 port; start() it or use it as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._content: dict[str, _Entry] = {}
        self._handlers: dict[str, Handler] = {}
        self._hits: Counter[str] = Counter()
        self._sent: Counter[str] = Counter()
        self._requests: list[tuple[str, dict[str, str]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> LocalSite:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(loop, sock, ready), name=f"LocalSite:{self._port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("LocalSite did not start")
        return self

    def _run(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, ready: threading.Event
    ) -> None:
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Short shutdown: /fault/hang must not hold stop() for its full sleep.
        runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        self._runner = runner
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def stop(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(_shutdown(runner), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the tests call -------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str) -> str:
        return self.base + path

    def serve(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
    ) -> None:
        """Answer GET `path` (with its query, if any) with `body`; replaces earlier content."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        path, _, query = path.partition("?")
        entry = _Entry(
            body=data,
            content_type=content_type,
            status=status,
            headers=dict(headers or {}),
            etag=etag,
        )
        with self._lock:
            self._content[_key(path, query)] = entry

    def handle(self, path: str, fn: Handler) -> None:
        """Answer `path` (any query) with `fn`."""
        with self._lock:
            self._handlers[path] = fn

    def hits(self, path: str) -> int:
        """Requests received for `path`; with a query, for that exact path and query."""
        with self._lock:
            return self._hits[path if "?" not in path else _key(*path.split("?", 1))]

    def sent(self, path: str) -> int:
        """Body bytes a streaming fault endpoint managed to write (`/fault/huge`)."""
        with self._lock:
            return self._sent[path]

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(path with query, headers with lower-case names), in the order received."""
        with self._lock:
            return list(self._requests)

    # -- the server side -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path, query = request.path, request.query_string
        key = _key(path, query)
        with self._lock:
            self._hits[path] += 1
            if query:
                self._hits[key] += 1
            self._requests.append(
                (request.path_qs, {k.lower(): v for k, v in request.headers.items()})
            )
            entry = self._content.get(key) or self._content.get(path)
            handler = self._handlers.get(path)
        if entry is not None:
            return self._answer(request, entry)
        if handler is not None:
            return await handler(request)
        fault = _FAULTS.get(path)
        if fault is not None:
            return await fault(self, request)
        return web.Response(status=404, text="not found")

    @staticmethod
    def _answer(request: web.Request, entry: _Entry) -> web.Response:
        headers = {"Content-Type": entry.content_type, **entry.headers}
        if entry.etag is not None:
            headers["ETag"] = entry.etag
            wanted = request.headers.get("If-None-Match")
            if wanted is not None and (
                wanted.strip() == "*" or entry.etag in {t.strip() for t in wanted.split(",")}
            ):
                return web.Response(status=304, headers={"ETag": entry.etag})
        modified = entry.headers.get("Last-Modified")
        since = request.headers.get("If-Modified-Since")
        if modified and since and _not_after(modified, since):
            return web.Response(status=304, headers={"Last-Modified": modified})
        return web.Response(body=entry.body, status=entry.status, headers=headers)

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(HANG_SECONDS)
        return web.Response(text="too late")

    async def _status(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=int(request.query.get("n", "500")), text="fault")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = HUGE_BYTES
        await response.prepare(request)
        try:
            for _ in range(HUGE_BYTES // len(_CHUNK)):
                await response.write(_CHUNK)
                with self._lock:
                    self._sent[request.path] += len(_CHUNK)
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up, as it should
        return response

    async def _gzipbomb(self, request: web.Request) -> web.StreamResponse:
        body = gzip_bomb()
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
        return web.Response(body=body, headers=headers)

    async def _garbage(self, request: web.Request) -> web.StreamResponse:
        body = random.Random(request.query.get("seed", "0")).randbytes(8192)
        return web.Response(body=body, headers={"Content-Type": "text/html"})

    async def _redirect_loop(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/fault/loop"})

    async def _redirect_to(self, request: web.Request) -> web.StreamResponse:
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["url"]})


async def _shutdown(runner: web.AppRunner) -> None:
    # A connection whose client stopped reading (/fault/huge) would otherwise wait forever to
    # flush its buffer and be reported as an unclosed transport.
    server = runner.server
    for conn in server.connections if server is not None else []:
        if conn.transport is not None:
            conn.transport.abort()
    await runner.cleanup()


def _not_after(modified: str, since: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(modified) <= email.utils.parsedate_to_datetime(
            since
        )
    except (TypeError, ValueError):
        return modified == since


_FAULTS: dict[str, Callable[[LocalSite, web.Request], Awaitable[web.StreamResponse]]] = {
    "/fault/hang": LocalSite._hang,
    "/fault/status": LocalSite._status,
    "/fault/huge": LocalSite._huge,
    "/fault/gzipbomb": LocalSite._gzipbomb,
    "/fault/garbage": LocalSite._garbage,
    "/fault/loop": LocalSite._redirect_loop,
    "/fault/redirect-to": LocalSite._redirect_to,
}

__all__ = ["LocalSite", "gzip_bomb"]
