"""The patrol: where the stages meet (fetch → extract → match → cluster → store → workflow).

patrol.py    Patrol: one patrol of many sources, and the life of one source in it
lists.py     a source's list pages walked, each fetch and the source's health recorded
fresh.py     a list page's new posts: their own pages read, matched, stored
stories.py   a page's matched posts into stories, alerts and escalations
rules.py     pure decisions: a source's fetch policy, a story's department and severity
records.py   what a patrol reports
trying.py    `sentinel try`: one source now, nothing written
"""

from __future__ import annotations

from sentinel.pipeline.patrol import Patrol
from sentinel.pipeline.records import (
    Clock,
    PatrolReport,
    SourceReport,
    TriedPost,
    TryResult,
    utcnow,
)
from sentinel.pipeline.rules import fetch_policy, route, story_severity
from sentinel.pipeline.trying import try_source

__all__ = [
    "Clock",
    "Patrol",
    "PatrolReport",
    "SourceReport",
    "TriedPost",
    "TryResult",
    "fetch_policy",
    "route",
    "story_severity",
    "try_source",
    "utcnow",
]
