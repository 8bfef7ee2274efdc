"""Typed models of the three operator files.

Every option has a default, a validator and a doc line (the `description`). Unknown keys are
errors: a typo in YAML must not be silently ignored.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

# Defined in base.py (config/workflow.py needs them too); re-exported for existing importers.
from sentinel.config.base import ID_RE as ID_RE
from sentinel.config.base import Duration as Duration
from sentinel.config.base import Strict as Strict
from sentinel.config.base import TimeZone
from sentinel.config.base import parse_duration as parse_duration
from sentinel.config.notify import NotifySettings
from sentinel.config.web import WebConfig
from sentinel.config.workers import WorkersConfig
from sentinel.config.workflow import WorkflowSettings


class Severity(StrEnum):
    general = "general"
    major = "major"
    critical = "critical"

    @property
    def rank(self) -> int:
        return ["general", "major", "critical"].index(self.value)


class SourceKind(StrEnum):
    rss = "rss"
    html = "html"
    json = "json"


# ---------------------------------------------------------------- sources.yaml


class Selectors(Strict):
    """CSS selectors for a list page. A value `css@attr` reads an attribute instead of text."""

    item: str | None = Field(None, description="one element per post on the list page")
    title: str | None = Field(None, description="the post title, inside the item")
    link: str | None = Field(None, description="the link to the post (default: title's href)")
    date: str | None = Field(None, description="the published time, inside the item")
    body: str | None = Field(None, description="text of the post on the list page, if shown")
    replies: str | None = Field(None, description="reply count, inside the item")
    views: str | None = Field(None, description="view count, inside the item")
    author: str | None = Field(None, description="author display name (shown, never profiled)")
    next: str | None = Field(None, description="link to the next list page, for pagination")


class DetailSelectors(Strict):
    """Selectors on the post's own page, fetched when `detail` is set."""

    body: str = Field(..., description="the post's text on its own page")
    title: str | None = Field(None, description="a fuller title than the list shows")
    date: str | None = Field(None, description="the published time on the post's page")


class JsonFields(Strict):
    """Dotted paths into a JSON list API's answer."""

    items: str = Field(..., description="path to the list of posts, e.g. data.list")
    title: str = Field("title", description="field with the title")
    link: str = Field("url", description="field with the post URL (relative URLs are joined)")
    link_template: str | None = Field(
        None, description="build the URL from fields, e.g. /detail?id={id}"
    )
    date: str | None = Field(None, description="field with the published time")
    body: str | None = Field(None, description="field with the text")
    replies: str | None = Field(None, description="field with the reply count")
    views: str | None = Field(None, description="field with the view count")
    author: str | None = Field(None, description="field with the author display name")


class Politeness(Strict):
    rate: float = Field(1.0, gt=0, description="requests per second to one host")
    concurrency: int = Field(2, ge=1, le=64, description="requests at once to one host")
    robots: bool = Field(True, description="obey robots.txt")


ENV_NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
PROXY_SCHEMES = ("http", "https")  # socks needs the socksio package, which is not installed


class EnvRef(Strict):
    """A value read from the environment when the source is fetched: `{env: NAME}`.

    Secrets (tokens, session cookies, proxy passwords) stay out of sources.yaml.
    """

    env: str = Field(..., pattern=ENV_NAME_RE, description="environment variable to read")


Reach = str | EnvRef  # a literal value, or one from the environment


class RsshubSettings(Strict):
    base_url: str = Field(..., description="the RSSHub instance, e.g. http://10.0.0.5:1200")


