"""RSSHub routes: `rsshub: /tieba/forum/明光` read against the instance in sentinel.yaml.

RSSHub (docs.rsshub.app) turns Weibo, WeChat, Tieba, Douyin pages into feeds; the office runs or
chooses an instance, and a source names only the route, so moving instances is one line.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

# Characters a route keeps as they are: path separators, already-escaped bytes, and the
# sub-delimiters RSSHub uses in route parameters (`/weibo/user/123/exclude_rt=1&showAuthor=0`).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def rsshub_url(base: str, route: str) -> str:
    """The feed URL of `route` on the RSSHub instance at `base`.

    The base may sit under a path (`https://host/rsshub/`); non-ASCII route text is
    percent-encoded as UTF-8. A route that would leave the instance (a scheme, `//host`, `..`)
    is refused with ValueError, as is a base that is not an http(s) URL.
    """
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"RSSHub base URL must be http(s)://host[/path], not {base!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"RSSHub base URL takes no query or fragment: {base!r}")
    route = route.strip()
    if not route or route == "/":
        raise ValueError("an RSSHub route is a path such as /tieba/forum/明光")
    if "://" in route or route.startswith("//") or "\\" in route:
        raise ValueError(f"an RSSHub route is a path on the instance, not a URL: {route!r}")
    path, _, query = route.partition("?")
    path = path if path.startswith("/") else "/" + path
    if any(seg in ("..", ".") for seg in path.split("/")):
        raise ValueError(f"an RSSHub route may not climb out of the instance: {route!r}")
    if "#" in path or "#" in query:
        raise ValueError(f"an RSSHub route takes no fragment: {route!r}")
    full = parts.path.rstrip("/") + quote(path, safe=_PATH_SAFE)
    return urlunsplit((parts.scheme, parts.netloc, full, quote(query, safe=_QUERY_SAFE), ""))
