"""The Fetcher: every HTTP request Sentinel makes goes through one of these.

One engine (engine.py) does the exchange itself: aiohttp by default, driven directly, or httpx
(`http.transport: httpx`, SOCKS proxies, or a transport handed in). Everything else is done
here, the same way whichever engine runs.

Around each request, in order:
the address rule, robots.txt, per-host politeness, the global concurrency limit, then one
exchange bounded by a deadline. Redirects are followed here, hop by hop, so each hop passes the
same checks. Every failure leaves as a `FetchError` carrying the URL and the source id.

Timeouts: `settings.timeout` bounds connecting and each read; an exchange as a whole (connect,
headers, body) is bounded by three times that, so a server dripping one byte per read interval
cannot hold a slot for ever. Time spent waiting for politeness is not part of the deadline.

429/503: the answer raises HTTPStatusError with `retry_after` (the header's seconds, or our
backoff) and the host is off limits until then. Later requests to it wait when the rest of that
time fits within `settings.timeout`; otherwise they fail at once with HTTPStatusError (same
status, `retry_after` = time left) without being sent — the patrol moves on and the source is
tried again on its next round, rather than a worker sleeping for minutes.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import TracebackType

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

from sentinel.config.models import HttpSettings
from sentinel.errors import (
    AddressRefused,
    DecodeError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from sentinel.fetch.address import AddressRule, Resolver
from sentinel.fetch.body import BadEncoding, OverCap, read_capped
from sentinel.fetch.engine import AiohttpEngine, Engine, HttpxEngine, RawHeaders, Reply
from sentinel.fetch.page import FetchPolicy, Page, Validators
from sentinel.fetch.politeness import (
    Backoff,
    HostState,
    Politeness,
    SharedPace,
    parse_retry_after,
)
from sentinel.fetch.robots import RobotsCache, SharedRobots, agent_token

REDIRECTS = frozenset({301, 302, 303, 307, 308})
REFUSALS = frozenset({429, 503})
DEADLINE_FACTOR = 3.0

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9,en;q=0.5"

# Raised by httpx, the transports and the socket layer for a request that failed on the wire.
_WIRE_ERRORS = (httpx.HTTPError, httpx.InvalidURL, aiohttp.ClientError, OSError, UnicodeError)


class Fetcher:
    """GET with timeouts, a size cap, redirects, conditional GET, politeness, robots and the
    address rule. Use one per process (`async with Fetcher(settings) as f`)."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = s = settings
        self._timeout = settings.timeout
        self._deadline = settings.timeout * DEADLINE_FACTOR
        self._cap = settings.max_bytes
        self._max_redirects = settings.max_redirects
        self._headers: CIMultiDict[str] = CIMultiDict(
            {
                "User-Agent": s.agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
                # only what body.read_capped can undo under the cap
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._ssl: ssl.SSLContext | None = None
        self._engine = self._make_engine(transport=transport)
        self._proxied: dict[str, Engine] = {}
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._politeness = Politeness(clock=clock, sleep=sleep)
        self._addresses = AddressRule(resolver, clock=clock)
        self._robots = RobotsCache(self._get_robots, agent=agent_token(settings.agent), clock=clock)
        self._clock = clock

    @property
    def politeness(self) -> Politeness:
        return self._politeness

    def share(self, pace: SharedPace, robots: SharedRobots) -> None:
        """Hold each host's rate and keep its robots.txt with every process sharing these."""
        self._politeness.shared = pace
        self._robots.shared = robots

    # -- lifecycle -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._robots.aclose()
        engines = [self._engine, *self._proxied.values()]
        self._proxied.clear()
        for engine in engines:
            await engine.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the one public verb -------------------------------------------------------------------

    async def get(
        self, url: str, *, policy: FetchPolicy, validators: Validators | None = None
    ) -> Page:
        """The page at `url` (after redirects), or a FetchError subclass."""
        started = time.perf_counter()
        engine = self._engine if policy.proxy is None else self._proxy_engine(policy, url)
        headers = self._request_headers(policy, validators)
        own_host = _host(url) if policy.headers or policy.cookies else None
        current = url
        seen: set[str] | None = None
        for _hop in range(self._max_redirects + 1):
            if own_host is not None and current != url and _host(current) != own_host:
                # the source's headers and cookies stay with its own host
                headers = self._request_headers(_BARE, validators)
                own_host = None
            try:
                result = await self._hop(engine, current, url, headers, policy, validators, started)
            except FetchError:
                raise
            except Backoff as e:
                raise HTTPStatusError(
                    e.status,
                    url=current,
                    source_id=policy.source_id,
                    retry_after=e.remaining,
                    message=f"HTTP {e.status} earlier; host asked to wait {e.remaining:.0f}s more",
                ) from None
            except OverCap:
                raise TooLarge(
                    f"body over {self._cap} bytes", url=current, source_id=policy.source_id
                ) from None
            except BadEncoding:
                raise DecodeError(
                    "corrupt gzip/deflate body", url=current, source_id=policy.source_id
                ) from None
            except TimeoutError as e:
                raise FetchTimeout(url=current, source_id=policy.source_id) from e
            except _WIRE_ERRORS as e:
                raise _wire_error(e, current, policy.source_id) from e
            if isinstance(result, Page):
                return result
            if seen is None:
                seen = {current}
            if result in seen:
                raise TooManyRedirects("redirect loop", url=current, source_id=policy.source_id)
            seen.add(result)
            current = result
        raise TooManyRedirects(
            f"more than {self._max_redirects} redirects", url=url, source_id=policy.source_id
        )

    # -- one hop -------------------------------------------------------------------------------

    async def _hop(
        self,
        engine: Engine,
        current: str,
        requested: str,
        headers: CIMultiDict[str],
        policy: FetchPolicy,
        validators: Validators | None,
        started: float,
    ) -> Page | str:
        """A Page, or the absolute URL a redirect points to."""
        try:
            target = URL(current)
            if target.scheme not in ("http", "https") or not target.host:
                raise ValueError
            host = target.host_port_subcomponent or ""  # as sent in Host: IDNA, no default port
        except ValueError:
            raise NetworkError(
                f"not an http(s) URL: {current[:200]}", url=current, source_id=policy.source_id
            ) from None
        if not policy.allow_private and not await self._addresses.public(target.host):
            raise AddressRefused(url=current, source_id=policy.source_id)
        if policy.robots and not await self._robots.allowed(
            f"{target.scheme}://{host}", current, policy
        ):
            raise RobotsDisallowed(url=current, source_id=policy.source_id)

        gate = self._politeness
        st = await gate.acquire(
            host, rate=policy.rate, concurrency=policy.concurrency, max_wait=self._timeout
        )
        try:
            async with self._slots, asyncio.timeout(self._deadline):
                reply = await engine.send(target, headers)
                try:
                    return await self._answer(
                        reply, target, st, current, requested, policy, validators, started
                    )
                finally:
                    await reply.aclose()
        finally:
            gate.release(st)

    async def _answer(
        self,
        reply: Reply,
        target: URL,
        st: HostState,
        current: str,
        requested: str,
        policy: FetchPolicy,
        validators: Validators | None,
        started: float,
    ) -> Page | str:
        status = reply.status
        h = _Wanted(reply.raw_headers)
        if status in REFUSALS:
            retry_after = parse_retry_after(h.retry_after)
            wait = self._politeness.refused(st, status, retry_after, self._clock())
            raise HTTPStatusError(status, url=current, source_id=policy.source_id, retry_after=wait)
        self._politeness.answered(st)
        if status in REDIRECTS:
            if h.location:
                return _join(target, h.location.strip(), current, policy.source_id)
            raise HTTPStatusError(status, url=current, source_id=policy.source_id)
        if status != 304 and not 200 <= status < 300:
            raise HTTPStatusError(status, url=current, source_id=policy.source_id)
        if status == 304:
            return Page(
                url=current,
                requested_url=requested,
                status=304,
                validators=_validators(h, validators),
                fetched_at=datetime.now(UTC),
                elapsed=time.perf_counter() - started,
            )
        if (
            not h.encoding
            and h.length is not None
            and h.length.isdigit()
            and int(h.length) > self._cap
        ):
            raise OverCap  # said up front: not worth reading
        body = await read_capped(reply.chunks(), h.encoding, self._cap)
        media, charset = _content_type(h.content_type)
        return Page(
            url=current,
            requested_url=requested,
            status=status,
            content_type=media,
            charset=charset,
            body=body,
            validators=_validators(h, None),
            fetched_at=datetime.now(UTC),
            elapsed=time.perf_counter() - started,
        )

    async def _get_robots(self, url: str, policy: FetchPolicy) -> Page:
        return await self.get(url, policy=policy)

    def _request_headers(
        self, policy: FetchPolicy, validators: Validators | None
    ) -> CIMultiDict[str]:
        extra = policy.headers
        etag = validators.etag if validators is not None else None
        modified = validators.last_modified if validators is not None else None
        if not extra and not policy.cookies and etag is None and modified is None:
            return self._headers  # the common case; the engines copy it, never change it
        headers = self._headers.copy()
        for name, value in extra:
            headers[name] = value
        if policy.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in policy.cookies)
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return headers

    # -- engines -------------------------------------------------------------------------------

    def _make_engine(
        self, *, transport: httpx.AsyncBaseTransport | None = None, proxy: str | None = None
    ) -> Engine:
        s = self._settings
        if (
            transport is None
            and s.transport == "aiohttp"
            and (proxy is None or proxy.startswith("http"))
        ):
            if self._ssl is None:
                # loads the CA files: once per Fetcher, and not in the event loop
                self._ssl = httpx.create_ssl_context(trust_env=False)
            return AiohttpEngine(
                connections=s.concurrency, timeout=s.timeout, ssl_context=self._ssl, proxy=proxy
            )
        return HttpxEngine(
            connections=s.concurrency, timeout=s.timeout, transport=transport, proxy=proxy
        )

    def _proxy_engine(self, policy: FetchPolicy, url: str) -> Engine:
        proxy = policy.proxy or ""
        engine = self._proxied.get(proxy)
        if engine is None:
            try:
                engine = self._make_engine(proxy=proxy)
            except (ImportError, ValueError, httpx.InvalidURL) as e:
                raise NetworkError(
                    f"unusable proxy {proxy!r}: {e}", url=url, source_id=policy.source_id
                ) from e
            self._proxied[proxy] = engine
        return engine


def _host(url: str) -> str | None:
    try:
        return URL(url).host
    except ValueError:
        return None


def _join(base: URL, location: str, current: str, source_id: str) -> str:
    try:
        return str(base.join(URL(location)))
    except ValueError:
        raise NetworkError(
            f"unusable redirect to {location[:200]!r}", url=current, source_id=source_id
        ) from None


class _Wanted:
    """The response headers a Page needs, found in one pass (httpx's Headers.get scans the whole
    list each time)."""

    __slots__ = (
        "content_type",
        "encoding",
        "etag",
        "last_modified",
        "length",
        "location",
        "retry_after",
    )

    def __init__(self, raw: RawHeaders) -> None:
        self.content_type = self.encoding = ""
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.length: str | None = None
        self.location: str | None = None
        self.retry_after: str | None = None
        for key, value in raw:
            name = key.lower()
            if name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-encoding":
                self.encoding = value.decode("latin-1")
            elif name == b"content-length":
                self.length = value.decode("latin-1")
            elif name == b"etag":
                self.etag = value.decode("latin-1")
            elif name == b"last-modified":
                self.last_modified = value.decode("latin-1")
            elif name == b"location":
                self.location = _text(value)
            elif name == b"retry-after":
                self.retry_after = value.decode("latin-1")


def _text(value: bytes) -> str:
    """A header value that may carry a raw UTF-8 URL (servers send them): UTF-8 where it is."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _validators(headers: _Wanted, previous: Validators | None) -> Validators:
    etag = headers.etag
    modified = headers.last_modified
    if previous is not None:
        etag = etag or previous.etag
        modified = modified or previous.last_modified
    if etag is None and modified is None:
        return _NO_VALIDATORS
    return Validators(etag=etag, last_modified=modified)


_NO_VALIDATORS = Validators()
_BARE = FetchPolicy()  # no headers or cookies of a source's own


def _content_type(value: str) -> tuple[str, str | None]:
    media, _, params = value.partition(";")
    charset = None
    if params:
        for param in params.split(";"):
            key, _, val = param.partition("=")
            if key.strip().lower() == "charset":
                charset = val.strip().strip("\"'") or None
    return media.strip().lower(), charset


def _wire_error(e: BaseException, url: str, source_id: str) -> FetchError:
    """FetchTimeout or NetworkError for an exception from httpx, aiohttp or the socket layer."""
    if isinstance(e, httpx.TimeoutException):
        return FetchTimeout(url=url, source_id=source_id)
    return NetworkError(_describe(e), url=url, source_id=source_id)


def _describe(e: BaseException) -> str:
    if isinstance(e, aiohttp.ClientConnectorDNSError):
        e = e.os_error
    if isinstance(e, socket.gaierror):
        # What an operator sees in `sources status`: say it plainly, the host is in the URL.
        return f"cannot resolve the host name ({e.strerror or e})"
    text = str(e).strip()
    return f"{type(e).__name__}: {text}"[:300] if text else type(e).__name__
