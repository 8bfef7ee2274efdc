"""ConfigWatcher: a changed file is reloaded once; a save that changes nothing reloads nothing;
a forced poll compares the contents."""

from __future__ import annotations

import os
from pathlib import Path

from sentinel.config.watch import ConfigWatcher, files_digest
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


def test_a_forced_poll_sees_an_edit_the_stat_cannot(tmp_path: Path) -> None:
    directory = write_config(tmp_path / "cfg", LocalSite())
    running = load_checked(directory)
    assert running.digest == files_digest(directory)
    watcher = ConfigWatcher(directory, load=load_checked, watch=False)
    keywords = directory / "keywords.yaml"
    before = keywords.stat()
    keywords.write_text(
        keywords.read_text(encoding="utf-8").replace("招聘启事", "广告启事"), encoding="utf-8"
    )
    os.utime(keywords, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert watcher.poll() is None
    cfg = watcher.poll(force=True)
    assert cfg is not None and "广告启事" in cfg.keywords.exclude
    assert cfg.digest == files_digest(directory) != running.digest
    assert watcher.poll(force=True) is None  # loaded once


def test_files_edited_after_the_running_config_was_read_are_loaded_at_the_first_poll(
    tmp_path: Path,
) -> None:
    directory = write_config(tmp_path / "cfg", LocalSite())
    running = load_checked(directory)
    keywords = directory / "keywords.yaml"
    keywords.write_text(
        keywords.read_text(encoding="utf-8").replace("招聘启事", "广告启事"), encoding="utf-8"
    )
    watcher = ConfigWatcher(directory, load=load_checked, watch=False, running=running.digest)
    cfg = watcher.poll()
    assert cfg is not None and "广告启事" in cfg.keywords.exclude
