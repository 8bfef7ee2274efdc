"""Load the three operator files with errors that name `file:line`.

The YAML is read with the line of every key and list item (lines.py); pydantic validates it,
and its error locations are walked back through that tree to a line number.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import yaml
import yaml.composer
import yaml.events
from pydantic import AnyHttpUrl, BaseModel, ValidationError
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from sentinel.config.lines import (
    Located,
    StreamingLoader,
    read_text,
    read_yaml,
    syntax_error,
    too_deep,
    walk,
)
from sentinel.config.models import KeywordsFile, SentinelFile, Source, SourceKind, SourcesFile
from sentinel.errors import ConfigError, ConfigErrors

SOURCES = "sources.yaml"
KEYWORDS = "keywords.yaml"
SETTINGS = "sentinel.yaml"
FILES = (SOURCES, KEYWORDS, SETTINGS)

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
class Config:
    """The validated configuration, and where each part of it came from."""

    dir: Path
    sources: SourcesFile
    keywords: KeywordsFile
    settings: SentinelFile
    docs: dict[str, Located] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # data_dir is relative to the configuration folder, not to the current one: started
        # from anywhere, the service finds the same database
        data = Path(self.settings.data_dir).expanduser()
        if not data.is_absolute():
            resolved = str((self.dir / data).resolve())
            settings = self.settings.model_copy(update={"data_dir": resolved})
            object.__setattr__(self, "settings", settings)

    @functools.cached_property
    def digest(self) -> str:
        """The three files as this configuration read them, hashed (`digest_of`): equal on every
        node that runs the same files, whatever their mtimes."""
        docs = [self.docs.get(name) for name in FILES]
        return digest_of(d.text.encode("utf-8") if d is not None else None for d in docs)

    def where(self, file: str, loc: Sequence[str | int]) -> tuple[str, int | None]:
        doc = self.docs.get(file)
        return (str(doc.path) if doc else file, doc.line(loc) if doc else None)

    def error(self, file: str, loc: Sequence[str | int], message: str) -> ConfigError:
        path, line = self.where(file, loc)
        return ConfigError(message, file=path, line=line)


def digest_of(contents: Iterable[bytes | None]) -> str:
    """The hash of the three files' bytes, in FILES order (None: a file missing)."""
    h = hashlib.blake2b(digest_size=16)
    for data in contents:
        h.update(b"\0missing" if data is None else data)
        h.update(b"\0")
    return h.hexdigest()


def config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config-dir, else SENTINEL_CONFIG_DIR, else the current directory."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SENTINEL_CONFIG_DIR")
    return Path(env) if env else Path.cwd()


def read_sources(path: Path) -> tuple[Located, SourcesFile]:
    """sources.yaml, one source at a time.

    A province's file lists tens of thousands of sources. Building the whole line-numbered
    tree and then validating it held the node graph, the tree and the models at once, which
    was most of the daemon's peak memory; here each entry's nodes are composed, built into a
    Source and dropped before the next. Files of another shape take the general way.
    """
    text = read_text(path)
    try:
        loader = StreamingLoader(text)
    except yaml.YAMLError as e:  # libyaml reads the first characters at once
        raise syntax_error(e, path, text) from e
    try:
        try:
            parsed = _stream_sources(loader, path)
        except yaml.YAMLError as e:
            raise syntax_error(e, path, text) from e
        except RecursionError as e:
            raise too_deep(text, path) from e
    finally:
        loader.dispose()
    if parsed is None:
        return Located(path=path, text=text), validate(read_yaml(path), SourcesFile)
    sources, entries = parsed
    return Located(path=path, text=text, entries=entries), sources


def _stream_sources(
    loader: StreamingLoader, path: Path
) -> tuple[SourcesFile, tuple[tuple[int, int], ...]] | None:
    ev = yaml.events
    loader.get_event()  # stream start
    if loader.check_event(ev.StreamEndEvent):
        return SourcesFile(), ()
    loader.get_event()  # document start
    if not loader.check_event(ev.MappingStartEvent):
        return None
    start = loader.get_event()
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    sources: list[Source] | None = None
    starts: list[int] = []
    errors: list[ConfigError] = []
    while not loader.check_event(ev.MappingEndEvent):
        key = loader.compose_node(None, None)
        if not (isinstance(key, yaml.ScalarNode) and key.value == "sources"):
            pairs.append((key, loader.compose_node(None, None)))
            continue
        if sources is not None or not loader.check_event(ev.SequenceStartEvent):
            return None  # a second `sources:`, or not a list: the general way says so
        loader.get_event()
        sources = []
        while not loader.check_event(ev.SequenceEndEvent):
            node = loader.compose_node(None, None)
            first = node.start_mark.line + 1
            starts.append(node.start_mark.line)
            last = node.end_mark.line
            entry = loader.construct_document(node)
            try:
                sources.append(Source.model_validate(entry))
            except ValidationError as e:
                errors += _errors(e, path, functools.partial(walk, entry, line=first))
        loader.get_event()
    end = loader.get_event()
    loader.get_event()  # document end
    if not loader.check_event(ev.StreamEndEvent):
        return None  # several documents: the general way refuses them with their line
    root = yaml.MappingNode(
        "tag:yaml.org,2002:map", pairs, start_mark=start.start_mark, end_mark=end.end_mark
    )
    top = loader.construct_document(root)
    try:
        head = SourcesFile.model_validate({**top, "sources": []})
    except ValidationError as e:
        errors += _errors(e, path, functools.partial(walk, top, line=1))
        head = SourcesFile()
    if errors:
        raise ConfigErrors(errors)
    # each entry ends where the next starts; the last where its node ends
    ends = [*(n - 1 for n in starts[1:]), last] if starts else []
    return head.model_copy(update={"sources": sources or []}), tuple(zip(starts, ends, strict=True))


