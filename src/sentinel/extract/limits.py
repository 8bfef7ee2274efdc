"""How much of a hostile page extraction will read, and which values may reach the store.

Real sites break in every way sooner or later, and a fuzzer finds the rest: one list page
must cost at most its own items, in bounded time, and never the source's patrol. The bounds
below are far beyond any real page (tests/unit/test_hostile.py reproduces what each one stops).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A list page with more entries than this is not a list a person reads; the rest are skipped
# (and recorded) so a 100k-item feed costs a bounded parse, not seconds.
MAX_ITEMS = 1000
# Tags of a feed handed to feedparser (well-formed UTF-8 feeds take the lxml path, which has
# no such cost). It spends 20-50 µs on each tag and 2-4 µs on each piece of text an `&` starts,
# twice when its strict parse fails part way and it starts again with its tolerant one: 900 KB
# of <div> took 2.5 s, a mutated Big5 feed of 20k tags 1.7 s, 1 MB of "& " 2 s. So an `&`
# counts as a twelfth of a tag. A thousand plain items take under 10,000 tags.
MAX_FEED_TAGS = 10_000
AMPERSANDS_PER_TAG = 12
# CPU seconds extraction may spend in its per-item loop on one page; checked between items.
# Decoding, bounding and parsing a 1 MB page before the loop take up to ~0.7 s, and a page is
# to cost under 2 s in all: items nested in each other (rows of 500 nested tables over 130k
# empty tags) make each item's selectors search the rest of the page, 1.6 s for 900 KB.
PAGE_BUDGET = 1.0
# Attributes one element keeps before the HTML parser sees it: lexbor checks each new name
# against the element's others, so 100k distinct names took 23 s (quadratic).
MAX_ATTRS = 256
# Elements open at once (see extract/tame.py); only pages with more `<` than the check's
# threshold are scanned, since fewer tags cannot nest deep enough to cost lexbor much.
MAX_DEPTH = 512
MAX_DEPTH_CHECK = 10_000
# Pages with tags × characters over this are scanned too: lexbor's copies of a text node grown
# by pieces take up to about pieces × characters / 6 bytes (~170 MB here, however they merge).
MERGE_CHECK = 1_000_000_000
# Pieces of text outside any cell of a table that a scanned page keeps, and tags HTML ignores
# in a row (text merges across them) that it keeps (see extract/tame.py).
MAX_FOSTERED = 100
MAX_IGNORED = 100
# Text a value keeps. Titles of real posts are a line; bodies a few pages.
MAX_TITLE = 1000
MAX_BODY = 200_000
MAX_AUTHOR = 200
# A longer URL is no post's address, and PostgreSQL cannot index one of several KB.
MAX_URL = 2000
# The store's reply and view columns are 32-bit on PostgreSQL; a larger count is a misread.
MAX_COUNT = 2**31 - 1
# A published time outside these is a misread: no post predates the epoch, and one dated days
# ahead of its fetch is a wrong zone or a wrong field (year 1 with Shanghai's historical
# +08:05:43 offset is not even a datetime in UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)
# A date or count is read from a cell or attribute (a post's info line at most); the parsers
# are linear, and these keep a 8 MB cell from costing even that.
MAX_DATE_TEXT = 1000
MAX_COUNT_TEXT = 200
