"""A preset: a named set of selectors for a kind of site, and how a source inherits it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sentinel.config.models import DetailSelectors, Selectors, Source, SourceKind


@dataclass(frozen=True, slots=True)
class Identity:
    """How a site family spells one post: (pattern, template) pairs over canonical URLs.

    The first pattern that matches an item's canonical URL (re.match) gives the post's URL,
    written by its template (re's `\\g<name>` syntax). Sites put volatile parameters in their
    links (Discuz's `extra=page%3D2` changes when a thread moves to the list's second page) and
    link one post in several spellings; without one identity each spelling is another post.
    The result must itself be a canonical URL (query parameters in sorted order).
    """

    rules: tuple[tuple[str, str], ...]
    _compiled: tuple[tuple[re.Pattern[str], str], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple((re.compile(p), t) for p, t in self.rules))

    def __call__(self, url: str) -> str:
        for pattern, template in self._compiled:
            m = pattern.match(url)
            if m is not None:
                return m.expand(template)
        return url


@dataclass(frozen=True, kw_only=True, slots=True)
class Rules:
    """How a preset reads what selectors alone cannot say. Extraction consults them by name.

    Each rule applies to whatever selector is in effect for its field, the preset's or the
    source's own, so an operator overriding `date` keeps the preset's way of reading it.
    """

    # Rows without a date are navigation or column headers on portal lists, not posts.
    require_date: bool = False
    # The title is the match with the longest text: rows lead with "[社会]"-style column links.
    longest_title: bool = False
    # The date is the first match whose short text reads as a date: templates move the date
    # cell before or after the title, so a positional selector would break on half of them.
    scan_date: bool = False
    # Where a message board prints a message's handling status (read by extract.status).
    status: str | None = None
    # What makes two of the site family's item URLs one post (see Identity).
    identity: Identity | None = None


NO_RULES = Rules()


@dataclass(frozen=True, kw_only=True, slots=True)
class Preset:
    name: str
    kind: SourceKind
    description: str
    selectors: Selectors = field(default_factory=Selectors)
    detail: DetailSelectors | None = None
    rules: Rules = NO_RULES


def merge_selectors(base: Selectors, own: Selectors) -> Selectors:
    """The preset's selectors with every selector the source sets itself taking precedence."""
    update = {k: v for k, v in own.model_dump().items() if v is not None}
    return base.model_copy(update=update)


def merge_detail(
    base: DetailSelectors | None, own: DetailSelectors | None
) -> DetailSelectors | None:
    """The source's own `detail` whole, else the preset's.

    Not field by field: `detail.body` is required, so a source writing `detail:` describes a
    post page of its own, and the preset's title/date selectors belong to another template.
    """
    return own if own is not None else base


def apply(preset: Preset, source: Source) -> Source:
    return source.model_copy(
        update={
            "selectors": merge_selectors(preset.selectors, source.selectors),
            "detail": merge_detail(preset.detail, source.detail),
        }
    )
