"""Structured logs: JSON lines when stderr is not a terminal, readable lines when it is.

Times are UTC in both, and say so (`…Z`, `+00:00`): the server's own zone may be anything,
and the office's zone (`timezone` in sentinel.yaml) is for what people on duty read.

Records carry `source_id`, `url` and `alert_id` when the caller passes them in `extra`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

_FIELDS = ("source_id", "url", "alert_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in _FIELDS:
            value = getattr(record, key, None)
            if value:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = " ".join(f"{k}={getattr(record, k)}" for k in _FIELDS if getattr(record, k, None))
        return f"{base} [{extra}]" if extra else base


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is at each record, not as it was at setup.

    Whatever replaces stderr for a while (typer's test runner, a daemoniser, a notebook)
    closes its stream when done; a handler holding that stream would fail every later record
    with "Logging error" instead of writing it. logging's own last-resort handler does the same.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass  # the base class sets it; the property reads the live one instead


def setup_logging(verbose: int = 0, *, json_lines: bool | None = None) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    use_json = (not sys.stderr.isatty()) if json_lines is None else json_lines
    handler = StderrHandler()
    handler.setFormatter(
        JsonFormatter() if use_json else TextFormatter("%(asctime)s %(levelname)s %(message)s")
    )
    root = logging.getLogger("sentinel")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
