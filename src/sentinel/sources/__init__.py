"""The preset registry: named sets of selectors a source can start from.

Preset    preset.py   the record, and how a source's own selectors override it field by field
PRESETS   presets.py  the presets Sentinel ships (data only)
check     check.py    preset names and the selectors each kind needs, with file:line
"""

from __future__ import annotations

from sentinel.config.models import Source
from sentinel.sources.check import check
from sentinel.sources.preset import Preset, apply
from sentinel.sources.presets import PRESETS


def resolve(source: Source) -> Source:
    """A copy of the source with its preset's selectors filled in; unchanged without a preset.

    An unknown preset also leaves the source unchanged: `check` reports it at load time.
    """
    preset = PRESETS.get(source.preset) if source.preset else None
    return apply(preset, source) if preset is not None else source


__all__ = ["PRESETS", "Preset", "check", "resolve"]
