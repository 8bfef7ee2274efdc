"""The entry points under fuzzing, each with the one error it is documented to raise.

A target takes the mutated bytes and returns nothing; it raises `Finding` when the entry point
returned something it must not (a value the store cannot take), and lets the entry point's
own exception through, for the loop to judge against `allowed`.
"""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sentinel.config.loader import KEYWORDS, SETTINGS, SOURCES
from sentinel.config.models import JsonFields, Selectors, Source
from sentinel.errors import ConfigError, DecodeError, ExtractError
from sentinel.extract import extract_detail, extract_list, next_page, parse_count, parse_date
from sentinel.extract.limits import EARLIEST, FUTURE_SLACK, MAX_COUNT, MAX_URL
from sentinel.extract.post import Post
from sentinel.extract.urls import canonical_url, web_url
from sentinel.fetch.charset import decode_html, decode_xml
from sentinel.fetch.page import Page
from sentinel.read.guard import GUARD_BYTES, PageTooBig, default_guard
from sentinel.sources import PRESETS, load_checked, resolve

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BASE = "http://bbs.example.cn/forum/list.html"
CHARSETS = (None, "gbk", "gb2312", "utf-8", "big5", "iso-8859-1", "utf-16", "x-bogus")


class Finding(Exception):
    """The entry point returned what it must not."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # which seeds it takes: "page", "feed", "json", "config"
    run: Callable[[bytes, random.Random], None]
    allowed: tuple[type[BaseException], ...]


def _page(body: bytes, rng: random.Random, ctype: str = "text/html") -> Page:
    return Page(
        url=BASE,
        requested_url=BASE,
        status=200,
        content_type=ctype,
        charset=rng.choice(CHARSETS),
        body=body,
        fetched_at=NOW,
    )


def check_post(post: Post) -> None:
    """What the store and the matcher need of every post extraction returns."""
    if not post.url.startswith(("http://", "https://")) or len(post.url) > MAX_URL:
        raise Finding(f"bad url {post.url[:200]!r}")
    for name in ("url", "title", "body", "author", "status"):
        value = getattr(post, name)
        if value is None:
            continue
        if "\x00" in value:
            raise Finding(f"NUL in {name}")
        value.encode("utf-8")  # UnicodeEncodeError: a lone surrogate
    for name in ("replies", "views"):
        n = getattr(post, name)
        if n is not None and not 0 <= n <= MAX_COUNT:
            raise Finding(f"{name} out of range: {n}")
    when = post.published_at
    if when is not None:
        if when.tzinfo is None or not EARLIEST <= when <= NOW + FUTURE_SLACK:
            raise Finding(f"published_at out of range: {when!r}")
        when.astimezone(UTC)


@dataclass
class Child:
    """What the guarded child did with the last input (the loop adds it to its own figures)."""

    cpu: float = 0.0  # seconds
    peak: int = 0  # bytes of resident memory over what the child held before the page
    refused: bool = False  # over the child's memory for one page: the page's ExtractError
    ended: str | None = None  # why the child ended during the page (its CPU budget, a crash)


child = Child()


def forget_child() -> None:
    child.cpu, child.peak, child.refused, child.ended = 0.0, 0, False, None


def _extract(src: Source, body: bytes, rng: random.Random, ctype: str) -> None:
    page = _page(body, rng, ctype)
    if len(body) > GUARD_BYTES:
        # as a patrol reads it: in the guarded child, whose breach is the page's ExtractError
        try:
            _, cost = default_guard().cost(src.id, page.url, _extract_page, src, page)
        except ExtractError as e:
            cause = e.__cause__
            if isinstance(cause, MemoryError):
                child.refused = True
                if isinstance(cause, PageTooBig):
                    child.cpu, child.peak = cause.cost.cpu, cause.cost.peak or 0
            elif isinstance(cause, BrokenProcessPool):
                child.ended = str(e)
            raise
        child.cpu, child.peak = cost.cpu, cost.peak or 0
    else:
        _extract_page(src, page)


def _extract_page(src: Source, page: Page) -> None:
    posts = extract_list(src, page)
    for post in posts:
        check_post(post)
    next_page(src, page)
    if src.detail is not None and posts:
        check_post(extract_detail(src, page, posts[0]))


def _html(preset: str | None) -> Callable[[bytes, random.Random], None]:
    if preset is None:
        sel = Selectors(
            item="li, tr", title="a", date="span", replies="em", body="p", next="a.next"
        )
        src = Source(id="f", kind="html", url=BASE, selectors=sel)
    else:
        src = resolve(Source(id="f", kind="html", url=BASE, preset=preset))
    return lambda body, rng: _extract(src, body, rng, "text/html")


FEED = Source(id="f", kind="rss", url=BASE)
JSON = Source(
    id="j",
    kind="json",
    url=BASE,
    fields=JsonFields(
        items="data.list",
        title="title",
        link_template="/d/{id}.html?c={info[cat]}",
        date="createTime",
        body="content",
        replies="replyCount",
        views="n",
        author="who",
    ),
)
JSON_LINK = Source(
    id="j",
    kind="json",
    url=BASE,
    fields=JsonFields(items="list", title="t", link="u", date="d", replies="r"),
)


def _values(body: bytes, rng: random.Random) -> None:
    text = body.decode("utf-8", "surrogateescape")
    for piece in (text, text[: rng.randint(0, 200)], text[-rng.randint(0, 200) :]):
        when = parse_date(piece, NOW)
        if when is not None:
            when.astimezone(UTC)
        n = parse_count(piece)
        if n is not None and not 0 <= n <= MAX_COUNT:
            raise Finding(f"count out of range: {n}")
        url = web_url(piece, BASE)
        if url is not None and not url.startswith(("http://", "https://")):
            raise Finding(f"web_url gave {url!r}")
        with contextlib.suppress(ValueError):
            canonical_url(piece, BASE)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return
    n = parse_count(data)
    if n is not None and not 0 <= n <= MAX_COUNT:
        raise Finding(f"count out of range: {n}")
    parse_date(data, NOW)


def _charset(body: bytes, rng: random.Random) -> None:
    header = rng.choice(CHARSETS)
    override = rng.choice((None, None, None, "gbk", "utf-8", "big5"))
    decode_html(body, header_charset=header, override=override)
    decode_xml(body, header_charset=header, override=override)


CONFIG_FILES = (SOURCES, KEYWORDS, SETTINGS)


def config_target(shipped: Path) -> Callable[[bytes, random.Random], None]:
    originals = {name: (shipped / name).read_bytes() for name in CONFIG_FILES}

    def run(body: bytes, rng: random.Random) -> None:
        # `body` is a mutation of one shipped file (its name is the first line)
        name, _, text = body.partition(b"\n")
        with tempfile.TemporaryDirectory(prefix="sentinel-fuzz-") as tmp:
            for f, data in originals.items():
                Path(tmp, f).write_bytes(text if f.encode() == name else data)
            load_checked(Path(tmp))

    return run


def targets(shipped: Path) -> list[Target]:
    out = [
        Target(f"html:{p or 'selectors'}", "page", _html(p), (ExtractError,))
        for p in (None, *PRESETS)
    ]
    out += [
        Target(
            "rss", "feed", lambda b, r: _extract(FEED, b, r, "application/rss+xml"), (ExtractError,)
        ),
        Target(
            "json", "json", lambda b, r: _extract(JSON, b, r, "application/json"), (ExtractError,)
        ),
        Target(
            "json:link",
            "json",
            lambda b, r: _extract(JSON_LINK, b, r, "application/json"),
            (ExtractError,),
        ),
        Target("values", "page", _values, ()),
        Target("charset", "page", _charset, (DecodeError,)),
        Target("config", "config", config_target(shipped), (ConfigError,)),
    ]
    return out
