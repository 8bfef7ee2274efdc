"""Canonical URLs: one spelling per page, so a post is stored once however it was linked.

Dropped: the fragment, an empty `?`, the default port, and tracking parameters — `utm_*` and
spm, scm, gclid, fbclid, yclid, mc_cid, mc_eid, share_token, isappinstalled, wfr, _hsenc,
_hsmid. `from` and `source` are kept: on many Chinese CMSs they select content, not a referrer.
The remaining query parameters are sorted (raw, without re-encoding their values, so a server
that reads `?123` or `a=1&b` still gets what it expects); scheme and host are lower-cased;
non-ASCII characters and spaces are percent-encoded and escapes upper-cased.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

TRACKING = frozenset(
    {
        "spm",
        "scm",
        "gclid",
        "fbclid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "share_token",
        "isappinstalled",
        "wfr",
        "_hsenc",
        "_hsmid",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}

_STRIP = re.compile(r"[\t\n\r]")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# Everything URL syntax allows unescaped, plus % for escapes already present.
_SAFE = "%/:=&?~#+!$,;'@()*[]|"


def _tracking(part: str) -> bool:
    key = unquote(part.split("=", 1)[0]).lower()
    return key in TRACKING or key.startswith("utm_")


def _encode(s: str) -> str:
    if s.isascii() and " " not in s and '"' not in s and "<" not in s and ">" not in s:
        encoded = s
    else:
        encoded = quote(s, safe=_SAFE)
    return _ESCAPE.sub(lambda m: m.group(0).upper(), encoded) if "%" in encoded else encoded


def _canonical(url: str, keep_fragment: bool = False) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = host
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]"
    port = parts.port  # ValueError for a port out of range or not a number
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _encode(parts.path) or ("/" if netloc else "")
    query = ""
    if parts.query:
        kept = [p for p in parts.query.split("&") if p and not _tracking(p)]
        query = "&".join(sorted(_encode(p) for p in kept))
    fragment = _encode(parts.fragment) if keep_fragment else ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def canonical_url(url: str, base: str | None = None, *, keep_fragment: bool = False) -> str:
    """The canonical form of `url`, joined to `base` first when given; its fragment is kept
    only when asked (see extract.feeditem.settle_fragments).

    Raises ValueError for a URL that cannot be split (bad IPv6 literal, bad port).
    """
    url = _STRIP.sub("", url.strip())
    if base:
        url = urljoin(base, url)
    canonical = _canonical(url, keep_fragment)
    urlsplit(canonical)  # `https:////]` becomes `https://]`: its ValueError is raised here
    return canonical


def is_web_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))


# web_url's answers are remembered: the next patrol finds the same links on the same list pages
# again. Only short ASCII links and bases are (a post's link is well under, 99% of the corpus'
# links are under 150 characters): the cache is keyed by whole strings, and kept megabyte-long
# `href`s a fuzzer sent until the process held gigabytes. So each of its 65,536 entries is at
# most ~2 KB (a result is at most 3 times its link and base), typically 0.4 KB; a longer or
# non-ASCII link is worked out each time (~10 µs).
_MEMO = 256


def web_url(link: str, base: str, keep_fragment: bool = False) -> str | None:
    """The canonical absolute http(s) URL of a link found on a page, or None for anything else
    (javascript:, mailto:, a malformed host or port): a page's bad link only costs that item."""
    if len(link) <= _MEMO and len(base) <= _MEMO and link.isascii() and base.isascii():
        return _remembered(link, base, keep_fragment)
    return _web_url(link, base, keep_fragment)


def _web_url(link: str, base: str, keep_fragment: bool) -> str | None:
    try:
        url = canonical_url(link, base, keep_fragment=keep_fragment)
        host = urlsplit(url).hostname
    except ValueError:  # `https:////]` joins to a host urlsplit calls a bad IPv6 literal
        return None
    if not is_web_url(url):
        return None
    if not host or any(c in host for c in ' <>"{}|\\^`'):
        return None
    return url


_remembered = functools.lru_cache(maxsize=65536)(_web_url)
