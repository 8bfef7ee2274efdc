"""The alert queue and the board, filtered and a page at a time, in the HTML and the API."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select

from sentinel.store.schema import alert
from tests.web.desk import Desk, client, later, sign_in

QUEUED = re.compile(r'<li class="alert[^"]*" data-alert="(\d+)"')


async def many_alerts(desk: Desk, n: int) -> list[int]:
    """`n` more alerts like the wages one (rlsb, critical, new), titled 讨薪 0…n-1."""
    async with desk.store.engine.connect() as conn:
        model = dict((await conn.execute(select(alert).where(alert.c.id == desk.ids["wages"])))
                     .mappings().one())  # fmt: skip
    ids = []
    async with desk.store.transaction() as tx:
        for i in range(n):
            story = await tx.create_story(
                topic_id="wages", title=f"讨薪 {i} 號", severity="major", department="rlsb",
                first_seen_at=model["detected_at"],
            )  # fmt: skip
            values = {k: v for k, v in model.items() if k not in ("id", "story_id")}
            found = await tx.open_alert({**values, "story_id": story})
            assert found is not None
            ids.append(found)
    return ids


async def test_a_long_queue_comes_a_page_at_a_time(desk: Desk) -> None:
    added = await many_alerts(desk, 120)
    async with client(desk.app) as c:
        await sign_in(c, "li")  # rlsb: the wages alert and the 120 more
        first = (await c.get("/queue")).text
        assert len(QUEUED.findall(first)) == 50 and "共 121 条 · 第 1/3 页" in first
        assert 'rel="next" href="/queue?page=2"' in first and 'rel="prev"' not in first
        last = (await c.get("/queue?page=3")).text
        assert len(QUEUED.findall(last)) == 21 and 'rel="prev" href="/queue?page=2"' in last
        seen = set()
        for n in (1, 2, 3):
            seen |= set(QUEUED.findall((await c.get(f"/queue?page={n}")).text))
        assert seen == {str(i) for i in [desk.ids["wages"], *added]}  # each once, none lost

        r = await c.get("/api/queue?per_page=100")
        assert len(r.json()) == 100 and r.headers["x-total-count"] == "121"
        assert r.headers["link"] == '</api/queue?page=2&per_page=100>; rel="next"'
        r = await c.get("/api/queue?page=2&per_page=100")
        assert len(r.json()) == 21 and 'rel="prev"' in r.headers["link"]
        assert (await c.get("/api/queue?per_page=501")).status_code == 422


async def test_the_board_filters_by_department_state_severity_topic_overdue_and_text(
    desk: Desk,
) -> None:
    ids = desk.ids
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")

        async def board(query: str) -> set[int]:
            r = await c.get("/board" + query)
            assert r.status_code == 200, r.text
            api = await c.get("/api/board" + query)
            listed = {int(a) for a in QUEUED.findall(r.text)}
            assert listed == {a["id"] for a in api.json()}, query  # the page and the API agree
            assert api.headers["x-total-count"] == str(len(listed))
            return listed

        everything = await board("")
        assert everything == set(ids.values())
        assert await board("?department=rlsb") == {ids["wages"]}
        assert await board("?topic=fees") == {ids["fees"]}
        rows = {a.id: a for a in await desk.store.alerts()}
        majors = {i for i, a in rows.items() if a.severity == "major"}
        assert majors and await board("?severity=major") == majors
        assert await board("?severity=critical") == {ids["wages"]}
        assert await board("?q=讨薪") == {ids["wages"]}
        assert await board(f"?q=%23{ids['land']}") == {ids["land"]}  # #id finds that alert
        assert await board("?department=rlsb&topic=fees") == set()
        page = (await c.get("/board?department=rlsb&topic=fees")).text
        assert "没有符合条件的预警" in page and "共 0 条" in page
        # the form shows what it filters by, and keeps it across an action
        page = (await c.get("/board?department=rlsb")).text
        assert '<option value="rlsb" selected>' in page
        # the summary by department above counts every open alert, whatever the filter
        assert re.search(r"<td>自然资源局</td><td>2</td><td>2</td>", page)
        assert 'name="next" value="/board?department=rlsb"' in page

        # state: open ones by default; a closed one only when asked for
        await c.post(
            f"/alerts/{ids['fees']}/act",
            data={"csrf": csrf, "action": "dismiss", "note": "非本地事项"},
        )
        assert ids["fees"] not in await board("")
        assert await board("?state=dismissed") == {ids["fees"]}
        assert await board("?state=new") == everything - {ids["fees"]}
        # overdue: nothing at 10:00; past the 11:00 claim deadline, every unclaimed one
        assert await board("?overdue=1") == set()
        later(desk.clock, hours=2)
        assert await board("?overdue=1") == everything - {ids["fees"]}
        assert (await c.get("/board?state=bogus")).status_code == 422
        assert (await c.get("/api/board?severity=bogus")).status_code == 422


async def test_an_officer_filters_only_within_their_own_department(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "wang")  # zrzy
        page = (await c.get("/queue")).text
        assert 'name="department"' not in page  # no department choice for an officer
        mine = {int(a) for a in QUEUED.findall(page)}
        assert mine and desk.ids["wages"] not in mine
        assert QUEUED.findall((await c.get("/queue?department=rlsb")).text) == []
        assert (await c.get("/api/queue?department=rlsb")).json() == []
        # the search folds as matching does: simplified words find a traditional title
        r = await c.get("/api/queue", params={"q": "强拆农户"})
        assert {a["id"] for a in r.json()} == {desk.ids["land"]}
        r = await c.get("/api/queue", params={"q": "強拆"})
        assert {a["id"] for a in r.json()} == {desk.ids["land"], desk.ids["hostile"]}


def test_queue_links_keep_the_filters() -> None:
    from sentinel.web.queue import QueueQuery

    q = QueueQuery(department="rlsb", overdue=True, q="讨薪", per_page=20)
    assert q.link() == "?department=rlsb&overdue=1&q=%E8%AE%A8%E8%96%AA&per_page=20"
    assert replace(q, page=3).link(page=4).endswith("&page=4&per_page=20")
    assert QueueQuery().link() == "?"
