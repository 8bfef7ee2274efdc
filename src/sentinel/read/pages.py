"""Reading a source's pages: fetch and extract, the part of a patrol that needs no store.

A patrol hands its pages to a Reader: in this process (`LocalReader`), or in scout processes
(scouts.py) so that fetching and parsing use the machine's other cores while this process
matches, clusters and writes. Both run the same two functions below, so they read alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sentinel.config import Source
from sentinel.errors import ExtractError, SentinelError
from sentinel.extract import Skipped, extract_detail, extract_list, next_page
from sentinel.extract.items import reason_of
from sentinel.extract.post import Post
from sentinel.fetch import Fetcher
from sentinel.fetch.charset import decode_html
from sentinel.fetch.page import FetchPolicy, Page, Validators
from sentinel.read.guard import GUARD_BYTES, Guard, default_guard
from sentinel.sources.health import looks_blocked

# Pages larger than this are decoded and extracted in a guarded child process (guard.py), so a
# big page (an 8 MB feed takes feedparser seconds) neither stalls every other source and the
# desk in this process nor takes its memory. Smaller pages, nearly all of them, take less than
# the hop costs.
OFF_LOOP_BYTES = GUARD_BYTES


@dataclass(frozen=True, slots=True)
class ListRead:
    """One list page (or feed) and what it lists. A FetchError is raised, never kept here."""

    page: Page
    posts: list[Post]
    error: ExtractError | None = None  # the page came but did not parse as its kind says
    blocked: bool = False  # an empty first page that looks like a captcha or a wall
    next_url: str | None = None  # the following list page, when one was asked for
    skipped: tuple[Skipped, ...] = ()  # items of the page that could not be read, and why


@dataclass(frozen=True, slots=True)
class DetailRead:
    """A post completed from its own page, or the list's version and why not."""

    post: Post
    page: Page | None
    failure: str | None = None


class Reader(Protocol):
    async def read_list(
        self,
        src: Source,
        policy: FetchPolicy,
        url: str,
        validators: Validators | None,
        *,
        first: bool,
        more: bool,
    ) -> ListRead: ...

    async def read_details(
        self, src: Source, policy: FetchPolicy, posts: Sequence[Post]
    ) -> list[DetailRead]: ...

    async def aclose(self) -> None: ...


async def read_list(
    fetcher: Fetcher,
    src: Source,
    policy: FetchPolicy,
    url: str,
    validators: Validators | None,
    *,
    first: bool,
    more: bool,
    guard: Guard | None = None,
) -> ListRead:
    """Fetch and extract one list page. `first`: the source's first page (a wall is looked
    for there); `more`: the patrol would follow a next page. A big page is extracted by
    `guard` (by default the process's)."""
    page = await fetcher.get(url, policy=policy, validators=validators)
    if page.not_modified:
        return ListRead(page=page, posts=[])
    if len(page.body) > OFF_LOOP_BYTES:
        try:
            guard = guard or default_guard()
            return await guard.run(src.id, page.url, _list_read, src, page, first, more)
        except ExtractError as e:
            return ListRead(page=page, posts=[], error=e)
    return _list_read(src, page, first, more)


def _list_read(src: Source, page: Page, first: bool, more: bool) -> ListRead:
    skipped: list[Skipped] = []
    try:
        posts = extract_list(src, page, skipped)
    except ExtractError as e:
        return ListRead(page=page, posts=[], error=e)
    blocked = False
    if not posts and first:
        # An empty list may be a wall put up in front of the page: worth a look only then.
        text, _ = decode_html(page.body, header_charset=page.charset, override=src.encoding)
        blocked = looks_blocked(text)
    return ListRead(
        page=page,
        posts=posts,
        blocked=blocked,
        next_url=next_page(src, page) if more else None,
        skipped=tuple(skipped),
    )


async def read_details(
    fetcher: Fetcher,
    src: Source,
    policy: FetchPolicy,
    posts: Sequence[Post],
    *,
    guard: Guard | None = None,
) -> list[DetailRead]:
    """Each post's own page, at once; a failure keeps the list's version of that post."""

    async def one(post: Post) -> DetailRead:
        try:
            page = await fetcher.get(post.url, policy=policy)
            if len(page.body) > OFF_LOOP_BYTES:
                done = await (guard or default_guard()).run(
                    src.id, page.url, extract_detail, src, page, post
                )
            else:
                done = extract_detail(src, page, post)
            return DetailRead(post=done, page=page)
        except SentinelError as e:
            return DetailRead(post=post, page=None, failure=str(e))
        # The page is the site's, whatever it holds: a failure to read it keeps the list's post.
        except Exception as e:
            return DetailRead(post=post, page=None, failure=reason_of(e))

    return list(await asyncio.gather(*(one(p) for p in posts)))


class LocalReader:
    """Reads in this process, with the patrol's own Fetcher (which it does not close), big
    pages in `guard`'s child (by default the process's, which the process stops at its end)."""

    def __init__(self, fetcher: Fetcher, guard: Guard | None = None) -> None:
        self.fetcher = fetcher
        self.guard = guard

    async def read_list(
        self,
        src: Source,
        policy: FetchPolicy,
        url: str,
        validators: Validators | None,
        *,
        first: bool,
        more: bool,
    ) -> ListRead:
        return await read_list(
            self.fetcher, src, policy, url, validators, first=first, more=more, guard=self.guard
        )

    async def read_details(
        self, src: Source, policy: FetchPolicy, posts: Sequence[Post]
    ) -> list[DetailRead]:
        return await read_details(self.fetcher, src, policy, posts, guard=self.guard)

    async def aclose(self) -> None:
        return None
