"""The Post record: what extraction makes of one item on a page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sentinel.picklestate import tuple_state


@tuple_state
@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    source_id: str
    url: str  # canonical (see extract.urls.canonical_url)
    title: str
    body: str = ""
    published_at: datetime | None = None  # timezone-aware; Asia/Shanghai when the page has none
    replies: int | None = None
    views: int | None = None
    author: str | None = None  # display name as shown; never profiled
    status: str | None = None  # a board message's handling: 已回复, 未回复 or 办理中

    def __post_init__(self) -> None:
        if self.published_at is not None and self.published_at.tzinfo is None:
            raise ValueError("Post.published_at must be timezone-aware")

    @property
    def text(self) -> str:
        """Title and body as one text, the unit that matching and clustering see."""
        return f"{self.title}\n{self.body}" if self.body else self.title


def first_per_url(posts: Iterable[Post | None]) -> list[Post]:
    """The posts in order, the first of each canonical URL (a list may link a post twice)."""
    out: list[Post] = []
    seen: set[str] = set()
    for post in posts:
        if post is not None and post.url not in seen:
            seen.add(post.url)
            out.append(post)
    return out
