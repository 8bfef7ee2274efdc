"""A source's cookies and headers reach its own host only; a proxy carries its requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sentinel.config.models import HttpSettings
from sentinel.fetch import Fetcher, FetchPolicy
from tests.servers import LocalSite


@pytest.fixture(params=["aiohttp", "httpx"])
async def fetcher(request: pytest.FixtureRequest) -> AsyncIterator[Fetcher]:
    f = Fetcher(HttpSettings(timeout=2.0, transport=request.param))
    yield f
    await f.aclose()


def headers_of(site: LocalSite, path: str) -> list[dict[str, str]]:
    return [h for p, h in site.requests() if p.split("?", 1)[0] == path]


async def test_cookies_and_headers_arrive(site: LocalSite, fetcher: Fetcher) -> None:
    site.serve("/list", "ok")
    policy = FetchPolicy(
        rate=1000.0,
        allow_private=True,
        robots=False,
        headers=(("X-Token", "t0k"),),
        cookies=(("sid", "abc"), ("lang", "zh")),
    )
    await fetcher.get(site.url("/list"), policy=policy)
    (h,) = headers_of(site, "/list")
    assert h["x-token"] == "t0k"
    assert h["cookie"] == "sid=abc; lang=zh"


async def test_secrets_do_not_follow_a_redirect_to_another_host(
    site: LocalSite, fetcher: Fetcher
) -> None:
    site.serve("/elsewhere", "other host")
    policy = FetchPolicy(
        rate=1000.0,
        allow_private=True,
        robots=False,
        headers=(("X-Token", "t0k"),),
        cookies=(("sid", "abc"),),
    )
    # 127.0.0.1 and localhost are one server but two hosts to a browser's rules, and to ours.
    other = f"http://localhost:{site.port}/elsewhere"
    page = await fetcher.get(site.url(f"/fault/redirect-to?url={other}"), policy=policy)
    assert page.body == b"other host"
    (first,) = headers_of(site, "/fault/redirect-to")
    assert first["x-token"] == "t0k" and first["cookie"] == "sid=abc"
    (second,) = headers_of(site, "/elsewhere")
    assert "x-token" not in second and "cookie" not in second


async def test_one_client_per_proxy(site: LocalSite, fetcher: Fetcher) -> None:
    # LocalSite answers absolute-form requests, so it stands in for a forward proxy.
    site.serve("/p", "proxied")
    policy = FetchPolicy(rate=1000.0, allow_private=True, robots=False, proxy=site.base)
    for _ in range(2):
        page = await fetcher.get("http://intranet.example.com/p", policy=policy)
        assert page.body == b"proxied"
    assert [h["host"] for h in headers_of(site, "/p")] == ["intranet.example.com"] * 2
    assert list(fetcher._proxied) == [site.base]  # cached: built once for two requests
