"""Hypothesis settings for the property tests: a few seconds each in CI, no example database
written into the tree (`python -m fuzz` is the long run)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "sentinel",
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("sentinel")