class Source(Strict):
    id: str = Field(..., pattern=ID_RE, description="stable id, lower case")
    name: str = Field("", description="display name")
    kind: SourceKind = Field(..., description="rss, html or json")
    url: AnyHttpUrl | None = Field(
        None, description="the list page, feed or API (set by the loader for rsshub sources)"
    )
    rsshub: str | None = Field(
        None, description="an RSSHub route (/tieba/forum/明光) instead of url; kind rss"
    )
    urls: list[AnyHttpUrl] = Field(default_factory=list, description="more list URLs")
    preset: str | None = Field(None, description="a named set of selectors (see sources/)")
    selectors: Selectors = Field(default_factory=Selectors, description="html selectors")
    detail: DetailSelectors | None = Field(None, description="fetch each new post's page")
    json_fields: JsonFields | None = Field(None, alias="fields", description="json list paths")
    pages: int = Field(1, ge=1, le=50, description="list pages to follow via selectors.next")
    date_format: str | None = Field(None, description="strptime format, when dates are odd")
    encoding: str | None = Field(None, description="override the page's declared charset")
    territorial: bool = Field(False, description="posts are local by definition (no region word)")
    department: str | None = Field(None, description="territorial department of the site")
    media: bool = Field(False, description="a news outlet (raises severity of its stories)")
    board: bool = Field(False, description="a message board (留言): posts get the 3-day reply rule")
    every: Duration | None = Field(None, description="fetch more often than the duty cadence")
    politeness: Politeness | None = Field(None, description="override the defaults per host")
    allow_private: bool = Field(False, description="may reach private/loopback addresses")
    hosts: list[str] = Field(
        default_factory=list, description="other hosts whose post pages may be fetched"
    )
    proxy: Reach | None = Field(None, description="http(s)://[user:pass@]host:port for this source")
    headers: dict[str, Reach] = Field(default_factory=dict, description="extra request headers")
    cookies: dict[str, Reach] = Field(
        default_factory=dict, description="cookies sent with each request"
    )
    enabled: bool = Field(True, description="false: keep the entry but do not patrol it")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import codecs

        try:
            codecs.lookup(v)
        except LookupError as e:
            raise ValueError(f"unknown encoding {v!r}") from e
        return v

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, v: Reach | None) -> Reach | None:
        if isinstance(v, str):
            check_proxy(v)
        return v

    @field_validator("hosts")
    @classmethod
    def _bare_hosts(cls, v: list[str]) -> list[str]:
        for host in v:
            if not host or any(c in host for c in "/:@ "):
                raise ValueError(f"a host is a name like bbs.example.cn, not {host!r}")
        return [h.lower() for h in v]

    @model_validator(mode="after")
    def _kind_needs(self) -> Source:
        if self.kind is SourceKind.json and self.json_fields is None:
            raise ValueError("a json source needs `fields:` (at least `items:`)")
        return self

    @property
    def list_urls(self) -> list[str]:
        return [str(self.url), *(str(u) for u in self.urls)]


def check_proxy(url: str) -> str:
    """The proxy URL unchanged, or ValueError saying what is wrong with it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.startswith("socks"):
        raise ValueError("socks proxies are not supported (the socksio package is not installed)")
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        # the URL itself is not repeated: it may carry a password
        raise ValueError(f"a proxy is http(s)://host:port (scheme here: {parts.scheme!r})")
    return url


class SourceDefaults(Strict):
    politeness: Politeness = Field(default_factory=Politeness)


class SourcesFile(Strict):
    defaults: SourceDefaults = Field(default_factory=SourceDefaults)
    sources: list[Source] = Field(default_factory=list)


# --------------------------------------------------------------- keywords.yaml

Word = Annotated[str, Field(min_length=1, max_length=64)]


class Topic(Strict):
    id: str = Field(..., pattern=ID_RE, description="stable id")
    name: str = Field(..., description="display name, e.g. 征地拆迁")
    department: str = Field(..., description="department in charge (id from sentinel.yaml)")
    severity: Severity = Field(Severity.general, description="default severity")
    any: list[Word] = Field(..., min_length=1, description="at least one of these")
    all: list[Word] = Field(default_factory=list, description="and every one of these")
    none: list[Word] = Field(default_factory=list, description="and none of these")
    region: bool = Field(True, description="require a region word on non-territorial sources")


class KeywordsFile(Strict):
    region: list[Word] = Field(default_factory=list, description="region words (地域词)")
    exclude: list[Word] = Field(default_factory=list, description="exclusions for every topic")
    dictionary: list[Word] = Field(default_factory=list, description="extra words for jieba")
    topics: list[Topic] = Field(default_factory=list)


# --------------------------------------------------------------- sentinel.yaml


class Officer(Strict):
    """A duty officer: who gets the department's digests. Their login lives in the database."""

    name: str
    login: str = Field(..., pattern=ID_RE)
    email: str = Field("", description="where digests go")
    webhook: str = Field("", description="IM webhook (DingTalk, WeCom, Feishu)")


class Department(Strict):
    id: str = Field(..., pattern=ID_RE)
    name: str
    lead: bool = Field(False, description="the lead office (牵头单位) that designates")
    territory: list[str] = Field(default_factory=list, description="place names it covers")
    officers: list[Officer] = Field(default_factory=list, description="duty officers")


