"""Extraction of any page: only ExtractError escapes, and every post it gives can be matched
and stored (a web URL, encodable text without NUL, counts and dates in range)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from sentinel.config.models import JsonFields, Selectors, Source
from sentinel.errors import DecodeError, ExtractError
from sentinel.extract import extract_detail, extract_list, next_page
from sentinel.extract.limits import EARLIEST, FUTURE_SLACK, MAX_COUNT, MAX_URL
from sentinel.extract.post import Post
from sentinel.fetch.charset import decode_html, decode_xml
from sentinel.fetch.page import Page
from sentinel.sources import PRESETS, resolve

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BASE = "http://bbs.example.cn/forum/list.html"
CHARSETS = st.sampled_from([None, "gbk", "utf-8", "big5", "iso-8859-1", "utf-16", "x-bogus"])

WORDS = st.sampled_from(
    [
        "明光",
        "拆迁",
        "2026-11-20 09:12",
        "3 天前",
        "下午3:00",
        "1.2万",
        "9" * 400,
        "&amp;",
        "&#0;",
        "&#xD800;",
        "\x00",
        "…",
        "a" * 50,
        " ",
        "\n",
        "<",
        ">",
        "'",
        '"',
    ]
)
HREFS = st.sampled_from(
    [
        "/t/1.html",
        "thread-12-1-1.html",
        "forum.php?mod=viewthread&tid=3&extra=page%3D2",
        "https:////]",
        "javascript:void(0)",
        "http://[::1",
        "http://a.cn:99999/",
        "#top",
        "/d?id=" + "x" * 3000,
        "//other.cn/p",
        "viewthread.php?tid=9&page=2",
        "/中文 空格",
    ]
)
TAGS = st.sampled_from(
    [
        "li",
        "tr",
        "td",
        "tbody",
        "a",
        "span",
        "em",
        "div",
        "p",
        "script",
        "object",
        "th",
        "table",
        "ul",
        "cite",
        "strong",
        "meta",
        "title",
        "base",
    ]
)
ATTRS = st.sampled_from(
    [
        'href="{h}"',
        'class="s xst"',
        'class="num"',
        'id="normalthread_{n}"',
        'title="{w}"',
        'class="j_thread_list"',
        'class="nxt"',
        'datetime="{w}"',
        'id="postmessage_{n}"',
        'name="PubDate" content="{w}"',
    ]
)


@st.composite
def html(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            tag = draw(TAGS)
            attrs = " ".join(
                draw(ATTRS).format(h=draw(HREFS), n=draw(st.integers(0, 99)), w=draw(WORDS))
                for _ in range(draw(st.integers(0, 3)))
            )
            parts.append(f"<{tag} {attrs}>")
        elif kind == 1:
            parts.append(f"</{draw(TAGS)}>")
        else:
            parts.append(draw(WORDS))
    return "".join(parts)


def page(body: bytes, charset: str | None, ctype: str = "text/html") -> Page:
    return Page(
        url=BASE,
        requested_url=BASE,
        status=200,
        content_type=ctype,
        charset=charset,
        body=body,
        fetched_at=NOW,
    )


def storable(post: Post) -> None:
    assert post.url.startswith(("http://", "https://")) and len(post.url) <= MAX_URL
    for value in (post.url, post.title, post.body, post.author or "", post.status or ""):
        assert "\x00" not in value
        value.encode("utf-8")
    for n in (post.replies, post.views):
        assert n is None or 0 <= n <= MAX_COUNT
    if post.published_at is not None:
        assert EARLIEST <= post.published_at <= NOW + FUTURE_SLACK
        post.published_at.astimezone(UTC)


def read(src: Source, p: Page) -> list[Post]:
    try:
        posts = extract_list(src, p)
    except ExtractError:
        return []
    for post in posts:
        storable(post)
    return posts


SOURCES = [
    Source(
        id="s",
        kind="html",
        url=BASE,
        selectors=Selectors(
            item="li, tr", title="a", date="span", replies="td.num", body="p", next="a.nxt"
        ),
    ),
    *(resolve(Source(id="s", kind="html", url=BASE, preset=name)) for name in PRESETS),
]


@given(html(), st.sampled_from(SOURCES), CHARSETS, st.sampled_from(["utf-8", "gbk"]))
def test_any_html_list_and_detail_page(
    text: str, src: Source, charset: str | None, codec: str
) -> None:
    p = page(text.encode(codec, "replace"), charset)
    posts = read(src, p)
    next_page(src, p)
    if src.detail is not None:
        post = posts[0] if posts else Post(source_id="s", url=BASE, title="t")
        with contextlib.suppress(ExtractError):
            storable(extract_detail(src, p, post))


@st.composite
def feed(draw: st.DrawFn) -> str:
    entries = []
    for _ in range(draw(st.integers(0, 8))):
        link = draw(HREFS)
        title = draw(st.one_of(WORDS, html()))
        date = draw(WORDS)
        entries.append(
            f"<item><title><![CDATA[{title}]]></title><link>{link}</link>"
            f"<pubDate>{date}</pubDate><description>{draw(WORDS)}</description></item>"
        )
    head = draw(st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>', "", "<!-- c -->"]))
    return f'{head}<rss version="2.0"><channel><title>t</title>{"".join(entries)}</channel></rss>'


@given(feed(), CHARSETS, st.sampled_from(["utf-8", "gbk"]), st.integers(0, 200))
def test_any_feed(text: str, charset: str | None, codec: str, cut: int) -> None:
    body = text.encode(codec, "replace")
    for data in (body, body[: len(body) - cut]):
        read(Source(id="f", kind="rss", url=BASE), page(data, charset, "application/rss+xml"))


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), WORDS, HREFS, st.text(max_size=20)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["id", "info", "t"]), children, max_size=3),
    ),
    max_leaves=20,
)
ITEM = st.fixed_dictionaries(
    {},
    optional={
        "title": JSON_VALUES,
        "url": st.one_of(HREFS, JSON_VALUES),
        "id": JSON_VALUES,
        "info": JSON_VALUES,
        "createTime": st.one_of(WORDS, JSON_VALUES),
        "replyCount": JSON_VALUES,
        "content": JSON_VALUES,
    },
)
JSON_SOURCES = [
    Source(
        id="j",
        kind="json",
        url=BASE,
        fields=JsonFields(
            items="data.list",
            date="createTime",
            replies="replyCount",
            body="content",
            author="info.name",
        ),
    ),
    Source(
        id="j",
        kind="json",
        url=BASE,
        fields=JsonFields(
            items="data.list",
            link_template="/d/{id}.html?c={info[cat]}",
            replies="id",
            views="info",
        ),
    ),
    Source(
        id="j",
        kind="json",
        url=BASE,
        fields=JsonFields(items="data.list", link_template="/d/{id:06d}", date="id"),
    ),
]


@given(st.lists(ITEM, max_size=6), st.sampled_from(JSON_SOURCES), st.booleans())
def test_any_json_answer(items: list[dict[str, object]], src: Source, wrap: bool) -> None:
    text = json.dumps({"data": {"list": items}} if wrap else items)
    read(src, page(text.encode(), None, "application/json"))


@given(st.binary(max_size=2000), CHARSETS, st.sampled_from([None, "gbk", "big5", "utf-8"]))
def test_charset_decoding_gives_text_or_its_error(
    body: bytes, header: str | None, override: str | None
) -> None:
    for decode in (decode_html, decode_xml):
        try:
            text, codec = decode(body, header_charset=header, override=override)
        except DecodeError:
            continue
        assert isinstance(text, str) and codec
