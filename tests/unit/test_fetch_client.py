"""The Fetcher against a real local server, on both transports."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from sentinel.config.models import HttpSettings
from sentinel.errors import (
    AddressRefused,
    DecodeError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from sentinel.fetch import Fetcher, FetchPolicy, Validators
from tests.servers import HUGE_BYTES, LocalSite

POLICY = FetchPolicy(source_id="src", rate=1000.0, concurrency=8, allow_private=True)

MakeFetcher = Callable[..., Fetcher]


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make(transport: str) -> AsyncIterator[MakeFetcher]:
    """Fetchers on the parametrized transport; all closed after the test."""
    made: list[Fetcher] = []

    def factory(**kwargs: Any) -> Fetcher:
        settings: dict[str, Any] = {"timeout": 2.0, "max_bytes": 200_000, "transport": transport}
        settings.update(kwargs.pop("settings", {}))
        f = Fetcher(HttpSettings(**settings), **kwargs)
        made.append(f)
        return f

    yield factory
    for f in made:
        await f.aclose()


def seen(site: LocalSite, path: str) -> list[dict[str, str]]:
    return [h for p, h in site.requests() if p == path]


# -- plain answers -------------------------------------------------------------------------------


async def test_page_fields_and_user_agent(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/a.html", "<p>你好</p>", content_type="text/html; charset=GBK")
    f = make(settings={"contact": "ops@example.gov.cn"})
    page = await f.get(site.url("/a.html"), policy=POLICY)
    assert page.status == 200 and not page.not_modified
    assert page.body == "<p>你好</p>".encode()
    assert (page.content_type, page.charset) == ("text/html", "GBK")
    assert page.url == page.requested_url == site.url("/a.html")
    assert page.fetched_at.tzinfo is not None and page.elapsed > 0
    (headers,) = seen(site, "/a.html")
    assert headers["user-agent"] == "SentinelBot/0.1 (public-opinion monitor; +ops@example.gov.cn)"
    assert headers["accept-encoding"] == "gzip, deflate"


async def test_policy_headers_are_sent(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/h", "ok")
    policy = FetchPolicy(
        rate=1000.0, allow_private=True, headers=(("Cookie", "sid=abc"), ("X-Token", "t"))
    )
    await make().get(site.url("/h"), policy=policy)
    (headers,) = seen(site, "/h")
    assert headers["cookie"] == "sid=abc" and headers["x-token"] == "t"


async def test_garbage_is_still_a_page(site: LocalSite, make: MakeFetcher) -> None:
    page = await make().get(site.url("/fault/garbage"), policy=POLICY)
    assert page.status == 200 and len(page.body) == 8192


# -- conditional GET -----------------------------------------------------------------------------


async def test_etag_round_trip(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/feed.xml", "<rss/>", content_type="application/rss+xml", etag='"v1"')
    f = make()
    first = await f.get(site.url("/feed.xml"), policy=POLICY)
    assert first.status == 200 and first.validators == Validators(etag='"v1"')
    second = await f.get(site.url("/feed.xml"), policy=POLICY, validators=first.validators)
    assert second.status == 304 and second.not_modified and second.body == b""
    assert second.validators.etag == '"v1"'
    assert [h.get("if-none-match") for h in seen(site, "/feed.xml")] == [None, '"v1"']


async def test_last_modified_round_trip(site: LocalSite, make: MakeFetcher) -> None:
    stamp = "Wed, 18 Nov 2026 08:00:00 GMT"
    site.serve("/list", "<ul></ul>", headers={"Last-Modified": stamp})
    f = make()
    first = await f.get(site.url("/list"), policy=POLICY)
    assert first.validators == Validators(last_modified=stamp)
    second = await f.get(site.url("/list"), policy=POLICY, validators=first.validators)
    assert second.status == 304
    assert second.validators.last_modified == stamp
    assert [h.get("if-modified-since") for h in seen(site, "/list")] == [None, stamp]


# -- faults --------------------------------------------------------------------------------------


async def test_hang_times_out(site: LocalSite, make: MakeFetcher) -> None:
    with pytest.raises(FetchTimeout) as e:
        await make(settings={"timeout": 0.3}).get(site.url("/fault/hang"), policy=POLICY)
    assert e.value.url == site.url("/fault/hang") and e.value.source_id == "src"
    assert e.value.kind == "fetch_timeout"


async def test_body_that_stalls_times_out(site: LocalSite, make: MakeFetcher) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b"<html>")
        await asyncio.sleep(3600)
        return response

    site.handle("/stall", stall)
    with pytest.raises(FetchTimeout):
        await make(settings={"timeout": 0.3}).get(site.url("/stall"), policy=POLICY)


async def test_error_status(site: LocalSite, make: MakeFetcher) -> None:
    with pytest.raises(HTTPStatusError) as e:
        await make().get(site.url("/fault/status?n=500"), policy=POLICY)
    assert e.value.status == 500 and e.value.retry_after is None
    assert e.value.url == site.url("/fault/status?n=500") and e.value.source_id == "src"
    with pytest.raises(HTTPStatusError) as e404:
        await make().get(site.url("/missing"), policy=POLICY)
    assert e404.value.status == 404


async def test_connection_refused_is_a_network_error(make: MakeFetcher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError) as e:
        await make().get(f"http://127.0.0.1:{port}/", policy=POLICY)
    assert e.value.source_id == "src"


async def test_huge_body_is_cut_off(site: LocalSite, make: MakeFetcher) -> None:
    with pytest.raises(TooLarge) as e:
        await make().get(site.url("/fault/huge"), policy=POLICY)
    assert e.value.url == site.url("/fault/huge")
    # The server could write only what socket buffers hold before we hung up.
    assert site.sent("/fault/huge") < HUGE_BYTES // 2


async def test_declared_length_over_cap_is_refused_unread(
    site: LocalSite, make: MakeFetcher
) -> None:
    site.serve("/big", b"x" * 300_000)
    with pytest.raises(TooLarge):
        await make().get(site.url("/big"), policy=POLICY)


async def test_gzip_bomb_is_cut_off(site: LocalSite, make: MakeFetcher) -> None:
    with pytest.raises(TooLarge):
        await make().get(site.url("/fault/gzipbomb"), policy=POLICY)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        # "deflate" as old IIS sends it: raw, without the zlib header
        ("deflate", lambda b: zlib.compress(b)[2:-4]),
    ],
)
async def test_compressed_body_is_decoded(
    site: LocalSite, make: MakeFetcher, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    text = ("<li>女山湖镇强拆农户房屋</li>" * 500).encode()
    site.serve("/z", compress(text), headers={"Content-Encoding": encoding})
    page = await make().get(site.url("/z"), policy=POLICY)
    assert page.body == text


async def test_corrupt_gzip_is_a_fetch_error(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/bad.gz", b"\x1f\x8b\x08\x00garbage-garbage", headers={"Content-Encoding": "gzip"})
    with pytest.raises(DecodeError) as e:
        await make().get(site.url("/bad.gz"), policy=POLICY)
    assert e.value.url == site.url("/bad.gz")


# -- redirects -----------------------------------------------------------------------------------


async def test_redirect_followed(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/new", "moved here")
    start = site.url("/fault/redirect-to?url=/new&status=301")
    page = await make().get(start, policy=POLICY)
    assert page.body == b"moved here"
    assert page.url == site.url("/new") and page.requested_url == start


async def test_redirect_to_a_raw_utf8_location(site: LocalSite, make: MakeFetcher) -> None:
    # Chinese sites send Location with unescaped UTF-8; it is followed, percent-encoded.
    site.serve("/新闻/第1页.html", "到了")
    site.serve("/old", "", status=302, headers={"Location": "/新闻/第1页.html"})
    page = await make().get(site.url("/old"), policy=POLICY)
    assert page.body == "到了".encode()
    assert page.url == site.url("/%E6%96%B0%E9%97%BB/%E7%AC%AC1%E9%A1%B5.html")


@pytest.mark.parametrize(
    "url", ["http://[::1/x", "http://127.0.0.1:99999/", "ftp://127.0.0.1/", "http:///nohost"]
)
async def test_unusable_url_is_a_network_error(make: MakeFetcher, url: str) -> None:
    with pytest.raises(NetworkError) as e:
        await make().get(url, policy=POLICY)
    assert e.value.url == url and e.value.source_id == "src"


async def test_redirect_loop(site: LocalSite, make: MakeFetcher) -> None:
    with pytest.raises(TooManyRedirects) as e:
        await make().get(site.url("/fault/loop"), policy=POLICY)
    assert "loop" in e.value.message and e.value.source_id == "src"
    assert site.hits("/fault/loop") == 1  # the second visit is recognised before it is sent


async def test_redirect_chain_over_cap(site: LocalSite, make: MakeFetcher) -> None:
    for i in range(4):
        site.serve(f"/r{i}", "", status=302, headers={"Location": f"/r{i + 1}"})
    site.serve("/r4", "end")
    f = make(settings={"max_redirects": 3})
    with pytest.raises(TooManyRedirects):
        await f.get(site.url("/r0"), policy=POLICY)
    assert site.hits("/r4") == 0
    page = await make(settings={"max_redirects": 4}).get(site.url("/r0"), policy=POLICY)
    assert page.body == b"end"


# -- the address rule ----------------------------------------------------------------------------


class Rewrite(httpx.AsyncBaseTransport):
    """Sends requests for a made-up public name to the local site instead."""

    def __init__(self, inner: httpx.AsyncBaseTransport, name: str, site: LocalSite) -> None:
        self.inner, self.name, self.site = inner, name, site

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.name:
            request.url = request.url.copy_with(host="127.0.0.1", port=self.site.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def resolver(table: dict[str, list[str]]) -> Callable[[str], Awaitable[list[str]]]:
    async def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


async def test_redirect_to_private_address_refused(site: LocalSite) -> None:
    # A transport handed in always runs under the httpx engine; the address rule is checked
    # by the Fetcher on every hop, before any engine is asked.
    site.serve("/secret", "office intranet")
    async with Fetcher(
        HttpSettings(timeout=2.0),
        transport=Rewrite(httpx.AsyncHTTPTransport(), "news.example.com", site),
        resolver=resolver({"news.example.com": ["93.184.216.34"]}),
    ) as f:
        public = FetchPolicy(source_id="src", rate=1000.0)  # allow_private=False
        site.serve("/hello", "public page")
        assert (await f.get("http://news.example.com/hello", policy=public)).body == b"public page"

        target = site.url("/secret")
        with pytest.raises(AddressRefused) as e:
            await f.get(f"http://news.example.com/fault/redirect-to?url={target}", policy=public)
        assert e.value.url == target and e.value.source_id == "src"
        assert site.hits("/secret") == 0
        # The same redirect is fine for a source that allows private addresses.
        allowed = FetchPolicy(source_id="src", rate=1000.0, allow_private=True)
        page = await f.get(
            f"http://news.example.com/fault/redirect-to?url={target}", policy=allowed
        )
        assert page.body == b"office intranet"


async def test_name_resolving_to_loopback_refused(site: LocalSite, make: MakeFetcher) -> None:
    f = make(resolver=resolver({"sneaky.example.com": ["127.0.0.1"]}))
    with pytest.raises(AddressRefused):
        await f.get("http://sneaky.example.com/", policy=FetchPolicy())
    with pytest.raises(AddressRefused):
        await f.get(site.url("/"), policy=FetchPolicy())
    assert site.requests() == []


async def test_unresolvable_name_is_a_network_error(make: MakeFetcher) -> None:
    f = make(resolver=resolver({}))
    with pytest.raises(NetworkError):
        await f.get("http://nowhere.example.com/", policy=FetchPolicy())


# -- robots.txt ----------------------------------------------------------------------------------


async def test_robots_disallow_and_fetched_once(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    for i in range(5):
        site.serve(f"/pub/{i}", f"page {i}")
    f = make()
    pages = await asyncio.gather(*(f.get(site.url(f"/pub/{i}"), policy=POLICY) for i in range(5)))
    assert [p.body for p in pages] == [f"page {i}".encode() for i in range(5)]
    with pytest.raises(RobotsDisallowed) as e:
        await f.get(site.url("/private/list.html"), policy=POLICY)
    assert e.value.url == site.url("/private/list.html") and e.value.source_id == "src"
    assert site.hits("/private/list.html") == 0
    assert site.hits("/robots.txt") == 1
    # robots: false in the source's politeness skips the check
    site.serve("/private/list.html", "ok")
    page = await f.get(
        site.url("/private/list.html"), policy=FetchPolicy(allow_private=True, robots=False)
    )
    assert page.body == b"ok"


async def test_robots_group_for_our_agent(site: LocalSite, make: MakeFetcher) -> None:
    site.serve(
        "/robots.txt",
        "User-agent: SentinelBot\nDisallow: /bbs/\n\nUser-agent: *\nDisallow: /\n",
        content_type="text/plain",
    )
    site.serve("/gov/list.html", "ok")
    f = make()
    assert (await f.get(site.url("/gov/list.html"), policy=POLICY)).body == b"ok"
    with pytest.raises(RobotsDisallowed):
        await f.get(site.url("/bbs/forum-2-1.html"), policy=POLICY)


@pytest.mark.parametrize("robots_status", [404, 410, 500])
async def test_robots_missing_or_broken_allows(
    site: LocalSite, make: MakeFetcher, robots_status: int
) -> None:
    if robots_status != 404:
        site.serve("/robots.txt", "Disallow: /", status=robots_status, content_type="text/plain")
    site.serve("/a", "a")
    site.serve("/b", "b")
    f = make()
    assert (await f.get(site.url("/a"), policy=POLICY)).body == b"a"
    assert (await f.get(site.url("/b"), policy=POLICY)).body == b"b"
    assert site.hits("/robots.txt") == 1


async def test_robots_cache_expires(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/robots.txt", "User-agent: *\nDisallow: /x/\n", content_type="text/plain")
    site.serve("/a", "a")
    t = FakeTime()
    f = make(clock=t.clock, sleep=t.sleep)
    await f.get(site.url("/a"), policy=POLICY)
    t.now += 23 * 3600
    await f.get(site.url("/a"), policy=POLICY)
    assert site.hits("/robots.txt") == 1
    t.now += 2 * 3600
    await f.get(site.url("/a"), policy=POLICY)
    assert site.hits("/robots.txt") == 2


async def test_unreachable_robots_is_asked_again_sooner(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/robots.txt", "oops", status=502, content_type="text/plain")
    site.serve("/a", "a")
    t = FakeTime()
    f = make(clock=t.clock, sleep=t.sleep)
    await f.get(site.url("/a"), policy=POLICY)
    t.now += 2 * 3600
    await f.get(site.url("/a"), policy=POLICY)
    assert site.hits("/robots.txt") == 2


# -- politeness ----------------------------------------------------------------------------------


def counting_handler() -> tuple[dict[str, int], Callable[[web.Request], Awaitable[web.Response]]]:
    state = {"now": 0, "max": 0, "done": 0}

    async def handler(request: web.Request) -> web.Response:
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.02)
        state["now"] -= 1
        state["done"] += 1
        return web.Response(text="ok")

    return state, handler


async def test_per_host_concurrency_limit(site: LocalSite, make: MakeFetcher) -> None:
    state, handler = counting_handler()
    site.handle("/slow", handler)
    f = make()
    policy = FetchPolicy(rate=1000.0, concurrency=3, allow_private=True, robots=False)
    await asyncio.gather(*(f.get(site.url(f"/slow?i={i}"), policy=policy) for i in range(15)))
    assert state["done"] == 15
    assert 1 <= state["max"] <= 3


async def test_global_concurrency_limit(site: LocalSite, make: MakeFetcher) -> None:
    state, handler = counting_handler()
    site.handle("/slow", handler)
    f = make(settings={"concurrency": 2})
    policy = FetchPolicy(rate=1000.0, concurrency=10, allow_private=True, robots=False)
    await asyncio.gather(*(f.get(site.url(f"/slow?i={i}"), policy=policy) for i in range(12)))
    assert state["done"] == 12 and state["max"] <= 2


async def test_a_busy_host_does_not_block_another(site: LocalSite, make: MakeFetcher) -> None:
    policy = FetchPolicy(rate=1000.0, concurrency=1, allow_private=True, robots=False)
    f = make(settings={"timeout": 30.0})
    stuck = asyncio.create_task(f.get(site.url("/fault/hang"), policy=policy))
    try:
        for _ in range(1000):
            if site.hits("/fault/hang"):
                break
            await asyncio.sleep(0.01)
        with LocalSite() as other:
            other.serve("/ok", "fine")
            page = await asyncio.wait_for(f.get(other.url("/ok"), policy=policy), 10)
        assert page.body == b"fine"
        assert not stuck.done()
    finally:
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck


class FakeTime:
    """A clock that only moves when a sleep is asked for."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


