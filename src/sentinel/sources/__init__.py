"""The preset registry: named sets of selectors a source can start from, and source health.

Preset       preset.py   the record, its rules, and how a source's own selectors override it
PRESETS      presets.py  the presets Sentinel ships (data only); FEED_PRESETS for feeds
check        check.py    preset names and the selectors each kind needs, with file:line;
                         load_checked: the configuration loaded with those checks
rsshub_url   rsshub.py   an RSSHub route resolved against the instance's base URL
health       health.py   ok / broken_layout / unreachable / blocked from a source's fetches
"""

from __future__ import annotations

from sentinel.config.models import Source
from sentinel.sources.check import check, load_checked
from sentinel.sources.preset import NO_RULES, Preset, Rules, apply
from sentinel.sources.presets import ALL_PRESETS, FEED_PRESETS, PRESETS
from sentinel.sources.rsshub import rsshub_url


def resolve(source: Source) -> Source:
    """A copy of the source with its preset's selectors filled in; unchanged without a preset.

    An unknown preset also leaves the source unchanged: `check` reports it at load time.
    """
    preset = ALL_PRESETS.get(source.preset) if source.preset else None
    return apply(preset, source) if preset is not None else source


def rules_for(source: Source) -> Rules:
    """The reading rules of the source's preset (none without one)."""
    preset = ALL_PRESETS.get(source.preset) if source.preset else None
    return preset.rules if preset is not None else NO_RULES


__all__ = [
    "ALL_PRESETS",
    "FEED_PRESETS",
    "PRESETS",
    "Preset",
    "Rules",
    "check",
    "load_checked",
    "resolve",
    "rsshub_url",
    "rules_for",
]