class EscalationSettings(Strict):
    """When a story's severity rises one level with evidence (Art. 7)."""

    spread_sources: int = Field(3, ge=2, le=100, description="distinct sources carrying it")
    reply_growth: int = Field(50, ge=1, description="replies grown between two patrols")
    reply_factor: float = Field(2.0, gt=1, description="or replies multiplied by this much")
    reply_factor_min: int = Field(
        10, ge=1, description="growth a multiplication needs to count (1 → 2 is no surge)"
    )


class HttpSettings(Strict):
    user_agent: str = Field(
        "SentinelBot/0.1 (public-opinion monitor; +{contact})",
        description="User-Agent; {contact} is replaced by `contact`",
    )
    contact: str = Field("", description="who site owners can write to")
    timeout: float = Field(20.0, gt=0, description="seconds for connect and each read")
    max_bytes: int = Field(8_000_000, gt=1024, description="cap on a decoded body")
    max_redirects: int = Field(5, ge=0, le=20)
    concurrency: int = Field(50, ge=1, le=1000, description="requests in flight in all")
    transport: Literal["aiohttp", "httpx"] = Field(
        "aiohttp", description="HTTP engine; aiohttp costs ~10x less CPU than httpx's own"
    )
    scouts: int = Field(
        0,
        ge=0,
        le=64,
        description="processes that fetch and parse pages beside the patrol's own "
        "(0: all in the patrol's process); up to the machine's cores less one",
    )

    @property
    def agent(self) -> str:
        return self.user_agent.replace("{contact}", self.contact or "no contact set")


class MatchSettings(Strict):
    engine: Literal["fast", "reference"] = Field(
        "fast", description="fast: ahocorasick-rs + rjieba; reference: plain Python + jieba"
    )


class EventSettings(Strict):
    """The event step: a post told in other words (a rewrite, a follow-up, a letter to a bureau)
    joins the story of the same event — same topic, same place, same subject."""

    enabled: bool = Field(True, description="join rewrites and follow-ups of one event")
    window: Duration = Field(
        timedelta(days=3), description="how long after a story's latest post it takes others"
    )
    open_window: Duration = Field(
        timedelta(days=30), description="the same while the story's alert is still handled"
    )
    threshold: float = Field(0.45, gt=0, le=1, description="least event score that joins")


class ClusterSettings(Strict):
    threshold: float = Field(0.5, gt=0, le=1, description="Jaccard similarity to join a story")
    window: Duration = Field(timedelta(days=14), description="how far back reposts are sought")
    events: EventSettings = Field(
        default_factory=EventSettings, description="grouping posts by event, beyond reposts"
    )


class RecheckSettings(Strict):
    """Posts in stories are fetched again after each patrol to notice when they are deleted."""

    enabled: bool = Field(True, description="re-read the pages of posts in stories")
    window: Duration = Field(timedelta(days=7), description="posts first seen this recently")
    limit: int = Field(200, ge=0, le=10_000, description="at most this many pages per patrol")


class SentinelFile(Strict):
    name: str = Field("Sentinel", description="shown in digests and the web desk")
    timezone: TimeZone = Field("Asia/Shanghai", description="local time of the office (IANA)")
    database_url: str | None = Field(None, description="overridden by SENTINEL_DATABASE_URL")
    data_dir: str = Field("data", description="where the SQLite file and evidence live")
    departments: list[Department] = Field(default_factory=list)
    http: HttpSettings = Field(default_factory=HttpSettings)
    match: MatchSettings = Field(default_factory=MatchSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    recheck: RecheckSettings = Field(
        default_factory=RecheckSettings, description="noticing deleted posts"
    )
    workflow: WorkflowSettings = Field(
        default_factory=WorkflowSettings,
        description="working-day calendar overrides, duty cadence, deadline policy",
    )
    escalation: EscalationSettings = Field(
        default_factory=EscalationSettings, description="severity raised by spread and reaction"
    )
    leaders: list[str] = Field(default_factory=list, description="logins of leaders (read all)")
    rsshub: RsshubSettings | None = Field(
        None, description="the RSSHub instance that `rsshub:` routes in sources.yaml use"
    )
    notify: NotifySettings = Field(
        default_factory=NotifySettings, description="digests and pushes: SMTP, IM bots, per dept"
    )
    web: WebConfig = Field(
        default_factory=WebConfig, description="the duty desk: https cookies, trusted proxies"
    )
    workers: WorkersConfig = Field(
        default_factory=WorkersConfig, description="patrols run by `sentinel worker` processes"
    )

    @property
    def lead_department(self) -> Department | None:
        return next((d for d in self.departments if d.lead), None)
