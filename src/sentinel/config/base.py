"""What every config model shares: strictness, ids, durations."""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

ID_RE = r"^[a-z0-9][a-z0-9_\-]{0,63}$"

MAX_DURATION = timedelta(days=36_500)
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def parse_duration(value: object) -> object:
    """'90s', '10m', '2h', '1d' or a number of seconds; at most MAX_DURATION."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 10m, 2h, 1d)")
        n, unit = float(m.group(1)), m.group(2)
        seconds = n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    else:
        return value
    # `every: 9999999999d` overflowed timedelta, and a mere 99999999d overflowed the first
    # date it was added to; nan and 1e999 are no durations either.
    if not 0 <= seconds <= MAX_DURATION.total_seconds():
        raise ValueError(f"not a duration from 0 to 100 years: {value!r}")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str) -> str:
    """The IANA time zone name unchanged, or ValueError naming the closest valid one."""
    if name in _zones():
        return name
    close = difflib.get_close_matches(name, sorted(_zones()), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else " (an IANA name such as 'Asia/Shanghai')"
    raise ValueError(f"unknown time zone {name!r}{hint}")


TimeZone = Annotated[str, AfterValidator(check_timezone)]
