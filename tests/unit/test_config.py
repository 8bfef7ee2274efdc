"""Configuration: the shipped examples validate; every error names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.errors import ConfigErrors

ROOT = Path(__file__).resolve().parents[2]

SENTINEL = """\
departments:
  - id: lead
    name: 牵头单位
    lead: true
  - id: land
    name: 自然资源局
"""

KEYWORDS = """\
region: [明光]
topics:
  - id: land
    name: 征地拆迁
    department: land
    any: [拆迁]
"""

SOURCES = """\
sources:
  - id: bbs
    kind: html
    url: http://127.0.0.1:8000/forum
    selectors:
      item: tbody
      title: a.xst
"""


def write(tmp: Path, **files: str) -> Path:
    contents = {"sources": SOURCES, "keywords": KEYWORDS, "sentinel": SENTINEL} | files
    for name, text in contents.items():
        (tmp / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp


def errors_of(tmp: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp)
    return [e.render() for e in info.value.errors]


def test_shipped_examples_validate() -> None:
    cfg = load_config(ROOT)
    assert {s.id for s in cfg.sources.sources} >= {"mg-bbs-zatan", "mg-gov-news", "mg-liuyan"}
    names = {t.name for t in cfg.keywords.topics}
    assert {"征地拆迁", "欠薪", "环境污染", "人居环境", "教育收费", "突发事件"} <= names
    assert cfg.settings.lead_department is not None


def test_minimal_config_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path))
    assert cfg.sources.sources[0].id == "bbs"
    assert cfg.keywords.topics[0].department == "land"


def test_config_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path)
    monkeypatch.setenv("SENTINEL_CONFIG_DIR", str(tmp_path))
    assert load_config().dir == tmp_path


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    bad = SOURCES.replace("    kind: html\n", "    kind: html\n    colour: red\n")
    errs = errors_of(write(tmp_path, sources=bad))
    assert errs == [f"{tmp_path / 'sources.yaml'}:4: unknown key 'colour'"]


def test_bad_url(tmp_path: Path) -> None:
    bad = SOURCES.replace("http://127.0.0.1:8000/forum", "not a url")
    (err,) = errors_of(write(tmp_path, sources=bad))
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:4: url:")


def test_duplicate_source_id(tmp_path: Path) -> None:
    two = SOURCES + SOURCES.split("sources:\n", 1)[1]
    (err,) = errors_of(write(tmp_path, sources=two))
    assert err == f"{tmp_path / 'sources.yaml'}:8: duplicate source id 'bbs'"


def test_topic_naming_unknown_department(tmp_path: Path) -> None:
    bad = KEYWORDS.replace("department: land", "department: nowhere")
    (err,) = errors_of(write(tmp_path, keywords=bad))
    assert err == (
        f"{tmp_path / 'keywords.yaml'}:5: topic 'land' names department 'nowhere', "
        "which sentinel.yaml does not define"
    )


def test_selector_that_does_not_parse(tmp_path: Path) -> None:
    bad = SOURCES.replace("title: a.xst", "title: 'p >> a'")
    (err,) = errors_of(write(tmp_path, sources=bad))
    assert err == f"{tmp_path / 'sources.yaml'}:7: selector 'p >> a' does not parse as CSS"


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    (err,) = errors_of(write(tmp_path, keywords="region: [明光\ntopics: []\n"))
    assert err.startswith(f"{tmp_path / 'keywords.yaml'}:")
    assert "YAML syntax" in err


def test_missing_file(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "keywords.yaml").unlink()
    (err,) = errors_of(tmp_path)
    assert err == f"{tmp_path / 'keywords.yaml'}: file not found"


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    bad_src = SOURCES.replace("    kind: html\n", "    kind: gopher\n")
    bad_set = SENTINEL.replace("    name: 自然资源局\n", "    name: 自然资源局\n    lead: true\n")
    errs = errors_of(write(tmp_path, sources=bad_src, sentinel=bad_set))
    assert errs[0] == (
        f"{tmp_path / 'sources.yaml'}:3: kind: Input should be 'rss', 'html' or 'json'"
    )
    # The cross-file checks run once every file parses; the syntax error is reported first.
    assert len(errs) == 1
    errs = errors_of(write(tmp_path, sentinel=bad_set))
    assert errs == [
        f"{tmp_path / 'sentinel.yaml'}:7: only one department may be the lead office (lead: true)"
    ]


def test_durations_and_encoding(tmp_path: Path) -> None:
    extra = SOURCES + "    every: 10m\n    encoding: gbk\n"
    cfg = load_config(write(tmp_path, sources=extra))
    src = cfg.sources.sources[0]
    assert src.every is not None and src.every.total_seconds() == 600
    bad = SOURCES + "    encoding: klingon\n"
    (err,) = errors_of(write(tmp_path, sources=bad))
    assert "sources.yaml:8:" in err and "unknown encoding 'klingon'" in err


def test_duplicate_key_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    text = SOURCES.replace("    kind: html\n", "    kind: html\n    kind: rss\n")
    (err,) = errors_of(write(tmp_path, sources=text))
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:4:")
    assert "duplicate key 'kind'" in err


def test_lines_are_found_deep_in_a_long_file(tmp_path: Path) -> None:
    entry = "  - {{id: s{n}, kind: rss, url: 'http://127.0.0.1:8000/{n}.xml'}}\n"
    body = "".join(entry.format(n=n) for n in range(300))
    body += "  - {id: s7, kind: rss, url: 'http://127.0.0.1:8000/x.xml'}\n"
    (err,) = errors_of(write(tmp_path, sources="sources:\n" + body))
    assert err == f"{tmp_path / 'sources.yaml'}:302: duplicate source id 's7'"


def test_sources_read_one_entry_at_a_time_equal_the_general_reading(tmp_path: Path) -> None:
    from sentinel.config.loader import read_sources, read_yaml, validate
    from sentinel.config.models import SourcesFile

    for path in (ROOT / "sources.yaml", write(tmp_path) / "sources.yaml"):
        _, streamed = read_sources(path)
        assert streamed == validate(read_yaml(path), SourcesFile)
        assert streamed.sources


def test_sources_shapes_the_stream_does_not_take_are_still_checked(tmp_path: Path) -> None:
    twice = SOURCES + "sources: []\n"
    (err,) = errors_of(write(tmp_path, sources=twice))
    assert "duplicate key 'sources'" in err and err.startswith(f"{tmp_path / 'sources.yaml'}:8:")
    (err,) = errors_of(write(tmp_path, sources="sources: {a: 1}\n"))
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:1:")
    bad_default = "defaults:\n  politeness: {rate: -1}\n" + SOURCES
    (err,) = errors_of(write(tmp_path, sources=bad_default))
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:2:") and "rate" in err


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    good = SENTINEL + "web:\n  trusted_proxies: [10.0.0.7, 192.168.8.0/24, '::1']\n"
    cfg = load_config(write(tmp_path, sentinel=good))
    assert [str(n) for n in cfg.settings.web.trusted_proxies] == [
        "10.0.0.7/32",
        "192.168.8.0/24",
        "::1/128",
    ]
    assert load_config(write(tmp_path)).settings.web.trusted_proxies == []  # none by default
    bad = SENTINEL + "web:\n  trusted_proxies:\n    - proxy.example.cn\n"
    (err,) = errors_of(write(tmp_path, sentinel=bad))
    where = tmp_path / "sentinel.yaml"
    assert err == f"{where}:9: trusted_proxies: value is not a valid IPv4 or IPv6 network"
