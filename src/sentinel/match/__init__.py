"""Relevance matching: keywords.yaml topics against post text (see matcher.py)."""

from __future__ import annotations

from sentinel.match.hit import Hit
from sentinel.match.matcher import Matcher

__all__ = ["Hit", "Matcher"]
