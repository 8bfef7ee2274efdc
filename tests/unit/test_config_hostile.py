"""Broken configuration files: each is one `file:line: message`, never a traceback.

The cases a fuzzing run of the loader found (5,500 mutated files); before the fixes each
raised something other than a ConfigError (or took 45 s and 2.7 GB), so `sentinel check`
printed "ok" and a traceback, and a running daemon's reload raised into its tick.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.config.watch import ConfigWatcher
from sentinel.errors import ConfigErrors
from sentinel.sources import load_checked

ROOT = Path(__file__).resolve().parents[2]
FILES = ("sources.yaml", "keywords.yaml", "sentinel.yaml")


def shipped(tmp: Path, name: str, edit: Callable[[bytes], bytes]) -> Path:
    """The shipped configuration, with one file edited."""
    for f in FILES:
        shutil.copy(ROOT / f, tmp / f)
    path = tmp / name
    path.write_bytes(edit(path.read_bytes()))
    return tmp


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(directory)
    return [e.render() for e in info.value.errors]


def swap(old: str, new: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert old.encode() in data
        return data.replace(old.encode(), new.encode(), 1)

    return edit


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("Asia/Shangai", "unknown time zone 'Asia/Shangai'; did you mean 'Asia/Shanghai'?"),
        ("''", "unknown time zone '' (an IANA name such as 'Asia/Shanghai')"),
        ("UTC+8", "unknown time zone 'UTC+8'; did you mean 'UTC'?"),
    ],
)
def test_an_unknown_time_zone_names_the_closest(tmp_path: Path, zone: str, message: str) -> None:
    cfg = shipped(tmp_path, "sentinel.yaml", swap("timezone: Asia/Shanghai", f"timezone: {zone}"))
    assert errors_of(cfg) == [f"{tmp_path / 'sentinel.yaml'}:6: timezone: {message}"]


@pytest.mark.parametrize("char", ["\f", "\x1a", "\x00", "\x7f", "\ufffe"])
@pytest.mark.parametrize("name", FILES)
def test_a_non_printable_character_is_named_with_its_line(
    tmp_path: Path, name: str, char: str
) -> None:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[2] += char.encode("utf-8")
        return b"\n".join(lines)

    (err,) = errors_of(shipped(tmp_path, name, edit))
    code = f"U+{ord(char):04X}"
    assert err == (
        f"{tmp_path / name}:3: a character YAML does not allow ({code}, non-printable): delete it"
    )


def test_a_reload_with_a_form_feed_is_reported_and_the_old_config_kept(tmp_path: Path) -> None:
    directory = shipped(tmp_path, "keywords.yaml", lambda b: b)
    watcher = ConfigWatcher(directory, load=load_checked, watch=False)
    assert watcher.poll() is None
    keywords = directory / "keywords.yaml"
    keywords.write_bytes(keywords.read_bytes().replace(b"topics:", b"topics:\f", 1))
    assert watcher.poll() is None
    assert watcher.last_error is not None and "U+000C" in watcher.last_error


@pytest.mark.parametrize("depth", [300, 998])
def test_deep_nesting_is_refused_with_its_line(tmp_path: Path, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    cfg = shipped(tmp_path, "sentinel.yaml", swap("name: 明光市网络舆情监测", f"name: {nested}"))
    assert errors_of(cfg) == [f"{tmp_path / 'sentinel.yaml'}:5: nested more than 64 levels deep"]


def test_deep_nesting_inside_a_source_is_refused_with_its_line(tmp_path: Path) -> None:
    nested = "[" * 998 + "]" * 998
    cfg = shipped(tmp_path, "sources.yaml", swap("sources:\n", f"sources:\n  - {nested}\n"))
    (err,) = errors_of(cfg)
    assert err.endswith("nested more than 64 levels deep") and ":41:" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!float x", "float value 'x': could not convert string to float: 'x'"),
        ("!!timestamp 2026-13-45", "timestamp value '2026-13-45': month must be in 1..12"),
        # found by `python -m fuzz`: PyYAML raised AttributeError on a timestamp it cannot read
        ("!!timestamp x", "timestamp value 'x': not a timestamp"),
    ],
)
def test_a_tag_whose_value_does_not_convert(tmp_path: Path, value: str, message: str) -> None:
    cfg = shipped(tmp_path, "sentinel.yaml", swap("name: 明光市网络舆情监测", f"name: {value}"))
    assert errors_of(cfg) == [f"{tmp_path / 'sentinel.yaml'}:5: {message}"]


@pytest.mark.parametrize("every", ["9999999999d", "99999999d", "1e999"])
def test_a_duration_past_any_date_is_refused(tmp_path: Path, every: str) -> None:
    cfg = shipped(
        tmp_path,
        "sources.yaml",
        swap("  - id: mg-bbs-zatan\n", "  - id: mg-bbs-zatan\n    every: " + every + "\n"),
    )
    (err,) = errors_of(cfg)
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:43: every: not a duration")


def test_a_directory_named_like_the_file(tmp_path: Path) -> None:
    for f in FILES:
        shutil.copy(ROOT / f, tmp_path / f)
    (tmp_path / "sources.yaml").unlink()
    (tmp_path / "sources.yaml").mkdir()
    assert errors_of(tmp_path) == [f"{tmp_path / 'sources.yaml'}: cannot read it: Is a directory"]


LOL = 'lol0: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"lol{i}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9)}]\n" for i in range(1, 9)
)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    bomb = LOL + "severity: *i\n"
    (err,) = errors_of(shipped(tmp_path, "keywords.yaml", lambda b: bomb.encode() + b))
    # nine levels of nine references each: a billion values from the file's 181 written ones
    assert err == (
        f"{tmp_path / 'keywords.yaml'}:1: aliases expand this document to 926,177,267 values"
        " (written: 181)"
    )


def test_30k_repeats_of_one_id_are_one_mistake(tmp_path: Path) -> None:
    entries = "".join("  - {id: same, kind: rss, url: http://a.cn/f}\n" for _ in range(30_000))
    cfg = shipped(tmp_path, "sources.yaml", lambda b: b"sources:\n" + entries.encode())
    errors = errors_of(cfg)
    path = tmp_path / "sources.yaml"
    assert errors[0] == f"{path}:3: duplicate source id 'same'"
    assert errors[-1] == f"{path}:22: and 29,979 more duplicate source ids after this line"
    assert len(errors) == 21


def test_a_merge_key_is_overridden_by_the_mapping_s_own_keys(tmp_path: Path) -> None:
    forum = (
        "sources:\n"
        "  - &forum\n"
        "    id: first\n"
        "    kind: html\n"
        "    preset: discuz\n"
        "    url: http://bbs.example.cn/forum-1-1.html\n"
        "  - <<: *forum\n"
        "    id: second\n"
        "    url: http://bbs.example.cn/forum-2-1.html\n"
        "    media: true\n"
    )
    cfg = load_config(shipped(tmp_path, "sources.yaml", lambda b: forum.encode()))
    first, second = cfg.sources.sources
    assert (second.id, second.kind, second.preset, second.media) == (
        "second",
        "html",
        "discuz",
        True,
    )
    assert str(second.url).endswith("forum-2-1.html") and not first.media


def test_two_equal_own_keys_are_still_a_duplicate_beside_a_merge(tmp_path: Path) -> None:
    text = (
        "sources:\n  - &f {id: a, kind: rss, url: http://a.cn/f}\n"
        "  - <<: *f\n    id: b\n    id: c\n"
    )
    (err,) = errors_of(shipped(tmp_path, "sources.yaml", lambda b: text.encode()))
    assert err == f"{tmp_path / 'sources.yaml'}:5: duplicate key 'id'"


def test_text_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    cfg = shipped(tmp_path, "keywords.yaml", swap("topics:", "# caf\xe9\ntopics:"))
    cfg.joinpath("keywords.yaml").write_bytes(
        cfg.joinpath("keywords.yaml").read_bytes().replace("caf\xe9".encode(), b"caf\xe9")
    )
    (err,) = errors_of(cfg)
    line = (ROOT / "keywords.yaml").read_bytes().split(b"topics:")[0].count(b"\n") + 1
    assert err.startswith(f"{tmp_path / 'keywords.yaml'}:{line}: not UTF-8 text")
