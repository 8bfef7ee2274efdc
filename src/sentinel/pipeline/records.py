"""What a patrol reports: per source, per patrol, and what `sentinel try` shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sentinel.extract.post import Post
from sentinel.match import Hit

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceReport:
    source_id: str
    ok: bool = True
    pages: int = 0  # list pages, feeds and API answers fetched
    details: int = 0  # posts' own pages fetched for their bodies
    not_modified: int = 0
    items: int = 0
    posts_new: int = 0
    hits_new: int = 0
    stories_new: int = 0
    error: str | None = None
    error_kind: str | None = None
    url: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PatrolReport:
    sources: tuple[SourceReport, ...] = ()
    elapsed: float = 0.0

    @property
    def sources_ok(self) -> int:
        return sum(r.ok for r in self.sources)

    @property
    def sources_failed(self) -> int:
        return sum(not r.ok for r in self.sources)

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.sources)

    @property
    def details(self) -> int:
        return sum(r.details for r in self.sources)

    @property
    def not_modified(self) -> int:
        return sum(r.not_modified for r in self.sources)

    @property
    def posts_new(self) -> int:
        return sum(r.posts_new for r in self.sources)

    @property
    def hits_new(self) -> int:
        return sum(r.hits_new for r in self.sources)

    @property
    def stories_new(self) -> int:
        return sum(r.stories_new for r in self.sources)


@dataclass(frozen=True, kw_only=True, slots=True)
class TriedPost:
    post: Post
    hits: tuple[Hit, ...]
    new: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class TryResult:
    source_id: str
    url: str
    status: int
    encoding_hint: str | None
    posts: tuple[TriedPost, ...] = ()


@dataclass(kw_only=True, slots=True)
class Tally:
    pages: int = 0
    details: int = 0
    not_modified: int = 0
    items: int = 0
    dated: int = 0  # items with a published time (a layout change loses them)
    status: int | None = None  # of the last list page fetched
    blocked: bool = False  # a list page came back as a captcha / anti-bot wall
    details_read: int = 0  # posts' own pages read
    details_empty: int = 0  # of those, posts still without a body (a selector matching nothing)
    skipped: list[str] = field(default_factory=list)  # "URL: reason" of items not read
    posts_new: int = 0
    hits_new: int = 0
    stories_new: int = 0