def _errors(
    e: ValidationError, path: Path, line_of: Callable[[Loc], int | None]
) -> list[ConfigError]:
    out = []
    for err in e.errors():
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        out.append(ConfigError(_describe(err), file=str(path), line=line_of(loc)))
    return out


def _describe(err: Any) -> str:
    kind = err["type"]
    loc = err["loc"]
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    return f"{key}: {msg}" if key and not msg.startswith(key) else msg


def validate(doc: Located, model: type[M]) -> M:
    try:
        # LineMap and LineList are a dict and a list: pydantic takes them as they are.
        return model.model_validate(doc.data)
    except RecursionError as e:
        raise too_deep(doc.text, doc.path) from e
    except ValidationError as e:
        # Pydantic appends the union member or validator name; drop what YAML does not have.
        raise ConfigErrors(_errors(e, doc.path, doc.line)) from e


def _check_selector(sel: str | None) -> str | None:
    if not sel:
        return None
    css = sel.split("@", 1)[0].strip()
    if not css:
        return None  # "@href" alone means: this attribute of the item itself
    try:
        LexborHTMLParser("<html></html>").css(css)
    except SelectolaxError:
        return f"selector {sel!r} does not parse as CSS"
    return None


# Duplicate ids reported one by one, the rest counted: a generated file repeating one id 120k
# times is one mistake, not 120k lines to read.
MAX_REPEATS = 20


def cross_check(cfg: Config) -> list[ConfigError]:
    """What no single file can know: departments named elsewhere, selectors that parse."""
    errors: list[ConfigError] = []
    groups: tuple[tuple[str, str, list[str], str], ...] = (
        (SOURCES, "sources", [s.id for s in cfg.sources.sources], "source"),
        (KEYWORDS, "topics", [t.id for t in cfg.keywords.topics], "topic"),
        (SETTINGS, "departments", [d.id for d in cfg.settings.departments], "department"),
    )
    for file, key, ids, what in groups:
        seen: set[str] = set()
        repeats = []
        for i, item_id in enumerate(ids):
            if item_id in seen:
                repeats.append(i)
            seen.add(item_id)
        for i in repeats[:MAX_REPEATS]:
            errors.append(cfg.error(file, (key, i, "id"), f"duplicate {what} id {ids[i]!r}"))
        if len(repeats) > MAX_REPEATS:
            more = len(repeats) - MAX_REPEATS
            msg = f"and {more:,} more duplicate {what} ids after this line"
            errors.append(cfg.error(file, (key, repeats[MAX_REPEATS - 1], "id"), msg))
    leads = [i for i, d in enumerate(cfg.settings.departments) if d.lead]
    for i in leads[1:]:
        errors.append(
            cfg.error(
                SETTINGS,
                ("departments", i, "lead"),
                "only one department may be the lead office (lead: true)",
            )
        )
    departments = {d.id for d in cfg.settings.departments}
    for i, topic in enumerate(cfg.keywords.topics):
        if topic.department not in departments:
            errors.append(
                cfg.error(
                    KEYWORDS,
                    ("topics", i, "department"),
                    f"topic {topic.id!r} names department {topic.department!r}, "
                    f"which sentinel.yaml does not define",
                )
            )
    for i, src in enumerate(cfg.sources.sources):
        if src.department and src.department not in departments:
            errors.append(
                cfg.error(
                    SOURCES,
                    ("sources", i, "department"),
                    f"source {src.id!r} names department {src.department!r}, "
                    f"which sentinel.yaml does not define",
                )
            )
        for group, sels in (("selectors", src.selectors), ("detail", src.detail)):
            if sels is None:
                continue
            for name, value in sels.model_dump().items():
                problem = _check_selector(value)
                if problem:
                    errors.append(cfg.error(SOURCES, ("sources", i, group, name), problem))
    return errors


# ------------------------------------------------------------------------------------- rsshub
# Here rather than in sources/: the loader turns a route into the source's url, and config sits
# below sources in the layers. sources.rsshub re-exports it.

