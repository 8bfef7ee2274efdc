"""YAML read into dicts and lists that remember the line of every key and list item.

libyaml (PyYAML's C loader) parses; the constructors below keep each key's and item's line,
so that pydantic's error locations can be walked back to `file:line` (`Located.line`).
ruamel's round-trip loader keeps lines too, but took 8 s for a sources.yaml of 10,000 sources,
where this takes well under one. What a hostile file could cost is bounded here as well:
aliases by what they expand to, nesting by MAX_DEPTH, and bytes that are not UTF-8 or
characters YAML refuses are errors with their line.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
import yaml.composer

from sentinel.errors import ConfigError


class LineMap(dict[Any, Any]):
    """A YAML mapping that knows the line (1-based) of each of its keys."""

    lines: dict[Any, int]


class LineList(list[Any]):
    """A YAML sequence that knows the line (1-based) of each of its items."""

    lines: list[int]


class LineLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # An alias is written `*name`: a file without a star has none to bound.
        self.aliased = not isinstance(stream, str) or "*" in stream

    def construct_document(self, node: yaml.Node) -> Any:
        if self.aliased:
            bound_aliases(node)
        return super().construct_document(node)


# What aliases may expand a document to, in nodes, beyond twice its own: an alias bomb
# (`severity: *lol8`) is small as written, but pydantic builds its error message from the
# expanded value, and nine levels of nine took 45 s and 2.7 GB.
ALIAS_SLACK = 10_000
# Nesting deeper than this is no configuration; Python's recursion limit is not far below.
MAX_DEPTH = 64


def bound_aliases(root: yaml.Node) -> None:
    """ConstructorError when aliases expand the document past twice its size (+ALIAS_SLACK),
    or when an alias refers to a node that contains it."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        kids = _children(node)
        if done:
            open_.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(k)] for k in kids), 1 << 40)
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias that contains itself", node.start_mark
            )
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    expanded = sizes[id(root)]
    if expanded > 2 * len(sizes) + ALIAS_SLACK:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"aliases expand this document to {expanded:,} values (written: {len(sizes):,})",
            root.start_mark,
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineMap:
    # `<<: *forum` then `media: true`: the merged keys come first and the mapping's own keys
    # override them (YAML's merge key); only two of the mapping's own keys may not be equal.
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged = len(node.value) - own
    out = LineMap()
    out.lines = {}
    for i, (key_node, value_node) in enumerate(node.value):
        key = _construct(loader, key_node)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in out and i >= merged and out.lines[key] >= 0:
            # libyaml keeps the last of two equal keys; an operator's typo must not vanish.
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = _construct(loader, value_node)
        # a merged key's line is where the mapping merges it; -1 marks it as merged
        out.lines[key] = key_node.start_mark.line + 1 if i >= merged else -1
    for key, line in out.lines.items():
        if line < 0:
            out.lines[key] = node.start_mark.line + 1
    return out


def _sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(_construct(loader, child) for child in node.value)
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError, AttributeError, IndexError, KeyError) as e:
        # `!!float x`, `!!timestamp 2026-13-45`, `!!timestamp x` (AttributeError): PyYAML's
        # constructors raise plain errors for a tagged value they cannot convert
        tag = node.tag.rsplit(":", 1)[-1]
        why = str(e) if isinstance(e, ValueError | OverflowError) else f"not a {tag}"
        raise yaml.constructor.ConstructorError(
            None, None, f"{tag} value {_short(node)}: {why}", node.start_mark
        ) from e


def _short(node: yaml.Node) -> str:
    value = node.value if isinstance(node.value, str) else ""
    return repr(value if len(value) <= 40 else value[:40] + "…")


LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _sequence)


