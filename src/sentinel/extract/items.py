"""One item at a time: an item that cannot be read costs that item, recorded with its reason.

Extraction reads untrusted pages. Whatever one item holds — a null where a template wants a
field, a link no URL parser accepts, a count of 309 nines — the page's other items are kept, and
the skipped one is reported (`Skipped`) so the patrol can put its URL and reason on the
source's health. The loop also stops at MAX_ITEMS and at the page's CPU budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sentinel.errors import ExtractError
from sentinel.extract.limits import MAX_ITEMS, PAGE_BUDGET
from sentinel.extract.post import Post

T = TypeVar("T")

_REASON = 300  # characters of an exception's text kept as the reason


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item of a page that was not read, or the part of a page that was not."""

    url: str  # the item's URL when it was known, else the page's with the item's number
    reason: str


class ItemError(ExtractError):
    """One item of the page could not be read."""


def reason_of(e: BaseException) -> str:
    text = str(e) if isinstance(e, ExtractError) else f"{type(e).__name__}: {e}"
    return text if len(text) <= _REASON else text[: _REASON - 1] + "…"


@contextmanager
def item_at(url: str) -> Iterator[None]:
    """Name the item's URL in whatever reading the rest of it raises."""
    try:
        yield
    except ItemError:
        raise
    except Exception as e:
        raise ItemError(reason_of(e), url=url) from e


def each_item(
    items: Iterable[T],
    build: Callable[[T], Post | None],
    *,
    page_url: str,
    skipped: list[Skipped],
    passthrough: tuple[type[BaseException], ...] = (),
) -> Iterator[Post]:
    """`build` applied to each item; an item that raises is skipped and recorded.

    `passthrough` exceptions are the page's or the configuration's (a selector that does not
    compile, a feed the fast path is not sure of): those still fail the whole page.
    """
    deadline = time.thread_time() + PAGE_BUDGET
    for n, item in enumerate(items, 1):
        if n > MAX_ITEMS:
            skipped.append(Skipped(page_url, f"more than {MAX_ITEMS} items: the rest not read"))
            return
        if n % 16 == 0 and time.thread_time() > deadline:
            reason = f"stopped after {n - 1} items: over the page's {PAGE_BUDGET:g} s of CPU"
            skipped.append(Skipped(page_url, reason))
            return
        try:
            post = build(item)
        except passthrough:
            raise
        except ItemError as e:
            skipped.append(Skipped(e.url or f"{page_url} (item {n})", e.message))
            continue
        # A bug in reading one item's fields must not cost the page (tests/unit/test_hostile.py).
        except Exception as e:
            skipped.append(Skipped(f"{page_url} (item {n})", reason_of(e)))
            continue
        if post is not None:
            yield post
