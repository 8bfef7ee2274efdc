"""Office: what a report names and how it tells time — the office's name, its departments,
topics and sources by name, its timezone. Built once from the configuration, by the desk and
by the command line alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sentinel.config import Config


@dataclass(frozen=True, kw_only=True, slots=True)
class Office:
    name: str  # the masthead: the office's name
    tz: ZoneInfo
    departments: Mapping[str, str]  # id -> name
    topics: Mapping[str, str]  # id -> name (keywords.yaml)
    sources: Mapping[str, str]  # id -> name (sources.yaml; the id where it gives none)
    watched: tuple[str, ...] = ()  # the sources patrolled (enabled), by id

    @classmethod
    def of(cls, cfg: Config) -> Office:
        return cls(
            name=cfg.settings.name,
            tz=ZoneInfo(cfg.settings.timezone),
            departments={d.id: d.name for d in cfg.settings.departments},
            topics={t.id: t.name for t in cfg.keywords.topics},
            sources={s.id: s.name or s.id for s in cfg.sources.sources},
            watched=tuple(s.id for s in cfg.sources.sources if s.enabled),
        )

    def department(self, key: str) -> str:
        return self.departments.get(key, key)

    def topic(self, key: str) -> str:
        return self.topics.get(key, key)

    def source(self, key: str) -> str:
        return self.sources.get(key, key)
