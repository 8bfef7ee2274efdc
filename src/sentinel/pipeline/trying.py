"""`sentinel try`: one source fetched now, extracted and matched; nothing written."""

from __future__ import annotations

from sentinel.config import Config, Source
from sentinel.errors import FetchError
from sentinel.extract import extract_detail, extract_list
from sentinel.fetch import Fetcher
from sentinel.fetch.page import FetchPolicy, Page
from sentinel.match import Matcher
from sentinel.pipeline.records import TriedPost, TryResult
from sentinel.pipeline.rules import fetch_policy
from sentinel.sources import resolve
from sentinel.sources.reach import on_site
from sentinel.store import Store


async def try_source(
    cfg: Config, source: Source, *, store: Store | None = None, fetcher: Fetcher | None = None
) -> TryResult:
    """Fetch one source now and show what extraction and matching make of it; writes nothing."""
    src = resolve(source)
    policy = fetch_policy(cfg, src)
    own = fetcher is None
    client = fetcher or Fetcher(cfg.settings.http)
    try:
        page = await client.get(str(src.url), policy=policy)
        posts = extract_list(src, page)
        if src.detail is not None:
            posts = [
                extract_detail(src, d, p)
                if on_site(src, p.url) and (d := await _maybe(client, policy, p.url))
                else p
                for p in posts
            ]
    finally:
        if own:
            await client.aclose()
    matcher = Matcher(cfg.keywords, engine=cfg.settings.match.engine)
    known = await store.known_urls(src.id, [p.url for p in posts]) if store else set()
    tried = tuple(
        TriedPost(
            post=p,
            hits=tuple(matcher.match(p.text, territorial=src.territorial)),
            new=p.url not in known,
        )
        for p in posts
    )
    return TryResult(
        source_id=src.id,
        url=page.url,
        status=page.status,
        encoding_hint=page.charset,
        posts=tried,
    )


async def _maybe(fetcher: Fetcher, policy: FetchPolicy, url: str) -> Page | None:
    try:
        return await fetcher.get(url, policy=policy)
    except FetchError:
        return None
