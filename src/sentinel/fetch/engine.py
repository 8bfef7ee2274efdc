"""Engines: the one HTTP exchange under the Fetcher (send a GET, hand back status, headers, body).

The default engine drives aiohttp directly. The URL is parsed once, by yarl (which aiohttp uses
itself), and no httpx Request or Response is built: those objects cost ~0.13 ms of CPU per
request (httpx.URL alone ~40 µs, parsed again by aiohttp from its string), a quarter of a whole
fetch, measured with bench/fetch_micro.py. httpx stays the engine for `http.transport: httpx`,
for SOCKS proxies (aiohttp has no SOCKS), and for any httpx transport handed to the Fetcher.

Either engine sends exactly the headers it is given, keeps no cookies, follows no redirects and
leaves the body encoded: the Fetcher does all of that itself, the same way for both.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

RawHeaders = Sequence[tuple[bytes, bytes]]


class Reply(Protocol):
    """One answer, its body not read yet."""

    @property
    def status(self) -> int: ...

    @property
    def raw_headers(self) -> RawHeaders: ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, still in its Content-Encoding."""
        ...

    async def aclose(self) -> None:
        """Give the connection back (or drop it when the body was not read to its end)."""
        ...


class Engine(Protocol):
    async def send(self, url: URL, headers: CIMultiDict[str]) -> Reply: ...

    async def aclose(self) -> None: ...


# ------------------------------------------------------------------------------------ aiohttp


class AiohttpEngine:
    """GETs on one aiohttp session, created on the first request (it must be in the loop)."""

    def __init__(
        self,
        *,
        connections: int,
        timeout: float,
        ssl_context: ssl.SSLContext,
        proxy: str | None = None,
    ) -> None:
        self._connections = connections
        self._ssl = ssl_context
        # connect: from asking the pool to a connected socket; each read has its own bound
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        self._proxy: URL | None = None
        if proxy:
            url = URL(proxy)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(f"not an http(s) proxy URL: {proxy!r}")
            # Credentials in the URL are aiohttp's to send: as Proxy-Authorization on each
            # plain-HTTP request, on the CONNECT for HTTPS.
            self._proxy = url
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._connections, keepalive_timeout=5.0, ssl=self._ssl
        )
        # No cookie jar: one shared by every site would mix their cookies; a source's own
        # cookies travel in its headers. No default headers: the Fetcher sends its own.
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        return self._session

    async def send(self, url: URL, headers: CIMultiDict[str]) -> Reply:
        session = self._session or self._open()
        response = await session.request(
            "GET",
            url,
            headers=headers,
            allow_redirects=False,
            auto_decompress=False,  # body.read_capped undoes gzip/deflate under the size cap
            timeout=self._timeout,
            proxy=self._proxy,
        )
        return _AiohttpReply(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _AiohttpReply:
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def raw_headers(self) -> RawHeaders:
        return self._response.raw_headers

    def chunks(self) -> AsyncIterator[bytes]:
        # as received: no re-chunking into fixed sizes, no copies
        return self._response.content.iter_any().__aiter__()

    async def aclose(self) -> None:
        self._response.release()


# -------------------------------------------------------------------------------------- httpx


class HttpxEngine:
    """GETs through an httpx transport (httpcore's own, or one handed in), straight to the
    transport: the client's send path would add auth, redirects, cookies and event hooks, all
    done by the Fetcher or not wanted. The client owns the transport and closes it."""

    def __init__(
        self,
        *,
        connections: int,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        proxy: str | None = None,
    ) -> None:
        if transport is None:
            limits = httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections
            )
            # SOCKS proxies need the socksio package; a missing one is an ImportError here
            transport = httpx.AsyncHTTPTransport(limits=limits, proxy=proxy, trust_env=False)
        self._transport = transport
        self._client = httpx.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False
        )
        self._extensions = {
            "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        }

    async def send(self, url: URL, headers: CIMultiDict[str]) -> Reply:
        request = httpx.Request(
            "GET", str(url), headers=list(headers.items()), extensions=self._extensions
        )
        return _HttpxReply(await self._transport.handle_async_request(request))

    async def aclose(self) -> None:
        await self._client.aclose()


class _HttpxReply:
    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def raw_headers(self) -> RawHeaders:
        return self._response.headers.raw

    def chunks(self) -> AsyncIterator[bytes]:
        stream = self._response.stream
        # The transport's own byte stream, raw (no httpx decoders), without aiter_raw's
        # re-chunking and bookkeeping on top.
        if isinstance(stream, httpx.AsyncByteStream):
            return stream.__aiter__()
        return self._response.aiter_raw()

    async def aclose(self) -> None:
        await self._response.aclose()