@dataclass(frozen=True, kw_only=True)
class Located:
    """A parsed YAML document that can say on which line a path sits.

    Once the configuration is valid, only the text is kept (`light()`): the line-numbered tree
    of a sources.yaml with 10,000 sources is tens of MB, and lines are needed again only for
    the rare error found later, when the text is parsed once more.
    """

    path: Path
    data: Any = None
    text: str = ""
    # Where each entry of `sources:` sits, (first line, last line) 0-based, when the file was
    # read one source at a time: an error in one source parses that entry's lines only, not
    # the whole file (120k duplicate ids took 20 s and 800 MB in building the whole tree).
    entries: tuple[tuple[int, int], ...] = ()

    @functools.cached_property
    def tree(self) -> Any:
        if self.data is not None:
            return self.data
        try:
            return yaml.load(self.text, Loader=LineLoader)
        except yaml.YAMLError:
            return None

    @functools.cached_property
    def _lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    def light(self) -> Located:
        return Located(path=self.path, text=self.text, entries=self.entries)

    def line(self, loc: Sequence[str | int]) -> int | None:
        if (
            self.entries
            and len(loc) >= 2
            and loc[0] == "sources"
            and isinstance(loc[1], int)
            and 0 <= loc[1] < len(self.entries)
            and "tree" not in self.__dict__
        ):
            found = self._entry_line(loc[1], loc[2:])
            if found is not None:
                return found
        return walk(self.tree, loc, line=1)

    def _entry_line(self, index: int, rest: Sequence[str | int]) -> int | None:
        first, last = self.entries[index]
        try:
            part = yaml.load("".join(self._lines[first : last + 1]), Loader=LineLoader)
        except yaml.YAMLError:  # an alias to another entry's anchor, say: the whole file then
            return None
        if not (isinstance(part, LineList) and len(part) == 1 and isinstance(part[0], LineMap)):
            return None
        found = walk(part[0], rest, line=part.lines[0])
        return found + first if found is not None else None


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError("file not found", file=str(path)) from e
    except OSError as e:  # a directory of that name, no permission, …
        raise ConfigError(f"cannot read it: {e.strerror or e}", file=str(path)) from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        bad = data[e.start : e.start + 4].hex(" ")
        msg = f"not UTF-8 text ({e.reason}: bytes {bad}); save the file as UTF-8"
        raise ConfigError(msg, file=str(path), line=line) from e


def syntax_error(e: yaml.YAMLError, path: Path, text: str) -> ConfigError:
    if isinstance(e, yaml.reader.ReaderError):
        # libyaml refuses control characters (form feed, \x1a, \x00, \x7f, U+FFFE)
        # libyaml counts the position in UTF-8 bytes, PyYAML's own reader in characters
        at = int(e.position)
        if yaml.__with_libyaml__:
            line: int | None = text.encode("utf-8", "surrogatepass")[:at].count(b"\n") + 1
        else:
            line = text[:at].count("\n") + 1
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        msg = f"a character YAML does not allow ({char}, non-printable): delete it"
        return ConfigError(msg, file=str(path), line=line)
    if isinstance(e, yaml.constructor.ConstructorError):  # the text parsed; a value did not
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        return ConfigError(str(e.problem or e.context), file=str(path), line=line)
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        return ConfigError(f"YAML syntax: {e.problem or e.context}", file=str(path), line=line)
    return ConfigError(f"YAML: {e}", file=str(path))


def too_deep(text: str, path: Path) -> ConfigError:
    """The line where the document nests deeper than MAX_DEPTH (found with libyaml's events,
    which need no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=LineLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1
                    msg = f"nested more than {MAX_DEPTH} levels deep"
                    return ConfigError(msg, file=str(path), line=line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as e:
        return syntax_error(e, path, text)
    return ConfigError(f"nested too deeply (over {MAX_DEPTH} levels)", file=str(path))


def read_yaml(path: Path) -> Located:
    text = read_text(path)
    try:
        data = yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as e:
        raise syntax_error(e, path, text) from e
    except RecursionError as e:
        raise too_deep(text, path) from e
    return Located(path=path, data=data if data is not None else LineMap(), text=text)


def walk(tree: Any, loc: Sequence[str | int], *, line: int | None) -> int | None:
    node = tree
    for part in loc:
        if isinstance(node, LineMap) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line = node.lines[part]
            node = node[part]
        else:
            break
    return line


class StreamingLoader(yaml.composer.Composer, LineLoader):  # type: ignore[misc]
    """libyaml's events, composed in Python one node at a time (the C composer builds the
    whole document's node graph before anything can be dropped)."""

    def __init__(self, stream: str) -> None:
        LineLoader.__init__(self, stream)  # type: ignore[call-arg]
        yaml.composer.Composer.__init__(self)
