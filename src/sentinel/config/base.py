"""What every config model shares: strictness, ids, durations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

ID_RE = r"^[a-z0-9][a-z0-9_\-]{0,63}$"

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def parse_duration(value: object) -> object:
    """'90s', '10m', '2h', '1d' or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 2h, 1d)")
        n, unit = float(m.group(1)), m.group(2)
        return timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
