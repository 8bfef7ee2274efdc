"""The lead office corrects the grouping on the desk and the API: merge, split, and why."""

from __future__ import annotations

from sentinel.store.schema import outbox
from tests.web.desk import JS_URL, Desk, client, later, sign_in


async def _story_posts(desk: Desk, alert_id: int) -> list[str]:
    row = await desk.store.alert(alert_id)
    return sorted(p.url for p in await desk.store.story_posts(row.story_id))


async def test_the_lead_office_merges_two_alerts_of_one_event_and_the_first_claim_survives(
    desk: Desk,
) -> None:
    hostile, land = desk.ids["hostile"], desk.ids["land"]  # one event, two alerts (two sites)
    before = await desk.store.alert(land)
    gone_posts = await _story_posts(desk, hostile)
    kept_posts = await _story_posts(desk, land)
    # a push queued for the alert that will be merged away must never go out
    async with desk.store.transaction() as tx:
        story = (await desk.store.alert(hostile)).story_id
        assert await tx.enqueue_push(
            story_id=story, fetched_at=desk.clock(), created_at=desk.clock()
        )
    later(desk.clock, minutes=10)
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        r = await c.post(f"/alerts/{land}/act", data={"csrf": csrf, "action": "claim"})
        assert "error" not in r.headers["location"]
        # an officer may not regroup: the routes do not exist for them
        r = await c.post(f"/alerts/{land}/merge", data={"csrf": csrf, "other": str(hostile)})
        assert r.status_code == 404
    later(desk.clock, minutes=5)
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        page = (await c.get(f"/alerts/{hostile}")).text
        assert f'action="/alerts/{hostile}/merge"' in page
        r = await c.post(f"/alerts/{hostile}/merge", data={"csrf": csrf, "other": f"#{land}"})
        # the claimed alert survives, whichever page the merge was made from
        assert r.status_code == 303 and r.headers["location"] == f"/alerts/{land}"
        kept, merged = await desk.store.alert(land), await desk.store.alert(hostile)
        assert (kept.state, kept.claimed_by, kept.department) == ("claimed", "wang", "zrzy")
        assert (kept.claim_due, kept.public_response_due) == (
            before.claim_due,
            before.public_response_due,
        )
        assert (merged.state, merged.merged_into) == ("merged", land)
        assert merged.closed_at == desk.clock()
        posts = await desk.store.story_posts(kept.story_id)
        assert sorted(p.url for p in posts) == sorted([*gone_posts, *kept_posts])
        moved = [p for p in posts if p.placed_by == "merge"]
        assert len(moved) == len(gone_posts) and all(p.why.startswith("人工合并") for p in moved)
        # the audit of both, and the merged alert's page points to the survivor
        events = {(e.alert_id, e.action) for e in await desk.store.alert_events([land, hostile])}
        assert {(hostile, "merge"), (land, "absorb")} <= events
        page = (await c.get(f"/alerts/{hostile}")).text
        assert f'href="/alerts/{land}"' in page and "已并入该预警办理" in page
        assert "并入其他预警" in page and f'action="/alerts/{hostile}/merge"' not in page
        # a merged alert takes no second merge
        r = await c.post(f"/alerts/{land}/merge", data={"csrf": csrf, "other": str(hostile)})
        assert "error=" in r.headers["location"]
    async with desk.store.engine.connect() as conn:
        from sqlalchemy import select

        rows = (await conn.execute(select(outbox).where(outbox.c.story_id == story))).mappings()
        (push,) = list(rows)
    assert push["sent_at"] is not None and "merged into" in push["last_error"]
    assert not [o for o in await desk.store.outbox(pending=True) if o.story_id == story]


async def test_the_lead_office_splits_a_post_into_a_new_alert_with_fresh_deadlines(
    desk: Desk,
) -> None:
    hostile = desk.ids["hostile"]
    old = await desk.store.alert(hostile)
    posts = await desk.store.story_posts(old.story_id)
    (js,) = [p for p in posts if p.url == JS_URL]
    later(desk.clock, hours=3)
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        page = (await c.get(f"/alerts/{hostile}")).text
        assert f'data-split="{js.id}"' in page
        r = await c.post(
            f"/api/alerts/{hostile}/split",
            json={"post_id": js.id, "department": "zjj", "note": "另一件事"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 200, r.text
        new_id = r.json()["alert"]
        new = await desk.store.alert(new_id)
        assert (new.department, new.state, new.detected_at) == ("zjj", "new", desk.clock())
        assert new.claim_due > desk.clock() >= old.claim_due  # fresh deadlines, from now
        assert [p.id for p in await desk.store.story_posts(new.story_id)] == [js.id]
        assert js.id not in [p.id for p in await desk.store.story_posts(old.story_id)]
        trail = await desk.store.alert_events([hostile, new_id])
        assert {(e.alert_id, e.action) for e in trail} >= {
            (hostile, "split"),
            (new_id, "split_from"),
            (new_id, "open"),
        }
        # the one post left cannot be split out of its own story
        (last,) = await desk.store.story_posts(old.story_id)
        r = await c.post(
            f"/api/alerts/{hostile}/split",
            json={"post_id": last.id},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 409 and "nothing to split" in r.text
        # a post of another alert is not this alert's to split
        r = await c.post(
            f"/api/alerts/{desk.ids['wages']}/split",
            json={"post_id": last.id},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 404
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        r = await c.post(
            f"/api/alerts/{hostile}/merge",
            json={"other": new_id},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 404  # officers cannot regroup
    later(desk.clock, minutes=1)
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        r = await c.post(
            f"/api/alerts/{hostile}/merge",
            json={"other": new_id, "note": "其实是同一件"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 200
        # neither was claimed: the one detected first carries the event on
        assert r.json() == {
            "survivor": hostile,
            "merged": new_id,
            "state": "merged",
            "posts_moved": 1,
            "dropped": 0,
        }


async def test_the_alert_page_and_the_api_say_how_each_post_joined(desk: Desk) -> None:
    wages = desk.ids["wages"]  # a forum thread and its repost in the feed
    async with client(desk.app) as c:
        await sign_in(c, "boss")
        page = (await c.get(f"/alerts/{wages}")).text
        assert 'data-placed="repost"' in page and "转载 · 相似度 0." in page
        body = (await c.get(f"/api/alerts/{wages}")).json()
        placed = {p["placed_by"] for p in body["posts"]}
        assert placed == {"first", "repost"}
        (copy,) = [p for p in body["posts"] if p["placed_by"] == "repost"]
        assert 0.5 <= copy["similarity"] <= 1 and copy["why"].startswith("转载（文字相似度")
