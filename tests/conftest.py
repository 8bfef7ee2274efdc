"""Fixtures shared by all tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import LocalSite


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A started LocalSite on 127.0.0.1, stopped after the test."""
    with LocalSite() as s:
        yield s
