"""Append a source to sources.yaml without losing the operator's comments or layout.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and indentation; it is slow
on very large files, but it runs once per `sentinel sources add`, never in a patrol. The new
file is validated by the same loader the daemon uses before it replaces the old one.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from sentinel.config.loader import KEYWORDS, SETTINGS, SOURCES, Config, load_config
from sentinel.errors import ConfigError, ConfigErrors
from sentinel.sources.check import check


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # long selectors and URLs stay on one line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def append_source(directory: Path, entry: dict[str, Any]) -> Config:
    """Add `entry` to the `sources:` list of directory/sources.yaml; return the loaded result.

    Refuses (ConfigError) an id already present, and any result the loader rejects; the file
    on disk is replaced only by a version that loads.
    """
    path = directory / SOURCES
    y = _yaml()
    try:
        doc = y.load(path.read_text(encoding="utf-8")) if path.exists() else None
    except YAMLError as e:
        raise ConfigError(f"YAML syntax: {e}", file=str(path)) from e
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ConfigError("expected a mapping with a `sources:` list", file=str(path))
    sources = doc.get("sources")
    if sources is None:
        sources = doc["sources"] = CommentedSeq()
    if not isinstance(sources, CommentedSeq):
        raise ConfigError("`sources:` is not a list", file=str(path))
    ids = {s.get("id") for s in sources if isinstance(s, dict)}
    if entry["id"] in ids:
        raise ConfigError(f"a source with id {entry['id']!r} exists already", file=str(path))
    sources.append(CommentedMap(entry))
    out = io.StringIO()
    y.dump(doc, out)
    text = out.getvalue()

    with tempfile.TemporaryDirectory(prefix="sentinel-add-") as tmp:
        trial = Path(tmp)
        for name in (KEYWORDS, SETTINGS):
            if (directory / name).exists():
                shutil.copyfile(directory / name, trial / name)
        (trial / SOURCES).write_text(text, encoding="utf-8")
        try:
            problems = check(load_config(trial))
        except ConfigErrors as e:
            problems = e.errors
        if problems:
            raise ConfigErrors(
                [
                    ConfigError(
                        p.detail, file=p.file.replace(str(trial), str(directory)), line=p.line
                    )
                    for p in problems
                ]
            )
    fd, partial = tempfile.mkstemp(prefix=".sources-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if path.exists():
            shutil.copymode(path, partial)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return load_config(directory)
