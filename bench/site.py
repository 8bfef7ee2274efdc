"""A generated county internet for the benchmarks: forums (GBK), portals with article pages
(UTF-8), RSS feeds with ETags — realistic Chinese posts, a few percent of them relevant.

`build()` writes the pages into a folder with a manifest (bench/server.py serves it from another
process) and returns the sources.yaml text that patrols it. Everything is drawn from one seeded
random generator, so two runs patrol the same site.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from ahocorasick_rs import AhoCorasick

# What the topics of the repository's keywords.yaml react to; posts are made relevant by
# putting one of these (and usually a region word) into them.
TOPIC_WORDS = ["强拆", "补偿款", "拖欠工资", "讨薪", "偷排", "垃圾成堆", "乱收费", "路灯不亮"]
CRITICAL_WORDS = ["坍塌", "爆炸", "中毒"]
REGION = ["明光", "女山湖镇", "管店镇", "自来桥镇", "涧溪镇", "张八岭", "明东街道"]
_PUNCT = "，，，。。！？、；"
ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Spec:
    forums: int = 40  # html sources, GBK, list pages only
    forum_pages: int = 3  # list pages followed per forum (pagination)
    forum_items: int = 30
    portals: int = 20  # html sources, UTF-8, each new item's article page fetched
    portal_items: int = 20
    feeds: int = 40  # rss sources with ETags
    feed_items: int = 30
    relevant: float = 0.03  # share of posts carrying a topic word
    critical: float = 0.002  # share carrying a critical word
    seed: int = 1


class Words:
    """Frequency-weighted words of jieba's dictionary: text that segments like real posts."""

    def __init__(self, rng: random.Random) -> None:
        lines = resources.files("jieba").joinpath("dict.txt").read_text("utf-8").splitlines()
        rows = [(w, int(f)) for w, f, *_ in (line.split() for line in lines)]
        rows.sort(key=lambda r: -r[1])
        common = [(w, f) for w, f in rows[:30_000] if _encodable(w)]
        self.words = [w for w, _ in common]
        self.weights = [f for _, f in common]
        self.rng = rng
        # Filler must not hit a topic by chance (死亡 and 聚集 are common words): relevance
        # and criticality come only from the share the Spec asks for.
        self._topic = AhoCorasick(_topic_words())

    def sentence(self, lo: int, hi: int) -> str:
        while True:
            out: list[str] = []
            for w in self.rng.choices(self.words, weights=self.weights, k=self.rng.randint(lo, hi)):
                out.append(w)
                if self.rng.random() < 0.1:
                    out.append(self.rng.choice(_PUNCT))
            text = "".join(out)
            if not self._topic.find_matches_as_indexes(text, overlapping=True):
                return text


def _topic_words() -> list[str]:
    """Every word of the repository's keywords.yaml topics, folded as the matcher folds."""
    from sentinel.config.loader import KEYWORDS, read_yaml, validate
    from sentinel.config.models import KeywordsFile
    from sentinel.match.fold import fold

    keywords = validate(read_yaml(ROOT / KEYWORDS), KeywordsFile)
    return sorted({fold(w) for t in keywords.topics for w in (*t.any, *t.all)})


def _encodable(word: str) -> bool:
    try:
        word.encode("gbk")
    except UnicodeEncodeError:
        return False
    return word.isprintable() and not any(c in "<>&\"'" for c in word)


@dataclass(frozen=True, kw_only=True)
class Built:
    sources_yaml: str
    pages: int  # pages a first patrol fetches (lists, articles, feeds; robots.txt not counted)
    posts: int
    relevant: int


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest: dict[str, dict[str, str]] = {}

    def put(self, path: str, body: bytes, content_type: str, etag: str | None = None) -> None:
        file = self.root / "files" / f"{len(self.manifest)}.bin"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(body)
        entry = {"file": file.name, "type": content_type}
        if etag:
            entry["etag"] = etag
        self.manifest[path] = entry

    def close(self) -> None:
        (self.root / "manifest.json").write_text(json.dumps(self.manifest), encoding="utf-8")


