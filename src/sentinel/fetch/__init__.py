"""Fetch: from a URL and a source's policy to a Page (bytes, status, validators), politely.

Fetcher            client.py      every check around each request, redirects, the Page
AiohttpEngine …    engine.py      the exchange itself: aiohttp directly, or an httpx transport
Politeness         politeness.py  per-host concurrency, rate and Retry-After backoff
RobotsCache        robots.py      robots.txt per host, cached
AddressRule        address.py     private/loopback addresses refused unless allowed
read_capped        body.py        gzip/deflate undone under the size cap
decode_html/xml    charset.py     bytes → text: BOM, header, meta/XML declaration, detection
"""

from __future__ import annotations

from sentinel.fetch.charset import decode_html, decode_xml, normalize_charset
from sentinel.fetch.client import Fetcher
from sentinel.fetch.page import FetchPolicy, Page, Validators

__all__ = [
    "FetchPolicy",
    "Fetcher",
    "Page",
    "Validators",
    "decode_html",
    "decode_xml",
    "normalize_charset",
]
