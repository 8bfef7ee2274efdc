"""The Hit record: one topic matched by one post."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class Hit:
    topic_id: str
    words: tuple[str, ...]  # the topic's words that matched (any + all), as configured, sorted
    region_words: tuple[str, ...]  # region words found (empty on territorial sources)
    positions: tuple[tuple[str, int, int], ...]  # (word, start, end) in Post.text, sorted