# Characters a route keeps as they are: path separators, already-escaped bytes, and the
# sub-delimiters RSSHub uses in route parameters (`/weibo/user/123/exclude_rt=1&showAuthor=0`).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def rsshub_url(base: str, route: str) -> str:
    """The feed URL of `route` on the RSSHub instance at `base`.

    The base may sit under a path (`https://host/rsshub/`); non-ASCII route text is
    percent-encoded as UTF-8. A route that would leave the instance (a scheme, `//host`, `..`)
    is refused with ValueError, as is a base that is not an http(s) URL.
    """
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"RSSHub base URL must be http(s)://host[/path], not {base!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"RSSHub base URL takes no query or fragment: {base!r}")
    route = route.strip()
    if not route or route == "/":
        raise ValueError("an RSSHub route is a path such as /tieba/forum/明光")
    if "://" in route or route.startswith("//") or "\\" in route:
        raise ValueError(f"an RSSHub route is a path on the instance, not a URL: {route!r}")
    path, _, query = route.partition("?")
    path = path if path.startswith("/") else "/" + path
    if any(seg in ("..", ".") for seg in path.split("/")):
        raise ValueError(f"an RSSHub route may not climb out of the instance: {route!r}")
    if "#" in path or "#" in query:
        raise ValueError(f"an RSSHub route takes no fragment: {route!r}")
    full = parts.path.rstrip("/") + quote(path, safe=_PATH_SAFE)
    return urlunsplit((parts.scheme, parts.netloc, full, quote(query, safe=_QUERY_SAFE), ""))


def _rsshub_errors(cfg: Config) -> list[ConfigError]:
    """`rsshub:` sources: kind rss, exactly one of url/rsshub, a base URL, a route that resolves."""
    errors: list[ConfigError] = []
    hub = cfg.settings.rsshub
    for i, src in enumerate(cfg.sources.sources):
        at = ("sources", i, "rsshub")
        if src.rsshub is None:
            if src.url is None:
                msg = f"source {src.id!r} needs `url:` (or `rsshub:` with a route)"
                errors.append(cfg.error(SOURCES, ("sources", i), msg))
            continue
        if src.url is not None:
            msg = f"source {src.id!r}: give either `url:` or `rsshub:`, not both"
            errors.append(cfg.error(SOURCES, at, msg))
        if src.kind is not SourceKind.rss:
            msg = f"source {src.id!r}: an rsshub route is a feed, so `kind: rss`"
            errors.append(cfg.error(SOURCES, at, msg))
        if hub is None:
            path, _ = cfg.where(SETTINGS, ())
            msg = f"source {src.id!r} uses rsshub, but {path} sets no `rsshub: {{base_url: ...}}`"
            errors.append(cfg.error(SOURCES, at, msg))
            continue
        try:
            rsshub_url(hub.base_url, src.rsshub)
        except ValueError as e:
            errors.append(cfg.error(SOURCES, at, f"source {src.id!r}: {e}"))
    return errors


def _with_rsshub_urls(cfg: Config) -> Config:
    """The config with every rsshub source's `url` built from its route (checked already)."""
    hub = cfg.settings.rsshub
    if hub is None or not any(s.rsshub for s in cfg.sources.sources):
        return cfg
    sources = [
        (
            s.model_copy(update={"url": AnyHttpUrl(rsshub_url(hub.base_url, s.rsshub))})
            if s.rsshub
            else s
        )
        for s in cfg.sources.sources
    ]
    return replace(cfg, sources=cfg.sources.model_copy(update={"sources": sources}))


def load_config(directory: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate all three files; raise ConfigErrors listing every problem found."""
    base = config_dir(directory)
    errors: list[ConfigError] = []
    docs: dict[str, Located] = {}
    parsed: dict[str, BaseModel] = {}
    for name, model in ((SOURCES, SourcesFile), (KEYWORDS, KeywordsFile), (SETTINGS, SentinelFile)):
        try:
            if model is SourcesFile:
                docs[name], parsed[name] = read_sources(base / name)
                continue
            docs[name] = read_yaml(base / name)
            parsed[name] = validate(docs[name], model)
        except ConfigErrors as e:
            errors.extend(e.errors)
        except ConfigError as e:
            errors.append(e)
    if errors:
        raise ConfigErrors(errors)
    cfg = Config(
        dir=base,
        sources=parsed[SOURCES],  # type: ignore[arg-type]
        keywords=parsed[KEYWORDS],  # type: ignore[arg-type]
        settings=parsed[SETTINGS],  # type: ignore[arg-type]
        docs={name: doc.light() for name, doc in docs.items()},
    )
    errors = cross_check(cfg) + _rsshub_errors(cfg)
    if errors:
        raise ConfigErrors(errors)
    return _with_rsshub_urls(cfg)
