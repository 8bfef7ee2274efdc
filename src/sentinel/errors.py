"""Every error Sentinel raises on purpose.

Third-party exceptions (httpx, aiohttp, SQLAlchemy, YAML, feedparser) are translated where they
enter and never leak upward. The docstring of each class is its default message.

    SentinelError
    ├── ConfigError            one problem in one file, with its line
    │   └── ConfigErrors       several of them, from one load
    ├── FetchError             a source or URL could not be fetched
    │   ├── FetchTimeout
    │   ├── NetworkError       refused, reset, DNS
    │   ├── HTTPStatusError    a 4xx/5xx answer (status kept; retry_after on 429/503)
    │   ├── TooLarge           body (or its decompressed form) over the cap
    │   ├── TooManyRedirects   redirect loop or chain over the cap
    │   ├── RobotsDisallowed   robots.txt forbids the URL for our agent
    │   ├── AddressRefused     a private or loopback address the source does not allow
    │   └── DecodeError        bytes that no charset makes text of; a corrupt gzip/deflate body
    ├── Interrupted            a read cut short because the service is stopping
    ├── ExtractError           a page that does not parse as its kind says
    ├── StoreError             the database refused or failed
    └── NotFound               an id that does not exist
"""

from __future__ import annotations

import re


class SentinelError(Exception):
    """Sentinel failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(SentinelError):
    """Invalid configuration."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.detail}" if where else self.detail


class ConfigErrors(ConfigError):
    """Several configuration problems found in one load."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        first = errors[0] if errors else ConfigError("invalid configuration")
        super().__init__(first.detail, file=first.file, line=first.line)

    def render(self) -> str:
        return "\n".join(e.render() for e in getattr(self, "errors", [])) or super().render()


class FetchError(SentinelError):
    """Could not fetch."""

    def __init__(self, message: str | None = None, *, url: str = "", source_id: str = "") -> None:
        self.url = url
        self.source_id = source_id
        super().__init__(message)

    @property
    def kind(self) -> str:
        """A short stable name for the error, stored with the fetch record."""
        name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", type(self).__name__)
        return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class FetchTimeout(FetchError):
    """The server did not answer in time."""


class NetworkError(FetchError):
    """The connection failed."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self,
        status: int,
        *,
        url: str = "",
        source_id: str = "",
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        self.status = status
        # seconds the host asked us to wait (Retry-After on 429/503), or our own backoff
        self.retry_after = retry_after
        super().__init__(message or f"HTTP {status}", url=url, source_id=source_id)


class TooLarge(FetchError):
    """The body is larger than the configured cap."""


class TooManyRedirects(FetchError):
    """Too many redirects (or a redirect loop)."""


class RobotsDisallowed(FetchError):
    """robots.txt disallows this URL for our user agent."""


class AddressRefused(FetchError):
    """The URL resolves to a private or loopback address, which a source reaches only with
    `allow_private: true` in sources.yaml."""


class DecodeError(FetchError):
    """The body could not be decoded as text."""


class Interrupted(SentinelError):
    """Cut short: the service is stopping."""


class ExtractError(SentinelError):
    """The page could not be parsed."""

    def __init__(self, message: str | None = None, *, url: str = "", source_id: str = "") -> None:
        self.url = url
        self.source_id = source_id
        super().__init__(message)


class StoreError(SentinelError):
    """The database failed."""


class NotFound(SentinelError):
    """No such record."""
