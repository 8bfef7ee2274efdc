"""Sign-in over https and behind proxies: every cookie Secure when asked, forwarded addresses
believed only from the configured proxies, password spraying across logins limited."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn

from sentinel.web.serving import server_config
from tests.web.desk import PASSWORD, Desk, client, open_desk

Template = tuple[Path, Path, bytes]


@asynccontextmanager
async def desk_with(template: Template, tmp: Path, **settings: object) -> AsyncIterator[Desk]:
    await asyncio.to_thread(tmp.mkdir, parents=True, exist_ok=True)
    async for d in open_desk(template, tmp, **settings):
        yield d


def cookie(r: httpx.Response, name: str) -> str:
    """The value a response sets for `name`, read from the header: a Secure cookie is one the
    client's jar would (rightly) not send back over the plain http of these tests."""
    found = re.search(rf"(?:^|, ){name}=([^;]*)", r.headers.get("set-cookie", ""))
    assert found, r.headers.get("set-cookie")
    return found[1]


async def attempt(
    c: httpx.AsyncClient, login: str, password: str, **headers: str
) -> httpx.Response:
    page = await c.get("/login", headers=headers)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    headers["cookie"] = f"sentinel_login_csrf={cookie(page, 'sentinel_login_csrf')}"
    data = {"login": login, "password": password, "csrf": token[1]}
    return await c.post("/login", data=data, headers=headers)


class Started(uvicorn.Server):
    """uvicorn.Server that says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def set_cookies(r: httpx.Response) -> list[str]:
    return [v.lower() for k, v in r.headers.multi_items() if k == "set-cookie"]


async def test_with_secure_cookies_every_cookie_is_secure(
    template: Template, tmp_path: Path
) -> None:
    async with desk_with(template, tmp_path, secure_cookies=True) as desk, client(desk.app) as c:
        lines = set_cookies(await c.get("/login"))
        for _ in range(5):
            lines += set_cookies(await attempt(c, "wang", "wrong-password"))
        refused = await attempt(c, "wang", PASSWORD)
        assert refused.status_code == 429
        lines += set_cookies(refused)  # the 429 page's fresh sign-in CSRF cookie
        signed_in = await attempt(c, "li", PASSWORD)
        assert signed_in.status_code == 303
        lines += set_cookies(signed_in)  # the session, and the sign-in cookie's deletion
        session = {"cookie": f"sentinel_session={cookie(signed_in, 'sentinel_session')}"}
        page = await c.get("/account", headers=session)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        lines += set_cookies(await c.post("/logout", data={"csrf": csrf[1]}, headers=session))
    names = [line.split("=", 1)[0] for line in lines]
    assert names.count("sentinel_login_csrf") == 3 and names.count("sentinel_session") == 2
    assert all("; secure" in line for line in lines), [x for x in lines if "; secure" not in x]


async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    template: Template, tmp_path: Path
) -> None:
    async with desk_with(template, tmp_path / "a") as desk, client(desk.app) as c:
        # a client on this very host, rotating X-Forwarded-For: still one address
        for n in range(5):
            r = await attempt(c, "wang", "wrong-password", **{"x-forwarded-for": f"10.9.0.{n}"})
            assert r.status_code == 303
        r = await attempt(c, "wang", PASSWORD, **{"x-forwarded-for": "10.9.0.99"})
        assert r.status_code == 429
        r = await attempt(c, "li", PASSWORD, **{"x-forwarded-proto": "https"})
        assert "; secure" not in " ".join(set_cookies(r))  # nor is its scheme believed
    async with (
        desk_with(template, tmp_path / "b", trusted_proxies=("127.0.0.0/8",)) as desk,
        client(desk.app) as proxy,
    ):
        # behind a configured proxy, each forwarded client is counted on its own
        for _ in range(5):
            r = await attempt(proxy, "wang", "x" * 9, **{"x-forwarded-for": "203.0.113.5"})
            assert r.status_code == 303
        r = await attempt(proxy, "wang", PASSWORD, **{"x-forwarded-for": "203.0.113.5"})
        assert r.status_code == 429
        forwarded = {"x-forwarded-for": "203.0.113.6", "x-forwarded-proto": "https"}
        r = await attempt(proxy, "wang", PASSWORD, **forwarded)
        assert r.status_code == 303
        assert all("; secure" in line for line in set_cookies(r))  # https at the proxy


async def test_the_real_server_does_not_believe_forwarded_addresses_either(
    template: Template, tmp_path: Path
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    async with desk_with(template, tmp_path) as desk:
        config = server_config(desk.app, host="127.0.0.1", port=port, log_level="warning")
        server = Started(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            listening = asyncio.create_task(server.ready.wait())
            # a server that fails to start ends its task instead: no waiting for ever
            await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
            assert server.started
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
                for n in range(5):
                    spoof = {"x-forwarded-for": f"198.51.100.{n}"}
                    assert (await attempt(c, "wang", "wrong-password", **spoof)).status_code == 303
                spoof = {"x-forwarded-for": "198.51.100.77"}
                assert (await attempt(c, "wang", PASSWORD, **spoof)).status_code == 429
        finally:
            server.should_exit = True
            await serving
            sock.close()


async def test_password_spraying_across_logins_is_limited_per_address(
    template: Template, tmp_path: Path
) -> None:
    async with desk_with(template, tmp_path, address_attempts=6) as desk:
        async with client(desk.app) as c:
            # one guess each on five logins (none near its own limit of 5)...
            for login in ("wang", "zhao", "boss", "ld", "nobody"):
                assert (await attempt(c, login, "Password123")).status_code == 303
            # ...the sprayer's own good sign-in does not reset the address's count...
            assert (await attempt(c, "li", PASSWORD)).status_code == 303
            assert (await attempt(c, "someone", "Password123")).status_code == 303
            # ...and the sixth failure from this address stops every login from it
            assert (await attempt(c, "li", PASSWORD)).status_code == 429
            assert (await attempt(c, "zhao", PASSWORD)).status_code == 429
        elsewhere = httpx.ASGITransport(app=desk.app, client=("10.1.2.3", 5000))
        async with httpx.AsyncClient(transport=elsewhere, base_url="http://desk.test") as c:
            assert (await attempt(c, "zhao", PASSWORD)).status_code == 303