class _Posts:
    def __init__(self, spec: Spec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.words = Words(rng)
        self.count = 0
        self.relevant = 0

    def _salt(self, text: str) -> str:
        roll = self.rng.random()
        if roll < self.spec.critical:
            word = self.rng.choice(CRITICAL_WORDS)
        elif roll < self.spec.critical + self.spec.relevant:
            word = self.rng.choice(TOPIC_WORDS)
        else:
            return text
        self.relevant += 1
        at = self.rng.randrange(len(text) + 1)
        text = text[:at] + word + text[at:]
        if self.rng.random() < 0.8:
            text = self.rng.choice(REGION) + text
        return text

    def title(self) -> str:
        self.count += 1
        return self._salt(self.words.sentence(4, 10))

    def body(self) -> str:
        return self.words.sentence(40, 200)

    def when(self) -> datetime:
        return NOW - timedelta(minutes=self.rng.randint(0, 60 * 24 * 3))


def _thread_page(posts: _Posts, tid: int, title: str, when: str) -> bytes:
    html = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
        f'charset=gbk"><title>{title}</title></head><body><div id="pt">明光论坛</div>'
        f'<h1><span id="thread_subject">{title}</span></h1><table id="pid{tid}"><tr>'
        f'<td class="pls">网友</td><td class="plc"><div class="pti"><em id="authorposton{tid}">'
        f'发表于 {when}</em></div><div class="t_fsz"><table><tr><td class="t_f" '
        f'id="postmessage_{tid}">{posts.body()}</td></tr></table></div></td></tr></table>'
        "</body></html>"
    )
    return html.encode("gbk")


def _forum_page(
    posts: _Posts,
    fid: int,
    page: int,
    pages: int,
    items: int,
    threads: dict[int, bytes] | None = None,
) -> bytes:
    rows = []
    for i in range(items):
        tid = fid * 100_000 + page * 1000 + i
        when = posts.when().strftime("%Y-%m-%d %H:%M")
        title = posts.title()
        if threads is not None:
            threads[tid] = _thread_page(posts, tid, title, when)
        rows.append(
            f'<tbody id="normalthread_{tid}"><tr><th><a href="thread-{tid}-1-1.html" '
            f'class="s xst">{title}</a></th><td class="by"><cite><a href="space-uid-'
            f'{i}.html">网友{i}</a></cite><em><span>{when}</span></em></td><td class="num">'
            f'<a class="xi2">{posts.rng.randint(0, 500)}</a><em>{posts.rng.randint(10, 90000)}'
            "</em></td></tr></tbody>"
        )
    nxt = f'<a class="nxt" href="forum-{fid}-{page + 1}.html">下一页</a>' if page < pages else ""
    html = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
        f'charset=gbk"><title>论坛{fid}</title></head><body><div id="hd">明光论坛</div>'
        f'<table id="threadlisttableid">{"".join(rows)}</table><div class="pg">{nxt}</div>'
        "</body></html>"
    )
    return html.encode("gbk")


def _feed(posts: _Posts, base: str, n: int, items: int) -> bytes:
    entries = []
    for i in range(items):
        entries.append(
            f"<item><title>{escape(posts.title())}</title>"
            f"<link>{base}/news/{n}/{i}.html?utm_source=rss</link>"
            f"<description>{escape('<p>' + posts.body() + '</p>')}</description>"
            f"<pubDate>{format_datetime(posts.when())}</pubDate></item>"
        )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>新闻{n}</title><link>{base}/news/{n}/</link>{''.join(entries)}</channel></rss>"
    )
    return xml.encode("utf-8")


def _portal(posts: _Posts, w: _Writer, n: int, items: int) -> None:
    lis = []
    for i in range(items):
        title = posts.title()
        day = posts.when().strftime("%Y-%m-%d")
        lis.append(f'<li><a href="art/{i}.html" title="{title}">{title}</a><span>{day}</span></li>')
        article = (
            f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav">首页 &gt; 政务公开</div><h1>{title}</h1>'
            f'<div class="article-content"><p>{posts.body()}</p><p>{posts.body()}</p></div>'
            "</body></html>"
        )
        w.put(f"/gov/{n}/art/{i}.html", article.encode("utf-8"), "text/html; charset=utf-8")
    page = (
        '<html><head><meta charset="utf-8"><title>政务公开</title></head><body>'
        f'<ul class="list">{"".join(lis)}</ul></body></html>'
    )
    w.put(f"/gov/{n}/list.html", page.encode("utf-8"), "text/html")


