"""Presets on fixture pages: Discuz! 7 lists, a message board with statuses, RSSHub routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sentinel.config.models import Selectors, Source, SourceKind
from sentinel.extract import extract_detail, extract_list, next_page
from sentinel.extract.dates import SHANGHAI
from sentinel.extract.post import Post
from sentinel.extract.status import IN_PROGRESS, REPLIED, UNREPLIED, status_of
from sentinel.fetch.page import Page
from sentinel.sources import ALL_PRESETS, FEED_PRESETS, PRESETS, resolve, rsshub_url, rules_for

AT = datetime(2024, 3, 20, 2, 0, tzinfo=UTC)


def page(html: str, url: str, charset: str = "utf-8") -> Page:
    return Page(
        url=url,
        requested_url=url,
        status=200,
        content_type=f"text/html; charset={charset}",
        body=html.encode(charset),
        fetched_at=AT,
    )


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


# Rows as 1984bbs's Discuz! 7 forumdisplay.php printed them (one sticky row added).
DISCUZ7_ROW = """
<tbody id="{kind}thread_{tid}"><tr>
 <td class="folder"><a href="viewthread.php?tid={tid}&amp;extra=page%3D1" title="新窗口打开"
   target="_blank"><img src="images/default/folder_common.gif" /></a></td>
 <td class="icon">&nbsp;</td>
 <th class="common"><label> </label>
  <em>[<a href="forumdisplay.php?fid=2&amp;filter=type&amp;typeid=1">新闻</a>]</em>
  <span id="thread_{tid}"><a href="viewthread.php?tid={tid}&amp;extra=page%3D1">{title}</a></span>
 </th>
 <td class="author"><cite><a href="space.php?uid=476">{author}</a></cite><em>{date}</em></td>
 <td class="nums"><strong>{replies}</strong> / <em>{views}</em></td>
 <td class="lastpost"><em><a href="redirect.php?tid={tid}&goto=lastpost#lastpost"
  >2009-3-24 22:33</a></em><cite>by <a href="space.php?username=leaflet">leaflet</a></cite></td>
</tr></tbody>"""

DISCUZ7_LIST = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>'
    '<div class="pages"><a href="forumdisplay.php?fid=2&amp;page=2" class="next">&rsaquo;&rsaquo;'
    '</a></div><table summary="forum_2" id="forum_2"><thead class="category"><tr>'
    '<td class="folder"> </td><th>标题</th><td class="author">作者</td>'
    '<td class="nums">回复/查看</td></tr></thead>'
    + DISCUZ7_ROW.format(
        kind="stick",
        tid=100,
        title="本版规定",
        author="版主",
        date="2008-12-1",
        replies=3,
        views=5021,
    )
    + DISCUZ7_ROW.format(
        kind="normal",
        tid=7725,
        title="哈维尔会见徐友渔、莫少平、崔卫平",
        author="会飞的猪",
        date="2009-3-16",
        replies=37,
        views=1075,
    )
    + DISCUZ7_ROW.format(
        kind="normal",
        tid=7650,
        title="反政府地下教会成立",
        author="张书记",
        date="2009-3-23",
        replies="1,037",
        views="1.2万",
    )
    + "</table></body></html>"
)


def test_discuz7_forumdisplay_gbk() -> None:
    url = "http://bbs.example.cn/forumdisplay.php?fid=2"
    src = resolve(Source(id="bbs", kind="html", url=url, preset="discuz"))
    pg = page(DISCUZ7_LIST, url, "gbk")
    posts = extract_list(src, pg)
    assert [(p.title, p.replies, p.views, p.author) for p in posts] == [
        ("本版规定", 3, 5021, "版主"),
        ("哈维尔会见徐友渔、莫少平、崔卫平", 37, 1075, "会飞的猪"),
        ("反政府地下教会成立", 1037, 12000, "张书记"),
    ]
    assert posts[1].url == "http://bbs.example.cn/viewthread.php?tid=7725"  # the tid alone
    # The author's date, not the last post's.
    assert posts[1].published_at == local(2009, 3, 16)
    assert next_page(src, pg) == "http://bbs.example.cn/forumdisplay.php?fid=2&page=2"


def test_discuz_detail_comes_from_the_preset_unless_the_source_has_its_own() -> None:
    url = "http://bbs.example.cn/"
    plain = resolve(Source(id="bbs", kind="html", url=url, preset="discuz"))
    assert plain.detail == PRESETS["discuz"].detail
    assert plain.detail is not None and "postmessage_" in plain.detail.body
    own = resolve(
        Source(id="bbs", kind="html", url=url, preset="discuz", detail={"body": "div.t_f"})
    )
    assert own.detail is not None
    assert (own.detail.body, own.detail.title, own.detail.date) == ("div.t_f", None, None)


# A county 问政 board: a table of messages, a list-style board, and a message page.
BOARD_TABLE = """<html><body>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/wz/">我要留言</a></li></ul>
<table class="lyb">
 <tr><th>编号</th><th>留言标题</th><th>留言时间</th><th>办理状态</th></tr>
 <tr><td>20240315001</td>
  <td><a href="detail.jsp?id=301" title="关于城关镇幸福小区门口道路长期积水的问题反映"
   >关于城关镇幸福小区门口道路长期积水...</a></td>
  <td>2024-03-15</td><td><span class="zt ok">已回复</span></td></tr>
 <tr><td>20240316002</td>
  <td><a href="detail.jsp?id=302">反映拆迁补偿一个月仍未回复</a></td>
  <td>2024-03-16</td><td><span class="zt">办理中</span></td></tr>
 <tr><td>20240318003</td>
  <td><a href="detail.jsp?id=303">学校门口早晚高峰拥堵</a></td>
  <td>[2024-03-18 09:30]</td><td><font color="red">待回复</font></td></tr>
