"""The lxml fast path for feeds gives exactly feedparser's Posts, or steps aside."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.config.models import Source
from sentinel.extract import extract_list
from sentinel.extract.feed import extract_feed_reference
from sentinel.extract.feedfast import extract_feed_fast
from sentinel.fetch.page import Page
from tests.fixtures.sites import feed

SRC = Source.model_validate({"id": "f", "kind": "rss", "url": "http://news.example.cn/feed.xml"})
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>明光发布</title>
<entry><title type="html">女山湖镇&lt;b&gt;强拆&lt;/b&gt;调查</title>
  <link rel="edit" href="/edit/1"/><link rel="alternate" href="/a/1.html?utm_source=x"/>
  <id>tag:example.cn,2026:1</id><published>2026-11-20T09:12:00+08:00</published>
  <author><name>记者</name></author>
  <summary>短摘要</summary>
  <content type="html">&lt;p&gt;村民反映补偿款至今未到位。&lt;/p&gt;</content>
</entry>
<entry><title>无链接条目</title><id>urn:uuid:1</id><updated>2026-11-20T10:00:00Z</updated></entry>
</feed>"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="http://news.example.cn/"><title>新闻</title></channel>
<item rdf:about="http://news.example.cn/1"><title>明光 欠薪 调查</title>
  <link>http://news.example.cn/1.html</link><dc:date>2026-11-20T08:00:00+08:00</dc:date>
  <dc:creator>编辑部</dc:creator><description>短</description>
  <content:encoded><![CDATA[<p>工人<b>讨薪</b>无门，</p><p>记者跟进。</p>]]></content:encoded>
</item></rdf:RDF>"""


def page(body: bytes, *, charset: str | None = None) -> Page:
    return Page(
        url=str(SRC.url),
        requested_url=str(SRC.url),
        status=200,
        content_type="application/rss+xml",
        charset=charset,
        body=body,
        fetched_at=NOW,
    )


@pytest.mark.parametrize(
    "body",
    [feed("http://news.example.cn").encode(), ATOM.encode(), RDF.encode()],
    ids=["rss2", "atom", "rdf"],
)
def test_fast_path_answers_and_equals_feedparser(body: bytes) -> None:
    fast = extract_feed_fast(SRC, page(body))
    assert fast is not None and fast, "the fast path should take this ordinary feed"
    assert fast == extract_feed_reference(SRC, page(body))
    assert extract_list(SRC, page(body)) == fast


def test_atom_details_come_out_as_feedparser_reads_them() -> None:
    (post,) = extract_feed_fast(SRC, page(ATOM.encode())) or []
    assert post.url == "http://news.example.cn/a/1.html"
    assert post.title == "女山湖镇强拆调查"
    assert post.body == "村民反映补偿款至今未到位。"
    assert post.published_at == datetime(2026, 11, 20, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (RDF.replace("2026-11-20T08:00:00+08:00", "某日").encode(), None),  # date we cannot read
        (
            ATOM.replace('type="html">&lt;p&gt;', 'type="xhtml"><div>')
            .replace("&lt;/p&gt;</content>", "</div></content>")
            .encode(),
            None,
        ),
        (feed("http://news.example.cn").encode(), "gbk"),  # not UTF-8
        (b'<?xml version="1.0" encoding="gb2312"?><rss><channel></channel></rss>', None),
        (b"<rss><channel><item><title>a &nbsp; b</title></item></channel></rss>", None),
        (b"<html><body>not a feed</body></html>", None),
    ],
    ids=["odd-date", "xhtml", "charset", "decl", "html-entity", "html"],
)
def test_fast_path_steps_aside_when_unsure(body: bytes, charset: str | None) -> None:
    assert extract_feed_fast(SRC, page(body, charset=charset)) is None


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<rss><channel><item><title>t &x;</title><link>http://a.cn/1</link></item>"
        "</channel></rss>"
    ).encode()
    posts = extract_feed_fast(SRC, page(body))
    assert posts is None or all("TOPSECRET" not in p.title for p in posts)


CORPUS = os.environ.get("SENTINEL_CORPUS")


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS, reason="SENTINEL_CORPUS not set")
def test_on_the_corpus_fast_equals_reference_wherever_it_answers() -> None:
    assert CORPUS is not None
    answered = 0
    for folder in ("rss_zh", "feeds_edge"):
        for path in sorted((Path(CORPUS) / folder).iterdir()):
            p = page(path.read_bytes())
            fast = extract_feed_fast(SRC, p)
            if fast is None:
                continue
            answered += 1
            assert fast == extract_feed_reference(SRC, p), path.name
    assert answered >= 3  # the UTF-8 government feeds take the fast path
