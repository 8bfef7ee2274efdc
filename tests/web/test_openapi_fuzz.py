"""A property test over the OpenAPI document: every route, random and hostile arguments,
as every role, never a 500 (schemathesis is not installed offline; this is its core idea)."""

from __future__ import annotations

import random
from typing import Any

import httpx

from tests.web.desk import Desk, client, sign_in

NASTY_STRINGS: list[Any] = [
    "", " ", "'", '"', "<script>alert(1)</script>", "../../etc/passwd", "%00", "\x00", "\u202ex",
    "x" * 5000, "javascript:alert(1)", "https://example.com/a", "rlsb", "lead", "nobody",
    "claim", "new", "2026-11-23", "１２３", "😀",
]  # fmt: skip
NASTY_INTS: list[Any] = [0, 1, 2, 3, 5, -1, 2**31, 2**63, -(2**63), 10**30]
NASTY_DATES = ["2026-11-23", "2026-02-30", "0001-01-01", "9999-12-31", "2026-11-24", "x", ""]
ACTIONS = [
    "claim", "first_report", "verify", "reply", "close", "dismiss", "reroute", "designate",
    "request_extension", "grant_extension", "refuse_extension", "bogus",
]  # fmt: skip


def value(schema: dict[str, Any], rnd: random.Random) -> Any:
    kinds = [s.get("type") for s in schema.get("anyOf", [schema])]
    fmt = next((s.get("format") for s in schema.get("anyOf", [schema]) if s.get("format")), "")
    if rnd.random() < 0.15:  # the wrong type now and then
        return rnd.choice([*NASTY_STRINGS, *NASTY_INTS])
    if fmt == "date":
        return rnd.choice(NASTY_DATES)
    if "integer" in kinds:
        return rnd.choice(NASTY_INTS)
    if "boolean" in kinds:
        return rnd.choice([True, False, "yes", "2"])
    return rnd.choice(NASTY_STRINGS)


def body(rnd: random.Random) -> Any:
    if rnd.random() < 0.1:
        return rnd.choice([[], "x", None, {"action": None}])
    out: dict[str, Any] = {"action": rnd.choice(ACTIONS)}
    for key, pool in (
        ("note", NASTY_STRINGS),
        ("link", NASTY_STRINGS),
        ("department", ["rlsb", "zjj", "nobody", "", "lead"]),
        ("days", [*NASTY_INTS, "x"]),
    ):
        if rnd.random() < 0.5:
            out[key] = rnd.choice(pool)
    return out


async def fuzz(c: httpx.AsyncClient, doc: dict[str, Any], rnd: random.Random, rounds: int) -> int:
    sent = 0
    for path, ops in sorted(doc["paths"].items()):
        for method, op in sorted(ops.items()):
            if path in ("/logout", "/login"):
                continue  # these end or start the session the fuzzer rides on
            for _ in range(rounds):
                url, query = path, {}
                for p in op.get("parameters", []):
                    v = value(p.get("schema", {}), rnd)
                    if p["in"] == "path":
                        v = (
                            rnd.choice([1, 2, 3, 4, 5, 6, 0, -1, 2**63, "x", "%2e%2e"])
                            if "id" in p["name"]
                            else rnd.choice(["0" * 64, "a" * 63, "../x", "x"])
                        )
                        url = url.replace("{" + p["name"] + "}", str(v))
                    elif p["in"] == "query" and rnd.random() < 0.8:
                        query[p["name"]] = v
                if method == "get":
                    r = await c.get(url, params=query)
                elif path.startswith("/api/"):
                    r = await c.post(url, params=query, json=body(rnd))
                else:
                    sent_body = body(rnd)  # a form carries fields only: a list or text is none
                    fields = sent_body if isinstance(sent_body, dict) else {}
                    form = {k: str(v) for k, v in fields.items()} if rnd.random() < 0.9 else {}
                    r = await c.post(url, data=form)
                assert r.status_code < 500, (method, url, query, r.status_code, r.text[:300])
                sent += 1
    return sent


async def test_no_route_answers_500_to_any_argument(desk: Desk) -> None:
    rnd = random.Random(7)
    doc = desk.app.openapi()
    assert "/api/alerts/{alert_id}/actions" in doc["paths"]
    total = 0
    for login in ("wang", "boss", "ld"):
        async with client(desk.app) as c:
            csrf = await sign_in(c, login)
            token = (await c.post("/api/tokens", headers={"x-csrf-token": csrf})).json()["token"]
        async with client(desk.app) as c:
            c.headers["Authorization"] = f"Bearer {token}"
            total += await fuzz(c, doc, rnd, rounds=8)
    async with client(desk.app) as anonymous:
        total += await fuzz(anonymous, doc, rnd, rounds=2)
    assert total > 300
