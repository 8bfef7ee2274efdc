"""Big pages that would take the patrol's memory are refused in the guarded child.

`python -m fuzz` found pages past every bound in extract/: a corpus tieba page with a 269 KB
run of whitespace in a <tbody> (464 MB in lexbor) and a gov_list page whose start tags, cut by
the nesting bound, let the text around them merge (385 MB). Pages over GUARD_BYTES are read in
a child with limited address space (read/guard.py): such a page becomes that page's
ExtractError, and the next page is read as before.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from sentinel.config.models import HttpSettings, Source
from sentinel.fetch import Fetcher
from sentinel.fetch.page import FetchPolicy
from sentinel.read import guard, pages
from sentinel.sources import resolve
from tests.servers import LocalSite
from tests.unit.test_hostile_slow import HTML

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile"


@pytest.fixture(autouse=True)
def fresh_guard() -> object:
    guard.shutdown()
    yield
    guard.shutdown()


@pytest.mark.parametrize(
    ("finding", "preset"),
    [("html-tieba-37edf7648229", "tieba"), ("html-gov_list-63aa81bc8133", "gov_list")],
)
async def test_a_page_over_the_memory_limit_is_its_extract_error_and_the_next_is_read(
    site: LocalSite, finding: str, preset: str
) -> None:
    hostile = gzip.decompress((HOSTILE / f"{finding}.html.gz").read_bytes())
    assert len(hostile) > guard.GUARD_BYTES
    rows = "".join(f'<li><a href="/t/{i}">帖子{i}</a></li>' for i in range(8000))
    site.serve("/hostile.html", hostile, content_type="text/html; charset=utf-8")
    site.serve("/next.html", f"<ul>{rows}</ul>")
    policy = FetchPolicy(allow_private=True, robots=False, rate=100)
    async with Fetcher(HttpSettings()) as fetcher:
        src = resolve(Source(id="s", kind="html", url=site.url("/hostile.html"), preset=preset))
        read = await pages.read_list(
            fetcher, src, policy, site.url("/hostile.html"), None, first=True, more=False
        )
        assert read.posts == []
        assert read.error is not None
        assert read.error.url == site.url("/hostile.html") and read.error.source_id == "s"
        assert f"more than {guard.GUARD_MEMORY >> 20} MB" in str(read.error)

        nxt = HTML.model_copy(update={"url": site.url("/next.html")})
        read = await pages.read_list(
            fetcher, nxt, policy, site.url("/next.html"), None, first=True, more=False
        )
        assert read.error is None and len(read.posts) > 100
