"""Pure decisions of a patrol: a source's fetch policy, a story's department and severity,
the name a failure is recorded under."""

from __future__ import annotations

from collections.abc import Sequence

from sentinel.config import Config, Severity, Source
from sentinel.errors import FetchError
from sentinel.fetch.page import FetchPolicy
from sentinel.match import Hit


def error_kind(error: BaseException) -> str:
    """The short name a failure is stored and reported under: a FetchError's own kind
    (timeout, too_large, ...), else the exception's class name (ExtractError, a bug's)."""
    return error.kind if isinstance(error, FetchError) else type(error).__name__


def fetch_policy(cfg: Config, source: Source) -> FetchPolicy:
    """How the source is fetched; ConfigError when an `{env: NAME}` it needs is not set."""
    from sentinel.sources.reach import reach

    polite = source.politeness or cfg.sources.defaults.politeness
    own = reach(source)
    return FetchPolicy(
        source_id=source.id,
        rate=polite.rate,
        concurrency=polite.concurrency,
        robots=polite.robots,
        allow_private=source.allow_private,
        encoding=source.encoding,
        headers=own.headers,
        cookies=own.cookies,
        proxy=own.proxy,
    )


def route(cfg: Config, source: Source, hits: Sequence[Hit]) -> str | None:
    """谁主管、谁负责: the topic's department; else the site's territory; several → lead office."""
    topics = {t.id: t for t in cfg.keywords.topics}
    departments = sorted({topics[h.topic_id].department for h in hits if h.topic_id in topics})
    if len(departments) == 1:
        return departments[0]
    if not departments:
        return source.department
    lead = cfg.settings.lead_department
    return lead.id if lead else departments[0]


def story_severity(cfg: Config, hits: Sequence[Hit]) -> Severity:
    topics = {t.id: t for t in cfg.keywords.topics}
    levels = [topics[h.topic_id].severity for h in hits if h.topic_id in topics]
    return max(levels, key=lambda s: s.rank, default=Severity.general)
