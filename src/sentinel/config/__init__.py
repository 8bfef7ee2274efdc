"""Operator configuration: the three YAML files, validated, with file:line errors."""

from sentinel.config.loader import (
    KEYWORDS,
    SETTINGS,
    SOURCES,
    Config,
    config_dir,
    load_config,
)
from sentinel.config.models import (
    Department,
    KeywordsFile,
    SentinelFile,
    Severity,
    Source,
    SourceKind,
    SourcesFile,
    Topic,
)

__all__ = [
    "KEYWORDS",
    "SETTINGS",
    "SOURCES",
    "Config",
    "Department",
    "KeywordsFile",
    "SentinelFile",
    "Severity",
    "Source",
    "SourceKind",
    "SourcesFile",
    "Topic",
    "config_dir",
    "load_config",
]
