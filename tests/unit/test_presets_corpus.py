"""Every preset on the real pages of SENTINEL_CORPUS: counts, titles, dates and counts as read
off the pages by hand (see the closing note of issue 4 for the page-by-page summary)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.config.models import Source
from sentinel.extract import extract_detail, extract_list, next_page
from sentinel.extract.dates import SHANGHAI
from sentinel.extract.post import Post
from sentinel.fetch.charset import decode_html
from sentinel.fetch.page import Page
from sentinel.sources import resolve
from sentinel.sources.health import looks_blocked

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not os.environ.get("SENTINEL_CORPUS"), reason="SENTINEL_CORPUS not set"),
]

# Tieba's list was saved on 2020-08-02 (threads of "8-1" and of today's "16:02").
TIEBA_SAVED = datetime(2020, 8, 2, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
XINXIANG_SAVED = datetime(2017, 12, 21, 2, 0, tzinfo=UTC)
# Thread pages are read as if fetched after their newest post (2024-05-18): a date ahead of
# its fetch is a misread, and extraction leaves it out.
THREADS_READ = datetime(2024, 6, 1, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def page_of(rel: str, url: str, at: datetime = TIEBA_SAVED) -> Page:
    path = Path(os.environ.get("SENTINEL_CORPUS", "/nonexistent")) / rel
    return Page(
        url=url,
        requested_url=url,
        status=200,
        content_type="text/html",
        body=path.read_bytes(),
        fetched_at=at,
    )


def source(preset: str, url: str) -> Source:
    return resolve(Source(id="s", kind="html", url=url, preset=preset))


def detail(preset: str, rel: str, url: str) -> Post:
    src = source(preset, url)
    page = page_of(rel, url, THREADS_READ)
    return extract_detail(src, page, Post(source_id="s", url=url, title="(list)"))


# ------------------------------------------------------------------------------------ discuz

DISCUZ_THREADS = [
    # file, title, first post's time, start of the first post's body
    (
        "discuz/1984bbs_discuz7_viewthread_tid1770_gbk.html",
        "上海市决心杜绝“睡衣族”上街现象",
        local(2008, 12, 13, 18, 7),
        "法新社消息，上海市决定禁止市民穿睡衣上街。",
    ),
    (
        "discuz/1984bbs_discuz7_viewthread_tid25697_gbk.html",
        "内蒙古发生越狱事件",
        local(2009, 10, 18, 11, 43),
        "距离北京城区约400公里的内蒙古自治区首府呼和浩特昨日下午发生越狱事件",
    ),
    (
        "discuz/1984bbs_discuz7_viewthread_shuanghuanglian_gbk.html",
        "一针双黄连注射液最快2分钟内夺命",
        local(2009, 10, 12, 20, 10),
        "2009年10月12日 来源：中央电视台 经济半小时",
    ),
    (
        "discuz/magichtml_discuzx33_viewthread_csol_38672.html",
        "建议对鼠神进行改版",
        local(2024, 4, 5, 23, 20, 45),
        "建议对鼠神进行改版，现在的鼠神说是传奇，跟别的传奇差太远了",
    ),
    (
        "discuz/magichtml_discuzx33_viewthread_csol_38733.html",
        "游戏全屏问题，希望大家能出个主意！！",
        local(2024, 5, 18, 19, 27),
        "我的电脑分辨率是2560*1440",
    ),
]


@pytest.mark.parametrize(("rel", "title", "at", "body"), DISCUZ_THREADS)
def test_discuz_thread_page_gives_the_first_post(
    rel: str, title: str, at: datetime, body: str
) -> None:
    post = detail("discuz", rel, "https://bbs.example.cn/viewthread.php?tid=1")
    assert post.title == title
    assert post.published_at == at
    assert post.body.startswith(body)
    # Only the first floor: a reply's text is not in it.
    assert "我就爱穿睡衣出门关zf什么事" not in post.body


# ------------------------------------------------------------------------------------- tieba

TIEBA_LIST = "https://tieba.baidu.com/f?kw=%E8%B4%B4%E5%90%A7%E7%83%AD%E8%AE%AE&ie=utf-8"


def test_tieba_list_yields_its_50_threads() -> None:
    src = source("tieba", TIEBA_LIST)
    page = page_of("tieba/gne_tieba_list_redianyi.html", TIEBA_LIST)
    posts = extract_list(src, page)
    assert len(posts) == 50
    assert all(p.url.startswith("https://tieba.baidu.com/p/") for p in posts)
    assert all(p.title and p.replies is not None and p.published_at for p in posts)
    top, official = posts[0], posts[1]
    assert top.title == "【招聘】贴吧热议吧吧务邀请你的加入！！"
    assert (top.replies, top.author, top.published_at) == (143, "烟给我烟", local(2019, 12, 1))
    assert (official.replies, official.published_at) == (2498, local(2020, 7, 3))
    by_url = {p.url: p for p in posts}
    car = by_url["https://tieba.baidu.com/p/6855874703"]
    assert car.title.startswith("女大学生找不着北被网约车司机骂")
    assert car.replies == 73
    assert car.published_at == local(2020, 8, 2, 11, 51)  # "11:51": today
    # The link shows "娱乐圈吧..."; the title attribute names the author in full.
    assert car.author == "娱乐圈吧智囊团"
    rescue = by_url["https://tieba.baidu.com/p/6855574054"]
    assert rescue.body.startswith("8月1日，青海省格尔木公安局通报称")
    assert by_url["https://tieba.baidu.com/p/6202296985"].published_at == local(2019, 7, 1)
    assert sum(p.replies or 0 for p in posts) == 11664  # the page's 50 reply badges, summed
    assert next_page(src, page) == (
        "https://tieba.baidu.com/f?ie=utf-8&kw=%E8%B4%B4%E5%90%A7%E7%83%AD%E8%AE%AE&pn=50"
    )


def test_tieba_thread_page_gives_the_first_floor() -> None:
    post = detail(
        "tieba",
        "tieba/magichtml_tieba_thread_p8057560733.html",
        "https://tieba.baidu.com/p/8057560733",
    )
    assert post.title == "什么样的人才算是佛系？在线等，挺急的"
    assert post.body == "#佛系#"
    assert post.published_at == local(2022, 10, 2, 23, 2)


# ---------------------------------------------------------------------------------- gov_list


def test_gov_list_table_layout_gbk_20_rows() -> None:
    url = "http://125.42.176.131/xxgk/xxgk/zxgk1.jsp"
    page = page_of("gov_portal/xinxiang_gov_xxgk_info_list_gbk.html", url, XINXIANG_SAVED)
    posts = extract_list(source("gov_list", url), page)
    assert len(posts) == 20
    assert posts[0].url == "http://125.42.176.131/xxgk/xxgk/infoself.jsp?id=1513766191968"
    # Here the title attribute is cut as well: the title stays as the page gives it.
    assert posts[0].title == "[卫滨区]卫滨区畜牧局关于加强瘦肉精、生鲜乳、肉品、饲料、兽..."
    assert posts[0].published_at == local(2017, 12, 20)
    # Dates are not in order on this page; each row keeps its own.
    assert [p.published_at.date().isoformat() for p in posts[1:3] if p.published_at] == [
        "2017-09-25",
        "2017-11-15",
    ]
    assert posts[-1].title == "[卫滨区]中同街办事处开展“八一”慰问活动"
    assert sum(p.title.endswith("...") for p in posts) == 6
    assert all(p.title.startswith(("[卫滨区]", "[卫辉市]")) for p in posts)


def test_gov_list_homepage_keeps_dated_rows_only() -> None:
    url = "http://www.xinxiang.gov.cn/"
    page = page_of("gov_portal/xinxiang_gov_homepage_saved_utf8.html", url, XINXIANG_SAVED)
    posts = extract_list(source("gov_list", url), page)
    # 47 rows with a full date and 15 "12-20"-style rows in the news tabs; menus are skipped.
    # 14 rows are of 2016 and one of 2010; the rest, with the "12-20" rows, of 2017.
    assert len(posts) == 62
    assert all(p.published_at is not None for p in posts)
    assert sum(1 for p in posts if p.published_at and p.published_at.year == 2017) == 47
    assert posts[1].title == "市委召开常委会议"
    assert posts[1].published_at == local(2017, 12, 20)
    survey = next(p for p in posts if p.title.startswith("★学区房"))
    assert survey.published_at == local(2017, 9, 19)
    assert posts[-1].title == "地理位置"
    assert posts[-1].published_at == local(2010, 3, 22)


@pytest.mark.parametrize(
    ("rel", "count", "first_title"),
    [
        ("other/gerapy_rtfund_disclosure_list.html", 15, "融通关于旗下部分开放式基金新增"),
        ("other/gerapy_hrfund_announcement_list.html", 10, "华融基金管理有限公司关于旗下基金"),
        # "[社会]" column links lead each row: the title is the longest link.
        ("other/gerapy_netease_rolling_news_list.html", 40, "一图读懂 | 深圳盒马员工确诊"),
    ],
)
def test_gov_list_on_other_title_date_lists(rel: str, count: int, first_title: str) -> None:
    url = "http://list.example.cn/"
    # read at the end of 2020: the netease list was saved on 2020-08-16, after TIEBA_SAVED
    page = page_of(rel, url, datetime(2020, 12, 31, tzinfo=UTC))
    posts = extract_list(source("gov_list", url), page)
    assert len(posts) == count
    assert posts[0].title.startswith(first_title)
    assert all(p.published_at is not None and p.published_at.year == 2020 for p in posts)


GOV_ARTICLES = [
    (
        "gov_portal/gne_shanxi_gov_article.html",
        "山西品牌丝路行（南美站）正式启动",
        local(2019, 9, 18, 6, 23),
        "图为山西品牌丝路行（南美站）启动仪式。",
    ),
    (
        "gov_portal/gne_zj_fgw_article.html",
        "1-10月德清县固定资产投资结构趋稳趋优",
        local(2016, 11, 22, 9, 53),
        "1-10月，全县固定资产投资完成246.79亿元",
    ),
    # No ArticleTitle meta: the list's title stays.
    (
        "gov_portal/gne_govcn_npc_resolution.html",
        "(list)",
        local(2007, 8, 20, 23, 59, 59),
        "全国人民代表大会常务委员会\n关于批准财政部发行特别国债购买外汇及",
    ),
    (
        "gov_portal/xinxiang_gov_article_saved_utf8.html",
        "(list)",
        local(2017, 12, 4, 15, 46, 58),
        "广大市民朋友：\n大家知道，由于冬季大气流动性差",
    ),
]


@pytest.mark.parametrize(("rel", "title", "at", "body"), GOV_ARTICLES)
def test_gov_article_pages_by_meta(rel: str, title: str, at: datetime, body: str) -> None:
    post = detail("gov_list", rel, "http://www.gov.example.cn/art/1.html")
    assert post.title == title
    assert post.published_at == at
    assert post.body.startswith(body)


# -------------------------------------------------------------------------- blocked pages


def test_no_corpus_page_looks_blocked() -> None:
    root = Path(os.environ.get("SENTINEL_CORPUS", "/nonexistent"))
    pages = sorted(root.rglob("*.htm*"))
    assert len(pages) > 30
    for path in pages:
        text, _ = decode_html(path.read_bytes(), header_charset=None, override=None)
        assert not looks_blocked(text), path.name
