"""The desk's security: department walls on every route, CSRF, inert crawled text, cookies,
the failed-login limit, API tokens."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest
from fastapi.routing import APIRoute

from sentinel.web import (
    api,
    exports,
    operator,
    ops,
    pages,
    regroup,
    reports,
    signin,
    workers_page,
)
from sentinel.web.pages import EVIDENCE_CSP
from tests.web.desk import EVIDENCE_PAGE, JS_URL, PASSWORD, Desk, client, later, sign_in

EVIDENCE = hashlib.sha256(EVIDENCE_PAGE).hexdigest()
FORM = {"action": "claim", "note": "x", "days": "2", "department": "rlsb"}
BODY = {"action": "claim", "note": "x"}


def routes(desk: Desk) -> list[tuple[str, str]]:
    """Every route of the app: those of its routers, checked against the OpenAPI document."""
    out: list[tuple[str, str]] = []
    routers = (pages, signin, reports, exports, operator, ops, api, regroup, workers_page)
    for router in (m.router for m in routers):
        for r in router.routes:
            assert isinstance(r, APIRoute)
            out.extend((m, r.path) for m in sorted(r.methods or ()))
    documented = {
        (m.upper(), path) for path, ops in desk.app.openapi()["paths"].items() for m in ops
    }
    assert documented <= set(out)
    return out


async def test_an_officer_can_neither_see_nor_act_on_another_departments_alert(
    desk: Desk,
) -> None:
    """li (rlsb) against wang's (zrzy) hostile alert, through every route the app has."""
    other = desk.ids["hostile"]
    before = await desk.store.alert(other)
    async with client(desk.app) as c:
        csrf = await sign_in(c, "li")
        checked = 0
        for method, path in routes(desk):
            url = path.replace("{alert_id}", str(other)).replace("{digest}", EVIDENCE)
            url = url.replace("{fmt}", "docx")
            if "{" in url:
                pytest.fail(f"no test value for a path parameter of {path}")
            if path in ("/login", "/logout", "/account/token", "/api/tokens"):
                continue  # about the user themselves
            headers = {"x-csrf-token": csrf}
            if method == "POST" and path.startswith("/api/"):
                r = await c.post(url, json=BODY, headers=headers)
            elif method == "POST":
                r = await c.post(url, data={**FORM, "csrf": csrf})
            else:
                r = await c.get(url)
            checked += 1
            if "{alert_id}" in path or "{digest}" in path:
                assert r.status_code == 404, (method, path, r.status_code)
            else:
                # lists: 200 without the alert, or a role refusal
                assert r.status_code in (200, 303, 403), (method, path, r.status_code)
                assert "alert(1)" not in r.text and f'/alerts/{other}"' not in r.text, path
                if path.startswith("/api/") and r.status_code == 200:
                    assert other not in {a.get("id") for a in r.json() if isinstance(a, dict)}
        assert checked >= 15
    assert await desk.store.alert(other) == before  # nothing written
    # ...while the owner sees and acts on it
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        assert (await c.get(f"/alerts/{other}")).status_code == 200
        r = await c.post(f"/api/alerts/{other}/actions", json=BODY, headers={"x-csrf-token": csrf})
        assert r.status_code == 200 and r.json()["state"] == "claimed"


async def test_a_leader_reads_everything_and_changes_nothing(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "ld")
        assert (await c.get(f"/alerts/{desk.ids['wages']}")).status_code == 200
        r = await c.post(
            f"/api/alerts/{desk.ids['wages']}/actions", json=BODY, headers={"x-csrf-token": csrf}
        )
        assert r.status_code == 409 and "read-only" in r.json()["detail"]
        assert (await c.get("/operator")).status_code == 403


async def test_posts_without_the_csrf_token_are_refused(desk: Desk) -> None:
    target = desk.ids["hostile"]
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        for method, path in routes(desk):
            if method != "POST" or path == "/login":
                continue
            url = path.replace("{alert_id}", str(target))
            if path.startswith("/api/"):
                bad = [{}, {"x-csrf-token": "forged"}]
                for headers in bad:
                    r = await c.post(url, json=BODY, headers=headers)
                    assert r.status_code == 403, (path, headers, r.status_code)
            else:
                for data in ({**FORM}, {**FORM, "csrf": "forged"}):
                    r = await c.post(url, data=data)
                    assert r.status_code == 403, (path, r.status_code)
        assert (await desk.store.alert(target)).state == "new"
        # and the token of one session is no good for another
        async with client(desk.app) as other:
            await sign_in(other, "wang")
            r = await other.post(f"/alerts/{target}/act", data={**FORM, "csrf": csrf})
            assert r.status_code == 403
        r = await c.post(f"/alerts/{target}/act", data={**FORM, "csrf": csrf})
        assert r.status_code == 303
        assert (await desk.store.alert(target)).state == "claimed"


async def test_sign_in_needs_its_own_csrf_cookie(desk: Desk) -> None:
    async with client(desk.app) as c:
        r = await c.post("/login", data={"login": "wang", "password": PASSWORD, "csrf": "x"})
        assert r.status_code == 403 and "sentinel_session" not in r.headers.get("set-cookie", "")


SCRIPTISH = re.compile(r"<script>alert|<img src=x|onerror=\"alert|href=\"javascript:", re.I)