</table>
<div class="page"><a href="list.jsp?page=2">下一页</a></div>
</body></html>"""

BOARD_LIST = """<html><body><ul class="ly-list">
 <li><span class="date">2024-03-19</span><a href="/ly/1.html">物业乱收费谁来管</a>
   <em class="status">状态：已答复</em></li>
 <li><a href="/ly/2.html">村里路灯坏了三个月</a><span>2024-03-18</span><i>已受理</i></li>
 <li><a href="/ly/3.html">建议增设公交站</a><span>2024-03-17</span></li>
</ul></body></html>"""

BOARD_MESSAGE = """<html><body><h1>关于城关镇幸福小区门口道路长期积水的问题反映</h1>
<div class="ly_content"><p>幸福小区门口一下雨就积水，已经半年了。</p>
<p>回复单位：县住建局</p><p>您好，已安排施工队本月内完成排水改造。</p></div>
</body></html>"""


def board(url: str) -> Source:
    return resolve(Source(id="wz", kind="html", url=url, preset="board", board=True))


def test_board_table_rows_with_title_time_and_status() -> None:
    url = "http://wz.example.gov.cn/list.jsp"
    posts = extract_list(board(url), page(BOARD_TABLE, url))
    assert [(p.title, p.published_at, p.status) for p in posts] == [
        ("关于城关镇幸福小区门口道路长期积水的问题反映", local(2024, 3, 15), REPLIED),
        # The title says 未回复; the status cell says 办理中, and the cell wins.
        ("反映拆迁补偿一个月仍未回复", local(2024, 3, 16), IN_PROGRESS),
        ("学校门口早晚高峰拥堵", local(2024, 3, 18, 9, 30), UNREPLIED),
    ]
    assert posts[0].url == "http://wz.example.gov.cn/detail.jsp?id=301"


def test_board_list_rows_and_a_row_without_status() -> None:
    url = "http://wz.example.gov.cn/ly/"
    posts = extract_list(board(url), page(BOARD_LIST, url))
    assert [(p.title, p.published_at, p.status) for p in posts] == [
        ("物业乱收费谁来管", local(2024, 3, 19), REPLIED),
        ("村里路灯坏了三个月", local(2024, 3, 18), IN_PROGRESS),
        ("建议增设公交站", local(2024, 3, 17), None),
    ]


def test_board_message_page_gives_message_and_reply() -> None:
    url = "http://wz.example.gov.cn/detail.jsp?id=301"
    src = board(url)
    post = extract_detail(src, page(BOARD_MESSAGE, url), Post(source_id="wz", url=url, title="x"))
    assert post.title == "关于城关镇幸福小区门口道路长期积水的问题反映"
    assert "已经半年了" in post.body and "排水改造" in post.body


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("已回复", REPLIED),
        ("状态：已办结", REPLIED),
        ("未回复", UNREPLIED),
        ("待处理", UNREPLIED),
        ("已受理", IN_PROGRESS),
        ("处理中", IN_PROGRESS),
        ("反映拆迁补偿一个月仍未回复", None),  # a sentence, not a status label
        ("", None),
    ],
)
def test_status_words(text: str, status: str | None) -> None:
    assert status_of(text) == status


def test_gov_list_rules_skip_menus_and_pick_the_longest_link() -> None:
    html = """<html><body><ul><li><a href="/">首页</a></li></ul><ul class="list">
    <li><span>(2024-03-01 10:00)</span><a href="/c/">[要闻]</a>
      <a href="/a/1.html">县长调研春耕</a></li>
    <li><a href="/a/2.html" title="关于2024年3月1日起调整公交线路的通告"
      >关于2024年3月1日起调整...</a>
      <span>2024-02-28</span></li></ul></body></html>"""
    url = "http://www.example.gov.cn/"
    posts = extract_list(
        resolve(Source(id="g", kind="html", url=url, preset="gov_list")), page(html, url)
    )
    assert [(p.title, p.url, p.published_at) for p in posts] == [
        ("县长调研春耕", "http://www.example.gov.cn/a/1.html", local(2024, 3, 1, 10, 0)),
        # The date inside the title is not the row's date.
        (
            "关于2024年3月1日起调整公交线路的通告",
            "http://www.example.gov.cn/a/2.html",
            local(2024, 2, 28),
        ),
    ]


def test_own_selectors_keep_the_preset_rules() -> None:
    src = resolve(
        Source(
            id="g",
            kind="html",
            url="http://e.gov.cn/",
            preset="gov_list",
            selectors=Selectors(item="div.row"),
        )
    )
    assert src.selectors.item == "div.row"
    assert rules_for(src).require_date and rules_for(src).scan_date
    plain = Source(id="p", kind="html", url="http://e.cn/", selectors=Selectors(item="li"))
    assert not rules_for(plain).require_date


@pytest.mark.parametrize("name", sorted(ALL_PRESETS))
def test_every_preset_is_described_and_fits_its_registry(name: str) -> None:
    preset = ALL_PRESETS[name]
    assert preset.name == name and preset.description
    if name in FEED_PRESETS:
        assert preset.kind is SourceKind.rss
        assert all(v is None for v in preset.selectors.model_dump().values())
    else:
        assert preset.kind is SourceKind.html and preset.selectors.item


# ------------------------------------------------------------------------------------ rsshub


@pytest.mark.parametrize(
    ("base", "route", "url"),
    [
        (
            "https://rsshub.app",
            "/tieba/forum/明光",
            "https://rsshub.app/tieba/forum/%E6%98%8E%E5%85%89",
        ),
        (
            "https://rsshub.app/",
            "weibo/user/1195230310",
            "https://rsshub.app/weibo/user/1195230310",
        ),
        (
            "http://10.0.0.5:1200/rsshub/",
            "/weibo/keyword/明光/exclude_rt=1&showAuthor=0?limit=20",
            "http://10.0.0.5:1200/rsshub/weibo/keyword/%E6%98%8E%E5%85%89/"
            "exclude_rt=1&showAuthor=0?limit=20",
        ),
        (
            "https://rsshub.app",
            "/tieba/forum/%E6%98%8E%E5%85%89",
            "https://rsshub.app/tieba/forum/%E6%98%8E%E5%85%89",
        ),
    ],
)
def test_rsshub_url(base: str, route: str, url: str) -> None:
    assert rsshub_url(base, route) == url


@pytest.mark.parametrize(
    ("base", "route"),
    [
        ("rsshub.app", "/tieba/forum/x"),
        ("ftp://rsshub.app", "/tieba/forum/x"),
        ("https://rsshub.app", "https://evil.example/feed"),
        ("https://rsshub.app", "//evil.example/feed"),
        ("https://rsshub.app", "/tieba/../../admin"),
        ("https://rsshub.app", ""),
        ("https://rsshub.app?x=1", "/a"),
    ],
)
def test_rsshub_url_refuses_what_leaves_the_instance(base: str, route: str) -> None:
    with pytest.raises(ValueError):
        rsshub_url(base, route)


def test_rsshub_preset_resolves_for_a_feed() -> None:
    src = Source(id="mg", kind="rss", url="https://rsshub.app/tieba/forum/x", preset="rsshub")
    assert resolve(src).selectors == src.selectors
    assert resolve(src).detail is None