async def test_rate_spaces_requests(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/p", "p")
    t = FakeTime()
    f = make(clock=t.clock, sleep=t.sleep)
    policy = FetchPolicy(rate=2.0, concurrency=1, allow_private=True, robots=False)
    for _ in range(4):
        await f.get(site.url("/p"), policy=policy)
    # The first goes at once; each later one waits for its slot, 0.5 s after the previous start.
    assert t.sleeps == [0.5, 0.5, 0.5]
    assert site.hits("/p") == 4


async def test_retry_after_is_honoured(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/busy", "slow down", status=429, headers={"Retry-After": "1"})
    site.serve("/next", "ok")
    t = FakeTime()
    f = make(clock=t.clock, sleep=t.sleep)
    policy = FetchPolicy(rate=1000.0, allow_private=True, robots=False)
    with pytest.raises(HTTPStatusError) as e:
        await f.get(site.url("/busy"), policy=policy)
    assert e.value.status == 429 and e.value.retry_after == 1.0
    asked_at = t.now
    page = await f.get(site.url("/next"), policy=policy)
    assert page.body == b"ok"
    assert t.now - asked_at >= 1.0  # the request was not sent before the host's time
    assert t.sleeps == [1.0]


async def test_long_retry_after_fails_fast_without_sending(
    site: LocalSite, make: MakeFetcher
) -> None:
    site.serve("/busy", "", status=503, headers={"Retry-After": "120"})
    site.serve("/next", "ok")
    t = FakeTime()
    f = make(clock=t.clock, sleep=t.sleep)
    policy = FetchPolicy(rate=1000.0, allow_private=True, robots=False)
    with pytest.raises(HTTPStatusError) as first:
        await f.get(site.url("/busy"), policy=policy)
    assert (first.value.status, first.value.retry_after) == (503, 120.0)
    t.now += 20
    with pytest.raises(HTTPStatusError) as e:
        await f.get(site.url("/next"), policy=policy)
    assert e.value.status == 503 and e.value.retry_after == pytest.approx(100.0)
    assert site.hits("/next") == 0 and t.sleeps == []
    t.now += 101
    assert (await f.get(site.url("/next"), policy=policy)).body == b"ok"


# -- proxy ---------------------------------------------------------------------------------------


async def test_proxy_per_source(site: LocalSite, make: MakeFetcher) -> None:
    # LocalSite answers absolute-form requests, so it can stand in for a forward proxy.
    site.serve("/via-proxy", "proxied")
    policy = FetchPolicy(rate=1000.0, allow_private=True, proxy=site.base)
    page = await make().get("http://intranet.example.com/via-proxy", policy=policy)
    assert page.body == b"proxied"
    (headers,) = seen(site, "/via-proxy")
    assert headers["host"] == "intranet.example.com"


async def test_proxy_credentials_go_to_the_proxy(site: LocalSite, make: MakeFetcher) -> None:
    site.serve("/via-proxy", "proxied")
    proxy = site.base.replace("http://", "http://ops:s3cret@")
    policy = FetchPolicy(rate=1000.0, allow_private=True, proxy=proxy)
    page = await make().get("http://intranet.example.com/via-proxy", policy=policy)
    assert page.body == b"proxied"
    (headers,) = seen(site, "/via-proxy")
    assert headers["proxy-authorization"] == "Basic b3BzOnMzY3JldA=="  # ops:s3cret
    assert "authorization" not in headers


async def test_the_private_address_refusal_names_its_opt_in(
    site: LocalSite, make: MakeFetcher
) -> None:
    with pytest.raises(AddressRefused) as e:
        await make().get(site.url("/"), policy=FetchPolicy(source_id="intranet"))
    assert "allow_private: true" in str(e.value) and e.value.source_id == "intranet"
