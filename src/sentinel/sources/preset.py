"""A preset: a named set of selectors for a kind of site, and how a source inherits it."""

from __future__ import annotations

from dataclasses import dataclass

from sentinel.config.models import DetailSelectors, Selectors, Source, SourceKind


@dataclass(frozen=True)
class Preset:
    name: str
    kind: SourceKind
    selectors: Selectors
    detail: DetailSelectors | None
    description: str


def merge_selectors(base: Selectors, own: Selectors) -> Selectors:
    """The preset's selectors with every selector the source sets itself taking precedence."""
    update = {k: v for k, v in own.model_dump().items() if v is not None}
    return base.model_copy(update=update)


def merge_detail(
    base: DetailSelectors | None, own: DetailSelectors | None
) -> DetailSelectors | None:
    if base is None or own is None:
        return own if own is not None else base
    update = {k: v for k, v in own.model_dump().items() if v is not None}
    return base.model_copy(update=update)


def apply(preset: Preset, source: Source) -> Source:
    return source.model_copy(
        update={
            "selectors": merge_selectors(preset.selectors, source.selectors),
            "detail": merge_detail(preset.detail, source.detail),
        }
    )
