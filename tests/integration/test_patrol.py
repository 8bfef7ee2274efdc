"""End to end: a patrol of real local HTTP servers into a real SQLite (and PostgreSQL) store."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.fixtures.sites import FAULTS, publish, write_config
from tests.servers import LocalSite

EXPECTED = {
    # topic: (department, severity, {(source_id, title), ...})
    "land": (
        "zrzy",
        "major",
        {
            ("forum", "女山湖镇强拆农户房屋，补偿款至今未到位"),
            ("tw", "女山湖鎮強拆農戶房屋，補償款至今未到位"),
        },
    ),
    "wages": (
        "rlsb",
        "critical",  # major, raised a level: the feed is a news outlet (media: true, Art. 7)
        {
            ("forum", "明光一工地拖欠农民工工资半年，工人讨薪无门"),
            ("feed", "明光一工地拖欠农民工工资半年 工人讨薪无门"),
        },
    ),
    "living": ("zjj", "general", {("portal", "关于管店镇群众反映问题的回复")}),
    "fees": ("jyj", "general", {("api", "明东街道某小学收取资料费是否合理？")}),
}


def story_shape(stories: list) -> dict[str, tuple[str | None, str, set[tuple[str, str]]]]:
    return {
        s.topic_id: (s.department, s.severity, {(p.source_id, p.title) for p in s.posts})
        for s in stories
    }


async def test_patrol_finds_exactly_the_stories_and_repeats_add_nothing(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        first = await patrol.run()
        assert first.sources_failed == 0, [r.error for r in first.sources if not r.ok]
        assert first.posts_new == 16
        assert first.stories_new == 4
        stories = await patrol.store.stories()
        assert story_shape(stories) == EXPECTED
        words = {s.topic_id: set(s.words) for s in stories}
        assert words["land"] == {"强拆", "补偿款"}
        assert words["fees"] == {"资料费", "补课费"}

        # Tracking parameters are gone from stored URLs; one post per canonical URL.
        urls = {p.url for p in await patrol.store.posts(source_id="portal")}
        assert site.url("/gov/art/3.html") in urls
        assert not any("utm_" in u for u in urls)

        second = await patrol.run()
        assert second.sources_failed == 0
        assert (second.posts_new, second.hits_new, second.stories_new) == (0, 0, 0)
        assert story_shape(await patrol.store.stories()) == EXPECTED

    # The unchanged feed answered 304 to our conditional GET, so it was not parsed again.
    feed_requests = [h for p, h in site.requests() if p == "/feed.xml"]
    assert len(feed_requests) == 2
    assert {k.lower(): v for k, v in feed_requests[1].items()}.get("if-none-match") == '"v1"'

    # A fresh process sees the same store: nothing new, nothing lost.
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        third = await patrol.run()
        assert (third.posts_new, third.stories_new) == (0, 0)
        counts = await patrol.store.counts()
        assert counts["post"] == 16
        assert counts["story"] == 4


async def test_traps_do_not_match(site: LocalSite, tmp_path: Path, db_url: str) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        await patrol.run()
        topics = {s.topic_id for s in await patrol.store.stories()}
    # 城管 inside 省城管理 and 市长 inside 南京市长江大桥 cut through words on both sides;
    # the recruitment ad is excluded; 乱收费 in another county's news has no region word.
    assert "traps" not in topics
    assert topics == set(EXPECTED)


async def test_failing_sources_are_recorded_and_never_stop_the_others(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    publish(site)
    cfg = load_config(write_config(tmp_path / "cfg", site, faults=True))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run()
        by_id = {r.source_id: r for r in report.sources}
        expected_kinds = {
            "hang": "fetch_timeout",
            "e500": "http_status_error",
            "huge": "too_large",
            "bomb": "too_large",
            "loop": "too_many_redirects",
            "robots": "robots_disallowed",
        }
        for sid, kind in expected_kinds.items():
            assert not by_id[sid].ok, sid
            assert by_id[sid].error_kind == kind, (sid, by_id[sid].error)
        # Garbage bytes are not a feed: recorded as an extraction failure with its URL.
        assert not by_id["garbage"].ok
        assert by_id["garbage"].url == site.url(FAULTS["garbage"])

        assert story_shape(await patrol.store.stories()) == EXPECTED
        status = {s.source_id: s for s in await patrol.store.sources_status()}
        for sid in FAULTS:
            assert status[sid].consecutive_failures == 1, sid
            assert status[sid].last_error, sid
        assert status["forum"].consecutive_failures == 0
        assert status["forum"].items_last == 6

        await patrol.run([s for s in cfg.sources.sources if s.id in {"e500", "forum"}])
        status = {s.source_id: s for s in await patrol.store.sources_status()}
        assert status["e500"].consecutive_failures == 2
        assert status["e500"].last_status == 500
        assert status["forum"].consecutive_failures == 0
    assert site.hits("/robots.txt") == 1


@pytest.mark.parametrize("engine", ["reference"])
async def test_reference_engines_give_the_same_stories(
    site: LocalSite, tmp_path: Path, db_url: str, engine: str
) -> None:
    publish(site)
    directory = write_config(tmp_path / "cfg", site)
    settings = (directory / "sentinel.yaml").read_text(encoding="utf-8")
    settings = settings.replace(
        "http:\n", f"match:\n  engine: {engine}\nhttp:\n  transport: httpx\n"
    )
    (directory / "sentinel.yaml").write_text(settings, encoding="utf-8")
    cfg = load_config(directory)
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        await patrol.run()
        assert story_shape(await patrol.store.stories()) == EXPECTED


async def test_a_critical_story_is_queued_for_push_once_and_counts_are_followed(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    from sqlalchemy import select

    from sentinel.store.schema import post_metric
    from tests.fixtures.sites import FORUM_ROWS, forum_page

    publish(site)
    directory = write_config(tmp_path / "cfg", site)
    keywords = (directory / "keywords.yaml").read_text(encoding="utf-8")
    keywords += (
        "  - {id: emergency, name: 突发事件, department: town, severity: critical, any: [坍塌]}\n"
    )
    (directory / "keywords.yaml").write_text(keywords, encoding="utf-8")
    rows = [*FORUM_ROWS, (107, "明光一小区围墙坍塌 有人被困", 1, 50, "2026-11-20 15:00")]
    site.serve("/bbs/forum-2-1.html", forum_page(rows), content_type="text/html")
    cfg = load_config(directory)
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        first = await patrol.run()
        assert first.stories_new == 5
        by_id = {s.id: s for s in await patrol.store.stories()}
        pushes = await patrol.store.outbox()
        # the emergency was born critical; wages was raised to it by the news feed (Art. 7)
        assert {by_id[p.story_id].topic_id for p in pushes} == {"emergency", "wages"}
        assert all(by_id[p.story_id].severity == "critical" for p in pushes)
        assert all(p.kind == "push" and p.created_at >= p.fetched_at for p in pushes)

        # Next patrol: replies grew on one thread; the push is not queued again.
        grown = [(tid, t, r + 40 if tid == 101 else r, v, d) for tid, t, r, v, d in rows]
        site.serve("/bbs/forum-2-1.html", forum_page(grown), content_type="text/html")
        second = await patrol.run()
        assert (second.posts_new, second.stories_new) == (0, 0)
        # ...but replies on the land thread doubled (35 → 75): raised to critical, pushed once
        pushed = [by_id[p.story_id].topic_id for p in await patrol.store.outbox()]
        assert sorted(pushed) == ["emergency", "land", "wages"]
        forum = {p.title: p for p in await patrol.store.posts(source_id="forum")}
        assert forum["女山湖镇强拆农户房屋，补偿款至今未到位"].replies == 75
        async with patrol.store.engine.connect() as conn:
            metrics = (await conn.execute(select(post_metric.c.replies))).scalars().all()
        assert metrics == [75]
        # The unchanged feed answered 304 and still counts as a good fetch.
        status = {s.source_id: s for s in await patrol.store.sources_status()}
        assert (status["feed"].last_status, status["feed"].consecutive_failures) == (304, 0)


async def test_a_deleted_post_is_marked_and_its_evidence_stays(
    site: LocalSite, tmp_path: Path, db_url: str
) -> None:
    from sentinel.recheck import recheck_gone

    publish(site)
    land, wages = "/bbs/thread-101-1-1.html", "/bbs/thread-102-1-1.html"
    site.serve(land, "<html><body>女山湖镇强拆农户房屋</body></html>")
    site.serve(wages, "<html><body>明光一工地拖欠农民工工资</body></html>")
    cfg = load_config(write_config(tmp_path / "cfg", site))
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        await patrol.run()
        # The fixture never serves the pages of the Big5 repost, the feed item and the board
        # message: those 404 and count as gone; the two forum threads and the portal article
        # are there.
        assert await recheck_gone(patrol) == 3
        marked = {p.url for p in await patrol.store.posts() if p.deleted_at is not None}
        assert marked == {
            site.url("/tw/news/7.html"),
            site.url("/news/2001.html"),
            site.url("/board/detail?id=9001"),
        }

        site.serve(land, "<html><body>404</body></html>", status=404)
        notice = "<html><body>抱歉，指定的主题不存在或已被删除或正在被审核</body></html>"
        site.serve(wages, notice.encode("gbk"), content_type="text/html; charset=gbk")
        assert await recheck_gone(patrol) == 2
        posts = {p.url: p for p in await patrol.store.posts(source_id="forum")}
        assert posts[site.url(land)].deleted_at is not None
        assert posts[site.url(wages)].deleted_at is not None
        # Nothing was removed: the story still lists the post, and its evidence is served.
        (land_story,) = [s for s in await patrol.store.stories() if s.topic_id == "land"]
        assert site.url(land) in {p.url for p in land_story.posts}
        async with patrol.store.engine.connect() as conn:
            from sqlalchemy import select

            from sentinel.store.schema import post

            proof = (
                await conn.execute(select(post.c.evidence_hash).where(post.c.url == site.url(land)))
            ).scalar_one()
        assert "强拆".encode("gbk") in await patrol.store.evidence(proof)
        assert await recheck_gone(patrol) == 0  # already marked: nothing new
