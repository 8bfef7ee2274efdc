"""One event told three ways on three sites (a GBK forum, a news portal, a Big5 repost) is one
story, one alert and one digest item; a later follow-up updates that item instead of alerting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from sentinel.daemon import Daemon, load_checked
from sentinel.workflow.service import Workflow
from tests.daemon_kit import TZ, Clock, MailServer, write_county
from tests.servers import LocalSite

MONDAY_10 = datetime(2026, 11, 23, 10, 5, tzinfo=TZ)

# (path, title, body): the forum's threads; the last one only appears at the next duty patrol
THREADS = [
    (
        "/bbs/thread-1.html",
        "临湖小区拆迁补偿款拖了半年还没到位",
        "女山湖镇临湖小区的拆迁户反映，开发商恒达公司承诺的补偿款一直没发，大家在外租房住了半年。",
    ),
    (
        "/bbs/thread-2.html",
        "女山湖镇王庄村征地补偿款比邻村低",
        "王庄村村民反映，修路征地每亩补偿比邻村少一万多，希望镇里给个说法。",
    ),
]
FOLLOW_UP = (
    "/bbs/thread-3.html",
    "临湖小区拆迁户再次反映：补偿款仍未到位",
    "女山湖镇临湖小区拆迁户说，恒达公司答应月底前发放的补偿款到现在还没有消息。",
)
ARTICLE = (
    "/news/a1.html",
    "女山湖镇一小区部分拆迁户补偿款逾期未发放",
    "近日，有网民反映女山湖镇临湖小区拆迁补偿款逾期未发放。记者了解到，涉及拆迁户四十余户，"
    "开发企业恒达公司称资金周转困难，镇政府已督促其尽快兑付。",
)
BIG5_TITLE = "女山湖鎮臨湖小區拆遷戶補償款遲遲未到位"


def forum_list(threads: list[tuple[str, str, str]]) -> bytes:
    rows = "".join(f'<li><a href="{path}">{title}</a></li>' for path, title, _ in threads)
    html = f'<html><head><meta charset="gbk"></head><body><ul class="t">{rows}</ul></body></html>'
    return html.encode("gbk")


def page(title: str, body: str, charset: str = "utf-8") -> bytes:
    html = f'<html><head><meta charset="{charset}"></head><body><h1>{title}</h1>'
    return (html + f'<div class="c">{body}</div></body></html>').encode(charset)


def sources(base: str) -> str:
    return f"""\
defaults:
  politeness: {{rate: 100, concurrency: 4, robots: false}}
sources:
  - id: bbs
    name: 女山湖论坛
    kind: html
    url: {base}/bbs/list.html
    territorial: true
    allow_private: true
    selectors: {{item: "ul.t li", title: "a"}}
    detail: {{body: "div.c"}}
  - id: news
    name: 明光新闻网
    kind: html
    url: {base}/news/list.html
    territorial: true
    media: true
    allow_private: true
    selectors: {{item: "ul.n li", title: "a"}}
    detail: {{body: "div.c"}}
  - id: tw
    name: 港台转载站
    kind: html
    url: {base}/tw/list.html
    allow_private: true
    selectors: {{item: "ul.news li", title: "a"}}
