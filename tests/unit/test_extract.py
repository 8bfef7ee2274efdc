"""Extraction: each source kind from bytes built here, dates, counts and canonical URLs."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sentinel.config.models import DetailSelectors, JsonFields, Selectors, Source
from sentinel.errors import ExtractError
from sentinel.extract import canonical_url, extract_detail, extract_list, next_page
from sentinel.extract.dates import SHANGHAI, parse_date
from sentinel.extract.numbers import parse_count
from sentinel.extract.post import Post
from sentinel.fetch.page import Page
from sentinel.sources import resolve
from tests.fixtures.sites import (
    API_ITEMS,
    BIG5_PAGE,
    FORUM_ROWS,
    PORTAL_ITEMS,
    feed,
    forum_page,
    portal_article,
    portal_list,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
BASE = "http://bbs.example.cn"


def page(
    body: bytes | str,
    url: str = f"{BASE}/list.html",
    *,
    content_type: str = "text/html",
    charset: str | None = None,
) -> Page:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Page(
        url=url,
        requested_url=url,
        status=200,
        content_type=content_type,
        charset=charset,
        body=data,
        fetched_at=NOW,
    )


def html_source(**kw: Any) -> Source:
    kw.setdefault("selectors", Selectors(item="li", title="a"))
    return Source(id="s", kind="html", url=f"{BASE}/list.html", **kw)


def shanghai(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------------------- html


def test_gbk_forum_with_explicit_selectors() -> None:
    src = html_source(
        selectors=Selectors(
            item="tbody[id^=normalthread_]",
            title="a.xst",
            date="td.by em span",
            replies="td.num a",
            views="td.num em",
            author="td.by cite a",
        )
    )
    posts = extract_list(src, page(forum_page(), f"{BASE}/bbs/forum-2-1.html"))
    assert [p.title for p in posts] == [r[1] for r in FORUM_ROWS]
    first = posts[0]
    assert first.url == f"{BASE}/bbs/thread-101-1-1.html"
    assert (first.replies, first.views) == (35, 1200)
    assert first.published_at == shanghai(2026, 11, 20, 9, 12)
    assert first.author == "网友"
    assert first.source_id == "s"


def test_discuz_preset_reads_the_same_forum() -> None:
    src = resolve(Source(id="bbs", kind="html", url=f"{BASE}/bbs/", preset="discuz"))
    posts = extract_list(src, page(forum_page(), f"{BASE}/bbs/forum-2-1.html"))
    assert [(p.title, p.replies, p.views) for p in posts] == [
        (title, replies, views) for _, title, replies, views, _ in FORUM_ROWS
    ]
    assert all(p.published_at is not None for p in posts)


def test_discuz_7_markup_with_preset() -> None:
    html = """<html><head><meta charset="gbk"></head><body><form><table>
    <tbody id="stickthread_7"><tr><th class="subject"><span id="thread_7">
      <a href="viewthread.php?tid=7&amp;extra=page%3D1">置顶：版规</a></span></th>
      <td class="author"><cite><a href="space.php?uid=1">版主</a></cite><em>2009-10-1</em></td>
      <td class="nums"><strong>5</strong> / <em>1,234</em></td></tr></tbody>
    <tbody id="normalthread_8"><tr><th class="subject"><span id="thread_8">
      <a href="viewthread.php?tid=8&amp;extra=page%3D1">拆迁补偿问题</a></span></th>
      <td class="author"><cite><a href="space.php?uid=2">网友</a></cite><em>2009-10-2</em></td>
      <td class="nums"><strong>12</strong> / <em>1.2万</em></td></tr></tbody>
    </table></form><div class="pages"><a href="forumdisplay.php?fid=2&amp;page=2"
      class="next">下一页</a></div></body></html>""".encode("gbk")
    src = resolve(Source(id="bbs", kind="html", url=f"{BASE}/", preset="discuz", pages=2))
    p = page(html, f"{BASE}/forumdisplay.php?fid=2")
    posts = extract_list(src, p)
    assert [(x.title, x.replies, x.views, x.author) for x in posts] == [
        ("置顶：版规", 5, 1234, "版主"),
        ("拆迁补偿问题", 12, 12000, "网友"),
    ]
    assert posts[1].url == f"{BASE}/viewthread.php?tid=8"  # a thread is its tid (`extra` varies)
    assert posts[1].published_at == shanghai(2009, 10, 2)
    assert next_page(src, p) == f"{BASE}/forumdisplay.php?fid=2&page=2"


def test_portal_list_keeps_full_title_and_drops_tracking() -> None:
    src = html_source(selectors=Selectors(item="ul.list li", title="a", date="span"))
    posts = extract_list(src, page(portal_list(), f"{BASE}/gov/list.html"))
    assert [p.title for p in posts] == [t for _, t, _, _ in PORTAL_ITEMS]
    assert [p.url for p in posts] == [
        f"{BASE}/gov/art/1.html",
        f"{BASE}/gov/art/2.html",
        f"{BASE}/gov/art/3.html",
    ]
    assert posts[0].published_at == shanghai(2026, 11, 19)


def test_big5_page_by_header_charset() -> None:
    src = html_source(selectors=Selectors(item="ul.news li", title="a", date="em"))
    p = page(BIG5_PAGE.encode("big5"), f"{BASE}/tw/list.html", charset="big5")
    posts = extract_list(src, p)
    assert [p.title for p in posts] == [
        "女山湖鎮強拆農戶房屋，補償款至今未到位",
        "台北捷運新線通車",
    ]
    assert posts[0].url == f"{BASE}/tw/news/7.html"
    assert posts[0].published_at == shanghai(2026, 11, 20, 13, 0)


def test_source_encoding_overrides_a_wrong_header() -> None:
    body = '<ul><li><a href="/a">明光市政府工作报告</a></li></ul>'.encode("gbk")
    wrong = page(body, charset="iso-8859-1")
    # clearly Chinese bytes behind a Latin header are read as Chinese (fetch/charset.py) …
    assert extract_list(html_source(), wrong)[0].title == "明光市政府工作报告"
    assert extract_list(html_source(encoding="gbk"), wrong)[0].title == "明光市政府工作报告"
    # … but the operator's `encoding:` is always used, even a wrong one
    assert extract_list(html_source(encoding="latin-1"), wrong)[0].title != "明光市政府工作报告"


def test_links_join_base_href_and_bad_items_are_skipped() -> None:
    html = """<html><head><base href="http://cdn.example.cn/news/"></head><body><ul>
      <li><a href="a.html#top">第一条</a></li>
      <li><a href="a.html?utm_source=x">第一条（重复）</a></li>
      <li><a href="javascript:;">脚本链接</a></li>
      <li><a href="mailto:x@example.cn">邮件</a></li>
      <li><a href="http://[broken/a">坏的 IPv6</a></li>
      <li><a href="http://example.cn:99999/a">坏的端口</a></li>
      <li><a href="b.html">   </a></li>
      <li><span>没有链接</span></li>
      <li><a href=" c.html?b=2&amp;a=1 ">第
          三    条</a></li>
    </ul></body></html>"""
    posts = extract_list(html_source(), page(html))
    assert [(p.url, p.title) for p in posts] == [
        ("http://cdn.example.cn/news/a.html", "第一条"),
        ("http://cdn.example.cn/news/c.html?a=1&b=2", "第 三 条"),
    ]


def test_item_without_title_selector_is_its_own_link() -> None:
    html = '<p><a href="/x/1">一</a> <a href="/x/2" title="二号全文">二号...</a></p>'
    src = html_source(selectors=Selectors(item="a"))
    posts = extract_list(src, page(html))
    assert [(p.url, p.title) for p in posts] == [
        (f"{BASE}/x/1", "一"),
        (f"{BASE}/x/2", "二号全文"),
    ]


def test_attribute_selectors_link_selector_and_body() -> None:
    html = """<div class="row" data-href="/t/9"><h3 title="完整标题">标题</h3>
      <p class="sum">第一段<br>第二段<script>var x = 1;</script></p>
      <time datetime="2026-11-19T08:00:00+08:00">昨天</time><i>阅读 3千</i></div>"""
    src = html_source(
        selectors=Selectors(
            item="div.row",
            title="h3@title",
            link="@data-href",
            body="p.sum",
            date="time",
            views="i",
        )
    )
    (post,) = extract_list(src, page(html))
    assert (post.title, post.url) == ("完整标题", f"{BASE}/t/9")
    assert post.body == "第一段\n第二段"
    assert post.published_at == shanghai(2026, 11, 19, 8, 0)
    assert post.views == 3000


def test_date_title_attribute_beats_relative_text() -> None:
    html = """<ul><li><a href="/1">帖子</a><em><span><span title="2026-11-17 21:51">3&nbsp;天前
      </span></span></em></li></ul>"""
    src = html_source(selectors=Selectors(item="li", title="a", date="em span"))
    assert extract_list(src, page(html))[0].published_at == shanghai(2026, 11, 17, 21, 51)


def test_date_format_from_config() -> None:
    html = '<ul><li><a href="/1">帖子</a><i>20/11/26 0912</i></li></ul>'
    src = html_source(
        selectors=Selectors(item="li", title="a", date="i"), date_format="%d/%m/%y %H%M"
    )
    assert extract_list(src, page(html))[0].published_at == shanghai(2026, 11, 20, 9, 12)


def test_html_without_item_selector_or_with_bad_css_raises() -> None:
    with pytest.raises(ExtractError, match="item selector") as info:
        extract_list(html_source(selectors=Selectors()), page("<ul></ul>"))
    assert info.value.source_id == "s"
    with pytest.raises(ExtractError, match="selector"):
        extract_list(html_source(selectors=Selectors(item="li[")), page("<ul></ul>"))


def test_garbage_as_html_is_an_empty_list_not_a_crash() -> None:
    garbage = random.Random("0").randbytes(8192)
    assert extract_list(html_source(), page(garbage)) == []


def test_detail_page_gives_body_title_and_date() -> None:
    title, text = PORTAL_ITEMS[1][1], PORTAL_ITEMS[1][3]
    post = Post(source_id="s", url=f"{BASE}/gov/art/2.html", title="关于管店镇…")
    art = page(portal_article(title, text), post.url)
    src = html_source(detail=DetailSelectors(body="div.article-content"))
    assert extract_detail(src, art, post) == Post(
        source_id="s", url=post.url, title="关于管店镇…", body=text
    )
    html = """<html><body><h1>完整的标题</h1><div class="info">发布时间：2026年11月20日 09:12</div>
      <div id="c"><p>正文一</p><p>正文二</p></div></body></html>"""
    src = html_source(detail=DetailSelectors(body="#c", title="h1", date="div.info"))
    got = extract_detail(src, page(html, post.url), post)
    assert (got.title, got.body) == ("完整的标题", "正文一\n正文二")
    assert got.published_at == shanghai(2026, 11, 20, 9, 12)


def test_detail_that_finds_nothing_keeps_the_post() -> None:
    post = Post(source_id="s", url=f"{BASE}/1", title="标题", body="列表摘要")
    src = html_source(detail=DetailSelectors(body="#missing", title="h9"))
    assert extract_detail(src, page("<p>x</p>"), post) is post
    assert extract_detail(html_source(), page("<p>x</p>"), post) is post


def test_next_page() -> None:
    html = '<div class="pg"><a href="?page=2&amp;utm_source=x" class="nxt">下一页</a></div>'
    src = html_source(selectors=Selectors(item="li", title="a", next="a.nxt"))
    assert next_page(src, page(html, f"{BASE}/forum.php?page=1")) == f"{BASE}/forum.php?page=2"
    assert next_page(html_source(), page(html)) is None
    # A "next" link to the page itself is the last page, not a loop.
    same = '<a class="nxt" href="/list.html">下一页</a>'
    assert next_page(src, page(same)) is None


# -------------------------------------------------------------------------------------- rss


def rss_source() -> Source:
    return Source(id="f", kind="rss", url=f"{BASE}/feed.xml")


def test_rss_feed_items() -> None:
    p = page(feed(BASE), f"{BASE}/feed.xml", content_type="application/rss+xml")
    posts = extract_list(rss_source(), p)
    assert [x.title for x in posts] == [
        "明光一工地拖欠农民工工资半年 工人讨薪无门",
        "滁州举行马拉松比赛",
        "某县学校乱收费问题调查",
    ]
    first = posts[0]
    assert first.url == f"{BASE}/news/2001.html"  # fragment and utm_medium dropped
    assert first.body == "记者获悉，明光一工地拖欠农民工工资半年，工人多次讨薪无门。"
    assert first.published_at == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def test_a_gbk_feed_served_as_iso_8859_1_reads_as_chinese() -> None:
    items = "".join(
        f"<item><title>明光市女山湖镇强拆农户房屋（{n}）</title><link>/n/{n}</link></item>"
        for n in range(20)
    )
    body = (
        '<?xml version="1.0" encoding="gbk"?><rss version="2.0">'
        f"<channel><title>新闻</title>{items}</channel></rss>"
    ).encode("gbk")
    posts = extract_list(rss_source(), page(body, content_type="text/xml", charset="ISO-8859-1"))
    assert [p.title for p in posts] == [f"明光市女山湖镇强拆农户房屋（{n}）" for n in range(20)]


def test_gbk_feed_by_declaration_and_by_http_header() -> None:
    items = (
        "<item><title>拆迁&amp;补偿</title><link>/n/1</link>"
        "<pubDate>2026-11-20 09:12</pubDate></item>"
    )
    declared = (
        '<?xml version="1.0" encoding="gb2312"?><rss version="2.0">'
        f"<channel><title>新闻</title>{items}</channel></rss>"
    )
    (post,) = extract_list(rss_source(), page(declared.encode("gbk"), content_type="text/xml"))
    assert post.title == "拆迁&补偿"
    assert post.url == f"{BASE}/n/1"
    # A time without a zone in a Chinese feed is Beijing time, not feedparser's UTC.
    assert post.published_at == shanghai(2026, 11, 20, 9, 12)

    undeclared = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
    p = page(undeclared.encode("gbk"), content_type="application/rss+xml", charset="gbk")
    assert extract_list(rss_source(), p)[0].title == "拆迁&补偿"


def test_big5_atom_feed() -> None:
    atom = """<?xml version="1.0" encoding="big5"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>轉載</title>
    <entry><title type="html">&lt;b&gt;女山湖鎮&lt;/b&gt;強拆</title>
      <link href="http://tw.example.com/7.html"/><id>tag:x,1</id>
      <updated>2026-11-20T05:00:00Z</updated>
      <content type="html">&lt;p&gt;一&lt;/p&gt;&lt;p&gt;二&lt;/p&gt;</content></entry></feed>"""
    (post,) = extract_list(
        rss_source(), page(atom.encode("big5"), content_type="application/atom+xml")
    )
    assert (post.title, post.body) == ("女山湖鎮強拆", "一\n二")
    assert post.published_at == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def test_valid_empty_feed_is_empty() -> None:
    empty = '<?xml version="1.0"?><rss version="2.0"><channel><title>空</title></channel></rss>'
    assert extract_list(rss_source(), page(empty, content_type="application/rss+xml")) == []


@pytest.mark.parametrize(
    "body",
    [
        random.Random("0").randbytes(8192),  # what the fixture's /fault/garbage serves
        b"<html><body><p>not a feed</p></body></html>",
        b"",
    ],
)
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(ExtractError, match="not an RSS or Atom feed") as info:
        extract_list(rss_source(), page(body, f"{BASE}/fault/garbage"))
    assert (info.value.url, info.value.source_id) == (f"{BASE}/fault/garbage", "f")


# ------------------------------------------------------------------------------------- json


def json_source(**fields: Any) -> Source:
    return Source(id="api", kind="json", url=f"{BASE}/api/list", json_fields=JsonFields(**fields))


def test_json_list_api_with_link_template() -> None:
    src = json_source(
        items="data.list",
        link_template="/board/detail?id={id}",
        date="createTime",
        body="content",
        replies="replyCount",
    )
    p = page(json.dumps(API_ITEMS, ensure_ascii=False), f"{BASE}/api/list?page=1")
    posts = extract_list(src, p)
    assert [(x.title, x.url, x.replies) for x in posts] == [
        ("明东街道某小学收取资料费是否合理？", f"{BASE}/board/detail?id=9001", 2),
        ("建议增加公交班次", f"{BASE}/board/detail?id=9002", 0),
    ]
    assert posts[0].body.startswith("孩子所在学校")
    assert posts[0].published_at == shanghai(2026, 11, 20, 14, 0)


def test_json_nested_fields_indices_epoch_and_charset() -> None:
    data = {
        "result": [
            {
                "rows": [
                    {
                        "info": {"t": "标题一", "u": "/p/1"},
                        "ts": 1795140000000,
                        "hits": "1.2万",
                    },
                    {"info": {"t": "", "u": "/p/2"}},  # no title: skipped
                    "not an object",
                ]
            }
        ]
    }
    src = json_source(items="result.0.rows", title="info.t", link="info.u", date="ts", views="hits")
    body = json.dumps(data, ensure_ascii=False).encode("gbk")
    (post,) = extract_list(src, page(body, content_type="application/json", charset="gbk"))
    assert (post.title, post.url, post.views) == ("标题一", f"{BASE}/p/1", 12000)
    assert post.published_at == datetime.fromtimestamp(1795140000, UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not JSON"),
        ('{"data": {}}', "'data.list'"),
        ('{"data": {"list": {"a": 1}}}', "not a list"),
    ],
)
def test_json_errors_name_the_problem(body: str, message: str) -> None:
    with pytest.raises(ExtractError, match=message) as info:
        extract_list(json_source(items="data.list"), page(body))
    assert info.value.source_id == "api"


# ------------------------------------------------------------------------------------ dates

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 2026-11-20 16:00 in Shanghai


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20 09:12", shanghai(2026, 11, 20, 9, 12)),
        ("2026-11-20", shanghai(2026, 11, 20)),
        ("2026/11/20 9:12:03", shanghai(2026, 11, 20, 9, 12, 3)),
        ("2026年11月20日 09:12", shanghai(2026, 11, 20, 9, 12)),
        ("2026年11月20日", shanghai(2026, 11, 20)),
        ("发布时间：2026-7-9", shanghai(2026, 7, 9)),
        ("２０２６－１１－２０", shanghai(2026, 11, 20)),
        ("11-20 09:12", shanghai(2026, 11, 20, 9, 12)),
        ("12-31 23:00", shanghai(2025, 12, 31, 23, 0)),  # would be the future: last year
        ("[11-19]", shanghai(2026, 11, 19)),
        ("刚刚", shanghai(2026, 11, 20, 16, 0)),
        ("5 分钟前", shanghai(2026, 11, 20, 15, 55)),
        ("3小时前", shanghai(2026, 11, 20, 13, 0)),
        ("半小时前", shanghai(2026, 11, 20, 15, 30)),
        ("昨天 12:30", shanghai(2026, 11, 19, 12, 30)),
        ("前天 08:00", shanghai(2026, 11, 18, 8, 0)),
        ("今天 09:00", shanghai(2026, 11, 20, 9, 0)),
        ("3 天前", shanghai(2026, 11, 17, 16, 0)),
        ("3\xa0天前", shanghai(2026, 11, 17, 16, 0)),
        ("09:12", shanghai(2026, 11, 20, 9, 12)),
        ("Fri, 20 Nov 2026 06:00:00 +0000", datetime(2026, 11, 20, 6, 0, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 06:00:00 GMT", datetime(2026, 11, 20, 6, 0, tzinfo=UTC)),
        ("2026-11-20T09:12:00+08:00", shanghai(2026, 11, 20, 9, 12)),
        ("2026-11-20T01:12:00Z", datetime(2026, 11, 20, 1, 12, tzinfo=UTC)),
        ("1795140000", datetime.fromtimestamp(1795140000, UTC)),
        ("", None),
        ("明天见", None),
        ("2026-13-45", None),
        ("99-99 99:99", None),
    ],
)
def test_dates(text: str, expected: datetime | None) -> None:
    got = parse_date(text, AT)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None


def test_dates_numbers_and_formats() -> None:
    assert parse_date(1795140000, AT) == datetime.fromtimestamp(1795140000, UTC)
    assert parse_date(1795140000123, AT) == datetime.fromtimestamp(1795140000.123, UTC)
    assert parse_date(42, AT) is None
    assert parse_date(None, AT) is None
    assert parse_date(True, AT) is None
    assert parse_date("20261120", AT, fmt="%Y%m%d") == shanghai(2026, 11, 20)
    # A format that does not fit falls back to the usual forms.
    assert parse_date("2026-11-20", AT, fmt="%d.%m.%Y") == shanghai(2026, 11, 20)
    assert parse_date("5 分钟前", AT) == AT - timedelta(minutes=5)


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234", 1234),
        ("1.2万", 12000),
        ("3千", 3000),
        ("2亿", 200_000_000),
        ("1.5w", 15000),
        ("2k", 2000),
        ("回复: 35", 35),
        ("35 / 1200", 35),
        ("１２３", 123),
        (" 42 ", 42),
        (7, 7),
        (7.9, 7),
        ("", None),
        ("暂无", None),
        (None, None),
        (-1, None),
        (True, None),
    ],
)
def test_counts(value: object, expected: int | None) -> None:
    assert parse_count(value) == expected


# ------------------------------------------------------------------------------------- urls


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Example.COM/a#frag", "http://example.com/a"),
        ("HTTP://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/a?", "http://example.com/a"),
        ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        (
            "http://example.com/a?utm_source=x&id=3&UTM_Medium=y&spm=1.2&scm=s&gclid=g"
            "&fbclid=f&yclid=y&mc_cid=m&mc_eid=e&share_token=t&isappinstalled=0&wfr=w"
            "&_hsenc=h&_hsmid=h",
            "http://example.com/a?id=3",
        ),
        ("http://example.com/a?from=timeline&id=1", "http://example.com/a?from=timeline&id=1"),
        ("http://example.com/a?123", "http://example.com/a?123"),
        ("http://example.com/a?x=%e4%b8%ad", "http://example.com/a?x=%E4%B8%AD"),
        (
            "http://example.com/新闻/1.html?q=中",
            "http://example.com/%E6%96%B0%E9%97%BB/1.html?q=%E4%B8%AD",
        ),
        ("http://example.com/a?a=1&&b=2&", "http://example.com/a?a=1&b=2"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent


def test_canonical_url_refuses_what_cannot_be_split() -> None:
    with pytest.raises(ValueError):
        canonical_url("http://[broken/a")
    with pytest.raises(ValueError):
        canonical_url("http://example.cn:99999/a")


def test_canonical_url_joins_relative_links() -> None:
    assert canonical_url("../b.html#x", "http://e.com/news/a/") == "http://e.com/news/b.html"
    assert canonical_url(" \n/c?utm_source=1 ", "http://e.com/news/") == "http://e.com/c"
    assert canonical_url("//cdn.e.com/x", "https://e.com/") == "https://cdn.e.com/x"
