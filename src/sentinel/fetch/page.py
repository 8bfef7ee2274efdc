"""What a fetch hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sentinel.picklestate import tuple_state


@tuple_state
@dataclass(frozen=True, kw_only=True, slots=True)
class Validators:
    """Conditional-GET state remembered per URL."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchPolicy:
    """How one source may be fetched. Built from the source's config by the pipeline."""

    source_id: str = ""
    rate: float = 1.0  # requests per second to one host
    concurrency: int = 2  # requests at once to one host
    robots: bool = True
    allow_private: bool = False
    encoding: str | None = None  # operator override of the declared charset
    # Sent only to the host of the requested URL: a redirect elsewhere must not carry a token.
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None  # http(s)://host:port; one client per proxy, kept for the process


@tuple_state
@dataclass(frozen=True, kw_only=True, slots=True)
class Page:
    """One HTTP answer, body already freed of its Content-Encoding (gzip/deflate)."""

    url: str  # final URL, after redirects
    requested_url: str
    status: int  # 200..299, or 304 when not_modified
    content_type: str = ""  # media type without parameters, lower case
    charset: str | None = None  # from the Content-Type header, if any
    body: bytes = b""
    validators: Validators = field(default_factory=Validators)
    fetched_at: datetime
    elapsed: float = 0.0  # seconds

    @property
    def not_modified(self) -> bool:
        return self.status == 304
