"""ConfigWatcher: a changed file is reloaded once; a save that changes nothing reloads nothing."""

from __future__ import annotations

import os
from pathlib import Path

from sentinel.config.watch import ConfigWatcher
from sentinel.sources import load_checked
from tests.fixtures.sites import write_config
from tests.servers import LocalSite


def test_only_a_real_change_reloads(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "cfg", LocalSite())
    watcher = ConfigWatcher(directory, load=load_checked, watch=False)
    assert watcher.poll() is None

    # Saved again unchanged (new mtime) and flagged by a late watch event: nothing to load.
    keywords = directory / "keywords.yaml"
    keywords.write_text(keywords.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(keywords, ns=(1, 1))
    watcher.dirty = True
    assert watcher.poll() is None

    keywords.write_text(
        keywords.read_text(encoding="utf-8").replace("[招聘启事]", "[招聘启事, 广告]"),
        encoding="utf-8",
    )
    cfg = watcher.poll()
    assert cfg is not None and "广告" in cfg.keywords.exclude
    watcher.dirty = True  # the watch event for that same write, arriving after the stat check
    assert watcher.poll() is None