"""


def publish(site: LocalSite, threads: list[tuple[str, str, str]]) -> None:
    site.serve("/bbs/list.html", forum_list(threads), content_type="text/html")
    for path, title, body in threads:
        site.serve(path, page(title, body, "gbk"), content_type="text/html")
    path, title, body = ARTICLE
    site.serve(
        "/news/list.html", f'<ul class="n"><li><a href="{path}">{title}</a></li></ul>'.encode()
    )
    site.serve(path, page(title, body))
    tw = f'<html><body><ul class="news"><li><a href="/tw/7.html">{BIG5_TITLE}</a></li></ul>'
    site.serve("/tw/list.html", (tw + "</body></html>").encode("big5"), content_type="text/html")


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()  # type: ignore[union-attr,no-any-return]


def zrzy_digests(server: MailServer) -> list[EmailMessage]:
    return [
        m
        for m in server.inbox.mails
        if "舆情摘要" in str(m["Subject"]) and str(m["To"]) == "zrzy@example.gov.cn"
    ]


async def test_one_event_on_three_sites_is_one_alert_and_a_later_copy_updates_it(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site, THREADS)
    config = write_county(tmp_path / "cfg", site, mail.port, sources=sources(site.base))
    clock = Clock(MONDAY_10)
    daemon = Daemon(
        load_checked(config),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}",
        clock=clock,
        env={},
    )
    async with daemon as d:
        first = await d.tick()
        assert first.duty and first.dispatch.failed == 0
        store = d.patrol.store
        stories = await store.stories()
        by_title = {p.title: s for s in stories for p in s.posts}
        event = by_title[THREADS[0][1]]
        assert sorted(p.source_id for p in event.posts) == ["bbs", "news", "tw"]
        assert {p.placed_by for p in event.posts} == {"first", "event"}
        joined = [p for p in event.posts if p.placed_by == "event"]
        assert all(p.why.startswith("同一事件：临湖小区") for p in joined)
        assert all(p.similarity is not None and 0.45 <= p.similarity <= 1 for p in joined)
        # the other village's compensation is another event, whatever the shared words
        assert THREADS[1][1] in by_title and len(by_title[THREADS[1][1]].posts) == 1
        alerts = await store.alerts(department="zrzy")
        assert len(alerts) == 2
        (alert,) = [a for a in alerts if a.story_id == event.id]

        (digest,) = zrzy_digests(mail)
        text = text_of(digest)
        assert text.count(f"/alerts/{alert.id}") == 1  # one claim link for the event
        assert text.count("【新】") == 2 and "归并依据：同一事件：临湖小区" in text
        line = next(x for x in text.splitlines() if "女山湖论坛" in x and "来源" in x)
        assert set(line.split("：")[1].split("、")) == {"女山湖论坛", "明光新闻网", "港台转载站"}
        assert "级别调整：重大→紧急：" in text  # the copies count: spread or the news outlet
        # and the critical item says which rule made it so
        reason = next(x for x in text.splitlines() if "紧急原因：" in x).split("：", 1)[1]
        assert reason in ("由 3 个来源转载", "新闻媒体报道（明光新闻网）")

        # the land office claims the event; the next duty patrol finds a follow-up on the
        # forum: it joins the story, opens no alert, and the claimed alert is in the digest
        flow = Workflow(store, d.cfg.settings)
        await flow.add_user(
            "wang", role="officer", department="zrzy", name="王", password="secret-pw", at=clock()
        )
        await flow.act(alert.id, "claim", "wang", at=clock.advance(minutes=10))
        publish(site, [*THREADS, FOLLOW_UP])
        clock.advance(minutes=47)  # 11:02
        second = await d.tick()
        assert second.duty and second.dispatch.failed == 0
        assert len(await store.alerts()) == 2
        grown = {s.id: s for s in await store.stories()}[event.id]
        assert [p.title for p in grown.posts][-1] == FOLLOW_UP[1]
        assert grown.posts[-1].placed_by == "event"

        update = zrzy_digests(mail)[-1]
        assert update is not digest
        later = text_of(update)
        assert "【更新】" in later and "新增转载/跟帖 1 处（共 4 篇）" in later
        assert "【新】" not in later  # nothing in it is new since the 10:00 digest
        assert "更新 1 条" in str(update["Subject"])


async def test_after_a_merge_the_running_patrol_puts_copies_in_the_surviving_story(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    publish(site, THREADS)
    # without the event step the forum post and the portal's rewrite are two alerts
    config = write_county(
        tmp_path / "cfg",
        site,
        mail.port,
        sources=sources(site.base),
        extra_settings="cluster:\n  events:\n    enabled: false\n",
    )
    clock = Clock(MONDAY_10)
    db = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    async with Daemon(load_checked(config), database_url=db, clock=clock, env={}) as d:
        await d.tick()
        store = d.patrol.store
        by_source = {p.source_id: s for s in await store.stories() for p in s.posts}
        forum, news = by_source["bbs"], by_source["news"]
        assert forum.id != news.id
        alert_of = {a.story_id: a for a in await store.alerts()}
        flow = Workflow(store, d.cfg.settings)
        await flow.add_user(
            "boss", role="lead", department="lead", name="B", password="secret-pw", at=clock()
        )
        done = await flow.merge(
            alert_of[news.id].id, alert_of[forum.id].id, "boss", at=clock.advance(minutes=5)
        )
        assert done.survivor.story_id == forum.id  # neither claimed: the first detected
        # a verbatim copy of the portal's article appears on the repost site
        tw = (
            '<html><head><meta charset="utf-8"></head><body><ul class="news">'
            f'<li><a href="/tw/7.html">{BIG5_TITLE}</a></li>'
            f'<li><a href="/tw/8.html">{ARTICLE[1]}（转载）</a></li></ul></body></html>'
        )
        site.serve("/tw/list.html", tw.encode(), content_type="text/html")
        clock.advance(minutes=52)
        await d.tick()
        stories = {s.id: s for s in await store.stories()}
        copy = [p for s in stories.values() for p in s.posts if p.url.endswith("/tw/8.html")]
        assert len(copy) == 1 and copy[0].story_id == forum.id, copy
        assert copy[0].placed_by == "repost"


async def test_each_step_keeps_its_own_window_after_a_restart(
    site: LocalSite, mail: MailServer, tmp_path: Path
) -> None:
    """Reposts are sought over `cluster.window` (14 days); an event whose alert is still being
    handled takes follow-ups for `open_window` (30 days), also when the index is rebuilt."""
    from sentinel.pipeline import Patrol

    publish(site, THREADS[:1])
    config = write_county(tmp_path / "cfg", site, mail.port, sources=sources(site.base))
    db = f"sqlite+aiosqlite:///{tmp_path / 'sentinel.db'}"
    clock = Clock(MONDAY_10)
    async with await Patrol.open(load_checked(config), database_url=db, clock=clock) as p:
        await p.run(sources=[s for s in p.cfg.sources.sources if s.id == "bbs"])
    # twenty days later, on a fresh start: a verbatim copy of the thread
    _, title, body = THREADS[0]
    copy = ("/bbs/thread-9.html", title + "！", body)
    publish(site, [*THREADS[:1], copy])
    clock.advance(days=20)
    async with await Patrol.open(load_checked(config), database_url=db, clock=clock) as p:
        await p.run(sources=[s for s in p.cfg.sources.sources if s.id == "bbs"])
        (story,) = await p.store.stories()
    placed = {p.url.rsplit("/", 1)[1]: p.placed_by for p in story.posts}
    # not a repost (the 14-day window is past) but the same event (its alert is open)
    assert placed == {"thread-1.html": "first", "thread-9.html": "event"}
