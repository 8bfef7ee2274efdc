"""Checks on sources.yaml that need the preset registry: names, and selectors the kind needs."""

from __future__ import annotations

from pathlib import Path

from sentinel.config.loader import SOURCES, Config, load_config
from sentinel.config.models import SourceKind
from sentinel.errors import ConfigError, ConfigErrors
from sentinel.sources.preset import apply
from sentinel.sources.presets import ALL_PRESETS


def check(cfg: Config) -> list[ConfigError]:
    """Every problem with presets and selectors in sources.yaml; an empty list when fine."""
    errors: list[ConfigError] = []
    known = ", ".join(sorted(ALL_PRESETS))
    for i, src in enumerate(cfg.sources.sources):
        resolved = src
        if src.preset is not None:
            preset = ALL_PRESETS.get(src.preset)
            if preset is None:
                msg = f"source {src.id!r}: unknown preset {src.preset!r} (known presets: {known})"
                errors.append(cfg.error(SOURCES, ("sources", i, "preset"), msg))
                continue
            if preset.kind is not src.kind:
                msg = (
                    f"source {src.id!r}: preset {preset.name!r} is for {preset.kind.value} "
                    f"sources, not {src.kind.value}"
                )
                errors.append(cfg.error(SOURCES, ("sources", i, "preset"), msg))
                continue
            resolved = apply(preset, src)
        if src.kind is SourceKind.html and not resolved.selectors.item:
            msg = f"source {src.id!r}: an html source needs selectors.item (or a preset)"
            errors.append(cfg.error(SOURCES, ("sources", i, "selectors"), msg))
        if src.kind is not SourceKind.html:
            used = sorted(k for k, v in src.selectors.model_dump().items() if v is not None)
            if used:
                msg = (
                    f"source {src.id!r}: selectors ({', '.join(used)}) are for html sources, "
                    f"not {src.kind.value}"
                )
                errors.append(cfg.error(SOURCES, ("sources", i, "selectors"), msg))
    return errors


def load_checked(directory: Path) -> Config:
    """The configuration in `directory`, with the source checks `sentinel check` runs."""
    cfg = load_config(directory)
    problems = check(cfg)
    if problems:
        raise ConfigErrors(problems)
    return cfg
