"""A database with alerts from a real patrol (one crawled post hostile), users of every role,
and the desk app over it. Shared by tests/web and tests/browser."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from sentinel.config import Config, load_config
from sentinel.extract.post import Post
from sentinel.pipeline import Patrol
from sentinel.store import PostLink, Store
from sentinel.web import WebSettings, create_app
from sentinel.workflow.service import Workflow
from tests.fixtures.sites import FORUM_ROWS, forum_page, publish, write_config
from tests.servers import LocalSite

CN = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=CN)  # a Monday in workday hours: claim due 11:00
PASSWORD = "a-long-secret"
HOSTILE = '女山湖镇强拆<script>alert(1)</script><img src=x onerror="alert(2)">补偿款未到位'
# login -> (role, department)
USERS = {
    "wang": ("officer", "zrzy"),  # owns the land alert (the hostile one)
    "li": ("officer", "rlsb"),  # owns the wages alert
    "zhao": ("officer", "jyj"),
    "boss": ("lead", "lead"),
    "ld": ("leader", None),
}


EVIDENCE_PAGE = (
    b"<html><head><script>document.title='pwned'</script></head><body>"
    b"<img src=x onerror=\"document.title='pwned'\">"
    b'<a href="javascript:alert(3)">click</a><iframe src="http://example.invalid/"></iframe>'
    b"<p>\xe5\xbc\xba\xe6\x8b\x86</p></body></html>"
)
JS_URL = "javascript:alert(3)"


async def _seed_hostile(store: Store) -> None:
    """A post the extractor would never keep: a javascript: URL, with a scripted evidence page,
    joined to the hostile story, so every page meets the worst a store may hold."""
    (hostile,) = [a for a in await store.alerts() if "<script>" in a.title]
    async with store.transaction() as tx:
        ids = await tx.insert_posts(
            [Post(source_id="forum", url=JS_URL, title=HOSTILE + " 补充", body=HOSTILE)],
            seen_at=T0,
        )
        digest = await tx.put_evidence(
            body=EVIDENCE_PAGE, url=JS_URL, content_type="text/html", fetched_at=T0
        )
        await tx.attach(
            [
                PostLink(
                    post_id=ids[JS_URL],
                    story_id=hostile.story_id,
                    signature=b"",
                    evidence_hash=digest,
                    hits=(),
                )
            ]
        )


def hostile_forum() -> bytes:
    rows = [(tid, t, r, v, d) for tid, t, r, v, d in FORUM_ROWS]
    rows[0] = (101, HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
               35, 1200, "2026-11-20 09:12")  # fmt: skip
    html = forum_page(rows).decode("gbk")
    return html.encode("gbk")


@dataclass
class Clock:
    at: datetime = T0

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Desk:
    app: FastAPI
    store: Store
    clock: Clock
    cfg: Config
    forum_bytes: bytes
    ids: dict[str, int] = field(default_factory=dict)  # topic (or "hostile") -> alert id


async def build_template(directory: Path) -> tuple[Path, Path, bytes]:
    """Patrol the fixture sites once into a SQLite file; tests copy it."""
    db = directory / "template.db"
    with LocalSite() as site:
        publish(site)
        page = hostile_forum()
        site.serve("/bbs/forum-2-1.html", page, content_type="text/html")
        cfg_dir = write_config(directory / "cfg", site)
        # The desk's tests need two land alerts, the hostile forum post's and the Big5 post's;
        # told in the same words, the event step would rightly make them one.
        with (cfg_dir / "sentinel.yaml").open("a", encoding="utf-8") as f:
            f.write("\ncluster:\n  events:\n    enabled: false\n")
        cfg = load_config(cfg_dir)
        url = f"sqlite+aiosqlite:///{db}"
        async with await Patrol.open(cfg, database_url=url, clock=lambda: T0) as patrol:
            await patrol.run()
            await _seed_hostile(patrol.store)
            wf = Workflow(patrol.store, cfg.settings)
            for login, (role, dept) in USERS.items():
                await wf.add_user(
                    login, role=role, department=dept, name=login.upper(), password=PASSWORD,
                    at=T0,
                )  # fmt: skip
    return db, cfg_dir, page


async def open_desk(
    template: tuple[Path, Path, bytes], tmp: Path, **settings: object
) -> AsyncIterator[Desk]:
    db, cfg_dir, page = template
    copy = tmp / "desk.db"
    shutil.copy(db, copy)
    cfg = load_config(cfg_dir)
    store = await Store.open(f"sqlite+aiosqlite:///{copy}")
    clock = Clock()
    web = WebSettings(secret="test-secret-" + "x" * 20, **settings)  # type: ignore[arg-type]
    app = create_app(cfg, store, Workflow(store, cfg.settings), clock=clock, settings=web)
    desk = Desk(app=app, store=store, clock=clock, cfg=cfg, forum_bytes=page)
    for a in await store.alerts():
        desk.ids["hostile" if "<script>" in a.title else a.topic_id] = a.id
    try:
        yield desk
    finally:
        await store.close()


def client(app: FastAPI, base: str = "http://desk.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def sign_in(c: httpx.AsyncClient, login: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the session's CSRF token (from a page's forms)."""
    r = await c.get("/login")
    token = CSRF_RE.search(r.text)
    assert token is not None
    r = await c.post("/login", data={"login": login, "password": password, "csrf": token[1]})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    r = await c.get("/account")
    found = CSRF_RE.search(r.text)
    assert found is not None
    return found[1]


def later(clock: Clock, **delta: float) -> None:
    clock.at = clock.at + timedelta(**delta)


Factory = Callable[..., AsyncIterator[Desk]]
