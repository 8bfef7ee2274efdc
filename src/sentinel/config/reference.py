"""The settings reference (docs/settings.md), generated from the configuration models.

`python -m sentinel.config.reference > docs/settings.md` (or `make settings-reference`); a test
fails when the page in the repository differs from what the models say, so it cannot drift.
"""

from __future__ import annotations

import enum
import sys
import types
import typing
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sentinel.config.models import KeywordsFile, SentinelFile, SourcesFile

FILES: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("sources.yaml", SourcesFile, "What to patrol: one entry per site, feed or list API."),
    ("keywords.yaml", KeywordsFile, "What to look for: region words, topics and their words."),
    (
        "sentinel.yaml",
        SentinelFile,
        "The office: departments, HTTP, matching, clustering, workflow, notification, desk.",
    ),
)

HEAD = """\
# Settings reference

Every field of the three configuration files, generated from the models that validate them
(`make settings-reference` writes this page; a test fails when it is out of date). A field
marked *required* must be given; every other has the default shown. Durations take `90s`,
`10m`, `2h`, `3d` or a number of seconds. A value written `{env: NAME}` is read from the
environment variable NAME when it is used (secrets never sit in the files).
`[]` after a name stands for each entry of a list, `.<key>` for each key of a mapping.
"""


def _models(tp: Any) -> list[type[BaseModel]]:
    """The models inside a field's type (list[Model], Model | None, dict[str, Model]...)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models(arg)]


def _container(tp: Any) -> str:
    """`[]` for a list of models, `.<key>` for a mapping to models, "" otherwise."""
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        return "[]"
    if origin is dict:
        return ".<key>"
    return ""


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_name(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(tp))
    if origin is list:
        return f"list of {type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        key, value = typing.get_args(tp)
        return f"map of {type_name(key)} to {type_name(value)}"
    if tp is type(None):
        return "null"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in tp)
    if tp is timedelta:
        return "duration"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "{env: NAME}" if tp.__name__ == "EnvRef" else "mapping (below)"
    name = getattr(tp, "__name__", str(tp))
    return {
        "AnyHttpUrl": "URL",
        "str": "text",
        "int": "integer",
        "float": "number",
        "IPvAnyNetwork": "address or network",
    }.get(name, name)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "*required*"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see below)"
    else:
        value = info.default
    if value is PydanticUndefined:
        return ""
    return f"`{_show(value)}`"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if value == "":
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(path, type, default, description) for every field, nested models after their parent."""
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}{key}"
        tp = info.annotation
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        yield path, type_name(tp), _default(info), description
        for sub in _models(tp):
            if sub.__name__ != "EnvRef":
                nested.append((path + _container(tp) + ".", sub))
    for path, sub in nested:
        yield from rows(sub, path)


def render() -> str:
    out = [HEAD]
    for file, model, what in FILES:
        out.append(f"\n## {file}\n\n{what}\n")
        out.append("| field | type | default | what it is |")
        out.append("|---|---|---|---|")
        out.extend(f"| `{p}` | {t} | {d} | {w} |" for p, t, d, w in rows(model))
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
