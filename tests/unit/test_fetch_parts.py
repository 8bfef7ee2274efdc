"""The small parts of fetch: body decompression under a cap, the address rule, robots agent."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import pytest

from sentinel.fetch.address import AddressRule, is_public
from sentinel.fetch.body import BadEncoding, OverCap, read_capped
from sentinel.fetch.robots import agent_token
from tests.servers import gzip_bomb


async def chunks(data: bytes, size: int = 16384) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_plain_body_under_and_over_cap() -> None:
    assert await read_capped(chunks(b"a" * 5000), "", 5000) == b"a" * 5000
    with pytest.raises(OverCap):
        await read_capped(chunks(b"a" * 5001), "", 5000)
    assert await read_capped(chunks(b""), "", 10) == b""


async def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip_bomb()
    read = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal read
        async for c in chunks(bomb):
            read += len(c)
            yield c

    with pytest.raises(OverCap):
        await read_capped(counted(), "gzip", 1_000_000)
    assert read < len(bomb) // 10  # stopped early: the whole ~1 MB was never even read


async def test_gzip_members_and_encodings() -> None:
    text = "舆情监测".encode() * 1000
    assert await read_capped(chunks(gzip.compress(text)), "gzip", 10**6) == text
    assert await read_capped(chunks(gzip.compress(text)), "x-gzip", 10**6) == text
    two = gzip.compress(text) + gzip.compress(b"tail")
    assert await read_capped(chunks(two, 100), "gzip", 10**6) == text + b"tail"
    assert await read_capped(chunks(zlib.compress(text)), "deflate", 10**6) == text
    assert await read_capped(chunks(zlib.compress(text)[2:-4]), "Deflate", 10**6) == text
    # Tokens we never asked for and cannot undo pass through untouched.
    assert await read_capped(chunks(text), "utf-8", 10**6) == text
    assert await read_capped(chunks(text), "identity", 10**6) == text


async def test_corrupt_gzip() -> None:
    with pytest.raises(BadEncoding):
        await read_capped(chunks(b"\x1f\x8b\x08\x00" + b"\xff" * 50), "gzip", 10**6)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


async def test_address_rule_caches_answers() -> None:
    calls: list[str] = []

    async def resolve(host: str) -> list[str]:
        calls.append(host)
        return {"mixed.example": ["93.184.216.34", "10.0.0.1"]}.get(host, ["93.184.216.34"])

    rule = AddressRule(resolve)
    assert await rule.public("www.example.gov.cn")
    assert await rule.public("www.example.gov.cn")
    assert not await rule.public("mixed.example")  # one private answer is enough to refuse
    assert not await rule.public("[::1]") and await rule.public("8.8.8.8")
    assert calls == ["www.example.gov.cn", "mixed.example"]


def test_agent_token() -> None:
    assert agent_token("SentinelBot/0.1 (public-opinion monitor; +ops@x)") == "SentinelBot"
    assert agent_token("CountyWatch (+ops@x)") == "CountyWatch"
