"""Logs go to stderr as it is when they are written, whoever replaced it meanwhile."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from sentinel.logs import setup_logging


@pytest.fixture(autouse=True)
def _keep_logging() -> object:
    root = logging.getLogger("sentinel")
    saved = (root.handlers[:], root.level, root.propagate)
    yield
    root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]


def test_a_record_after_stderr_was_replaced_and_closed_reaches_the_new_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # typer's CliRunner swaps stderr for the command's run, then closes its stream
    during = io.StringIO()
    monkeypatch.setattr(sys, "stderr", during)
    setup_logging(json_lines=True)
    logging.getLogger("sentinel.test").warning("during the command")
    during_lines = during.getvalue().splitlines()
    during.close()
    after = io.StringIO()
    monkeypatch.setattr(sys, "stderr", after)
    logging.getLogger("sentinel.test").warning("after it")
    assert [json.loads(line)["msg"] for line in during_lines] == ["during the command"]
    assert [json.loads(line)["msg"] for line in after.getvalue().splitlines()] == ["after it"]