async def test_hostile_crawled_text_is_inert_on_every_page(desk: Desk) -> None:
    hostile = desk.ids["hostile"]
    pages = {
        "wang": ["/queue", f"/alerts/{hostile}", f"/api/alerts/{hostile}", "/api/queue"],
        "boss": ["/board", f"/alerts/{hostile}", "/operator", "/reports/daily", "/api/board"],
        "ld": ["/reports/daily", "/reports/daily.csv", "/reports/assessment"],
    }
    for login, urls in pages.items():
        async with client(desk.app) as c:
            await sign_in(c, login)
            for url in urls:
                r = await c.get(url)
                assert r.status_code == 200, url
                if url.startswith("/api/") or url.endswith(".csv"):
                    continue  # data, not markup: served as JSON/CSV, never rendered as HTML
                assert "alert(1)" in r.text or "/reports" in url or url == "/operator", url
                assert not SCRIPTISH.search(r.text), (url, SCRIPTISH.search(r.text))
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text or "alert(1)" not in r.text
                assert "script-src 'self'" in r.headers["content-security-policy"]
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        page = (await c.get(f"/alerts/{hostile}")).text
        assert JS_URL in page  # shown as text...
        assert f'href="{JS_URL}' not in page  # ...never as a link
    async with client(desk.app) as c:
        await sign_in(c, "boss")
        r = await c.get(f"/evidence/{EVIDENCE}")
        assert r.content == EVIDENCE_PAGE
        assert r.headers["content-security-policy"] == EVIDENCE_CSP == "sandbox; default-src 'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert (await c.get("/evidence/../../etc/passwd")).status_code == 404
        assert (await c.get("/evidence/" + "0" * 64)).status_code == 404


async def test_the_owner_sees_each_posts_evidence_in_a_sandboxed_frame(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        page = (await c.get(f"/alerts/{desk.ids['hostile']}")).text
        frames = re.findall(r"<iframe[^>]*>", page)
        assert frames and all(" sandbox " in f and "allow-" not in f for f in frames)
        assert f'src="/evidence/{EVIDENCE}"' in page
        assert (await c.get(f"/evidence/{EVIDENCE}")).status_code == 200
    async with client(desk.app) as c:
        await sign_in(c, "li")
        assert (await c.get(f"/evidence/{EVIDENCE}")).status_code == 404


def _cookie(r: httpx.Response) -> str:
    (line,) = [v for k, v in r.headers.multi_items() if k == "set-cookie" and "session" in v]
    return line.lower()


async def test_session_cookie_flags(desk: Desk, template: object, tmp_path: object) -> None:
    async with client(desk.app) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', (await c.get("/login")).text)
        assert token
        r = await c.post("/login", data={"login": "wang", "password": PASSWORD, "csrf": token[1]})
        cookie = _cookie(r)
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain http here
    async with client(desk.app, base="https://desk.test") as c:
        token = re.search(r'name="csrf" value="([^"]+)"', (await c.get("/login")).text)
        assert token
        r = await c.post("/login", data={"login": "wang", "password": PASSWORD, "csrf": token[1]})
        assert "secure" in _cookie(r)


async def test_sessions_expire_and_sign_out_ends_them(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        later(desk.clock, hours=13)
        r = await c.get("/queue")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        csrf = await sign_in(c, "wang")
        r = await c.post("/logout", data={"csrf": csrf})
        assert r.status_code == 303
        assert (await c.get("/queue")).status_code == 303


async def test_failed_sign_ins_are_limited_per_login_and_address(desk: Desk) -> None:
    async def attempt(c: httpx.AsyncClient, login: str, password: str) -> int:
        token = re.search(r'name="csrf" value="([^"]+)"', (await c.get("/login")).text)
        assert token
        r = await c.post("/login", data={"login": login, "password": password, "csrf": token[1]})
        return r.status_code

    async with client(desk.app) as c:
        for _ in range(5):
            assert await attempt(c, "wang", "wrong-password") == 303
        assert await attempt(c, "wang", PASSWORD) == 429  # even the right one, for now
        assert await attempt(c, "li", PASSWORD) == 303  # another login is not locked out
    elsewhere = httpx.ASGITransport(app=desk.app, client=("10.1.2.3", 5000))
    async with httpx.AsyncClient(transport=elsewhere, base_url="http://desk.test") as c:
        assert await attempt(c, "wang", PASSWORD) == 303  # another address is not either
    later(desk.clock, minutes=16)
    async with client(desk.app) as c:
        assert await attempt(c, "wang", PASSWORD) == 303


async def test_api_tokens_for_scripts(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        assert (await c.post("/api/tokens")).status_code == 403
        token = (await c.post("/api/tokens", headers={"x-csrf-token": csrf})).json()["token"]
    async with client(desk.app) as script:
        assert (await script.get("/api/me")).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        me = (await script.get("/api/me", headers=auth)).json()
        assert me == {"login": "wang", "name": "WANG", "role": "officer", "department": "zrzy"}
        mine = (await script.get("/api/alerts", headers=auth)).json()
        assert {a["department"] for a in mine} == {"zrzy"}
        r = await script.get(f"/api/alerts/{desk.ids['wages']}", headers=auth)
        assert r.status_code == 404
        r = await script.post(
            f"/api/alerts/{desk.ids['hostile']}/actions", json=BODY, headers=auth
        )  # a Bearer token needs no CSRF header: a browser never sends it by itself
        assert r.status_code == 200
        assert (
            await script.get("/api/me", headers={"Authorization": "Bearer x"})
        ).status_code == 401
        await desk.app.state.desk.workflow.set_password("wang", "another-secret")
        assert (await script.get("/api/me", headers=auth)).status_code == 401


async def test_a_crafted_link_cannot_put_its_own_words_on_a_page(desk: Desk) -> None:
    async with client(desk.app) as c:
        assert "请拨打" not in (await c.get("/login?error=密码已过期请拨打110")).text
        await sign_in(c, "wang")
        page = (await c.get(f"/alerts/{desk.ids['hostile']}?error=请拨打110")).text
        assert "请拨打" not in page