def build_many(count: int, root: Path, base: str, *, items: int = 20, seed: int = 2) -> Built:
    """`count` forums of one list page each, every page with an ETag (the 10,000-source patrol)."""
    rng = random.Random(seed)
    posts = _Posts(Spec(seed=seed), rng)
    w = _Writer(root)
    w.put("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    lines = []
    for f in range(count):
        body = _forum_page(posts, f, 1, 1, items)
        w.put(f"/bbs/forum-{f}-1.html", body, "text/html", etag=f'"m{f}-v1"')
        lines.append(
            f"  - {{id: m-{f}, kind: html, url: '{base}/bbs/forum-{f}-1.html', "
            "territorial: true, allow_private: true, selectors: {item: 'tbody[id^=normalthread_]',"
            " title: 'a.xst', date: 'td.by em span', replies: 'td.num a', views: 'td.num em'}}\n"
        )
    w.close()
    head = sources_yaml(Spec(forums=0, portals=0, feeds=0), [base])
    return Built(
        sources_yaml=head + "".join(lines), pages=count, posts=posts.count, relevant=posts.relevant
    )


def sources(spec: Spec, bases: Sequence[str]) -> Iterator[str]:
    """The sources, spread over the site's hosts in turn (source i on bases[i % len])."""
    polite = "    allow_private: true\n"
    for f in range(spec.forums):
        base = bases[f % len(bases)]
        yield (
            f"  - {{id: forum-{f}, kind: html, url: '{base}/bbs/forum-{f}-1.html', "
            f"preset: discuz, pages: {spec.forum_pages}, territorial: true, "
            "allow_private: true}\n"
        )
    for n in range(spec.portals):
        base = bases[(spec.forums + n) % len(bases)]
        yield (
            f"  - id: portal-{n}\n    kind: html\n    url: '{base}/gov/{n}/list.html'\n"
            "    territorial: true\n"
            '    selectors: {item: "ul.list li", title: "a", date: "span"}\n'
            '    detail: {body: "div.article-content"}\n' + polite
        )
    for n in range(spec.feeds):
        base = bases[(spec.forums + spec.portals + n) % len(bases)]
        yield f"  - {{id: feed-{n}, kind: rss, url: '{base}/news/{n}.xml', allow_private: true}}\n"


def sources_yaml(spec: Spec, bases: Sequence[str], *, concurrency: int = 50) -> str:
    head = (
        "defaults:\n"
        f"  politeness: {{rate: 1000000, concurrency: {concurrency}, robots: true}}\n"
        "sources:\n"
    )
    return head + "".join(sources(spec, bases))


def build(spec: Spec, root: Path, bases: Sequence[str]) -> Built:
    """Write the site under `root` (served at each of `bases`, the same pages on every host)
    and return the sources that patrol it."""
    rng = random.Random(spec.seed)
    posts = _Posts(spec, rng)
    w = _Writer(root)
    w.put("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    pages = 0
    for f in range(spec.forums):
        for p in range(1, spec.forum_pages + 1):
            threads: dict[int, bytes] = {}
            body = _forum_page(posts, f, p, spec.forum_pages, spec.forum_items, threads)
            w.put(f"/bbs/forum-{f}-{p}.html", body, "text/html")
            for tid, thread in threads.items():
                w.put(f"/bbs/thread-{tid}-1-1.html", thread, "text/html")
            pages += 1 + len(threads)  # the discuz preset reads each new thread's first post
    for n in range(spec.portals):
        _portal(posts, w, n, spec.portal_items)
        pages += 1 + spec.portal_items
    for n in range(spec.feeds):
        w.put(
            f"/news/{n}.xml",
            _feed(posts, bases[(spec.forums + spec.portals + n) % len(bases)], n, spec.feed_items),
            "application/rss+xml",
            etag=f'"f{n}-v1"',
        )
        pages += 1
    w.close()
    return Built(
        sources_yaml=sources_yaml(spec, bases),
        pages=pages,
        posts=posts.count,
        relevant=posts.relevant,
    )
