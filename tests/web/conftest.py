from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.web.desk import Desk, build_template, open_desk


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    return asyncio.run(build_template(tmp_path_factory.mktemp("desk-template")))


@pytest.fixture
async def desk(template: tuple[Path, Path, bytes], tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in open_desk(template, tmp_path):
        yield d
