"""One feed entry into a Post: the rules both feed readers share.

feedparser (feed.py) and the lxml fast path (feedfast.py) read the fields in their own ways;
what a post is made of them — which link, which title, which body — is decided here once, so
the two give identical Posts by construction, not by keeping two copies alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sentinel.config.models import Source
from sentinel.extract.items import item_at
from sentinel.extract.post import Post
from sentinel.extract.text import collapse, html_to_text
from sentinel.extract.urls import is_web_url, web_url
from sentinel.fetch.page import Page

# A feed without titles is rare but legal (RSS 2.0 needs only a description): use its start.
TITLE_FROM_BODY = 80


def entry_post(
    src: Source,
    page: Page,
    *,
    link: str,
    guid: str,
    title: str,
    contents: Sequence[str],
    summary: str,
    author: str,
    published: Callable[[], datetime | None],
) -> Post | None:
    """The entry's Post, or None without a web link or any title. `title`, `contents` and
    `summary` may hold HTML; the longest content wins over a shorter summary. `published` is
    asked only for an entry that makes a post."""
    if not link:
        link = guid if is_web_url(guid) else ""
    if not link:
        return None
    url = web_url(link, page.url, keep_fragment=True)  # settle_fragments decides
    if url is None:
        return None
    with item_at(url):
        return _entry(src, url, title, contents, summary, author, published)


def _entry(
    src: Source,
    url: str,
    title: str,
    contents: Sequence[str],
    summary: str,
    author: str,
    published: Callable[[], datetime | None],
) -> Post | None:
    raw = max(contents, key=len) if contents else ""
    body = html_to_text(raw if len(raw) >= len(summary) else summary)
    text = collapse(html_to_text(title)) or collapse(body)[:TITLE_FROM_BODY]
    if not text:
        return None
    return Post(
        source_id=src.id,
        url=url,
        title=text,
        body=body,
        published_at=published(),
        author=collapse(author) or None,
    )


def settle_fragments(posts: Iterable[Post]) -> list[Post]:
    """The feed's posts with the fragments that tell entries apart, and no others.

    A fragment names a place in a page, so it is dropped (`…/2001.html#comments` is the post
    at …/2001.html). But some feeds publish several entries on one page, told apart only by
    their fragments (`…/notes.html#n14`, `…/notes.html#n15`): a blog's 16 entries became 3
    posts. Where entries of the feed share a page and differ in fragment, they keep it.
    """
    posts = list(posts)
    fragments: dict[str, set[str]] = {}
    for post in posts:
        page, _, fragment = post.url.partition("#")
        fragments.setdefault(page, set()).add(fragment)
    out = []
    for post in posts:
        page, sep, _ = post.url.partition("#")
        if sep and len(fragments[page]) < 2:
            post = replace(post, url=page)
        out.append(post)
    return out
