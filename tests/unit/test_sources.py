"""The preset registry: presets are selectors; a source's own selectors win; check names lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from sentinel.config import Config, load_config
from sentinel.config.models import DetailSelectors, Selectors, Source, SourceKind
from sentinel.extract.select import spec
from sentinel.sources import PRESETS, Preset, check, resolve

SENTINEL = """\
departments:
  - {id: lead, name: 牵头单位, lead: true}
"""

KEYWORDS = """\
topics:
  - {id: land, name: 征地拆迁, department: lead, any: [拆迁]}
"""

GOOD = """\
sources:
  - id: bbs
    kind: html
    url: http://127.0.0.1:8000/forum-2-1.html
    preset: discuz
  - id: portal
    kind: html
    url: http://127.0.0.1:8000/list.html
    selectors: {item: "ul li", title: a}
  - id: feed
    kind: rss
    url: http://127.0.0.1:8000/feed.xml
"""


def config_with(tmp: Path, sources: str) -> Config:
    (tmp / "sources.yaml").write_text(sources, encoding="utf-8")
    (tmp / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (tmp / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    return load_config(tmp)


def forum(**kw: Any) -> Source:
    return Source(id="bbs", kind="html", url="http://bbs.example.cn/", **kw)


def test_discuz_preset_is_data_whose_selectors_parse() -> None:
    preset = PRESETS["discuz"]
    assert isinstance(preset, Preset)
    assert preset.kind is SourceKind.html
    assert preset.description
    tree = LexborHTMLParser("<html><body></body></html>")
    for name, value in preset.selectors.model_dump().items():
        if value is not None:
            css = spec(value).css
            assert tree.css(css) == [], name  # parses (an unparsable selector raises)
    assert preset.selectors.item and "normalthread_" in preset.selectors.item


def test_resolve_without_preset_is_unchanged() -> None:
    src = forum(selectors=Selectors(item="li"))
    assert resolve(src) is src
    unknown = forum(preset="nosuch")
    assert resolve(unknown) is unknown


def test_resolve_fills_in_the_preset() -> None:
    src = resolve(forum(preset="discuz"))
    assert src.selectors == PRESETS["discuz"].selectors
    assert src.id == "bbs"
    assert src.preset == "discuz"


def test_own_selectors_override_field_by_field() -> None:
    src = resolve(
        forum(
            preset="discuz",
            selectors=Selectors(title="a.mytitle", body="div.summary"),
            detail=DetailSelectors(body="td.t_f"),
            pages=3,
        )
    )
    base = PRESETS["discuz"].selectors
    assert src.selectors.title == "a.mytitle"
    assert src.selectors.body == "div.summary"
    assert src.selectors.item == base.item
    assert src.selectors.replies == base.replies
    assert src.selectors.next == base.next
    assert src.detail == DetailSelectors(body="td.t_f")
    assert src.pages == 3


def test_check_accepts_a_good_config(tmp_path: Path) -> None:
    assert check(config_with(tmp_path, GOOD)) == []


def test_unknown_preset_names_file_line_and_known_presets(tmp_path: Path) -> None:
    bad = GOOD.replace("preset: discuz", "preset: discus")
    (err,) = check(config_with(tmp_path, bad))
    assert err.file == str(tmp_path / "sources.yaml")
    assert err.line == 5
    assert "unknown preset 'discus'" in err.detail
    assert "discuz" in err.detail
    assert err.render().startswith(f"{tmp_path / 'sources.yaml'}:5: ")


def test_html_source_without_item_selector(tmp_path: Path) -> None:
    bad = GOOD.replace('selectors: {item: "ul li", title: a}', "selectors: {title: a}")
    (err,) = check(config_with(tmp_path, bad))
    assert err.line == 9
    assert "'portal'" in err.detail and "selectors.item" in err.detail


def test_feed_given_html_selectors_or_an_html_preset(tmp_path: Path) -> None:
    bad = GOOD + '    selectors: {item: "li"}\n'
    (err,) = check(config_with(tmp_path, bad))
    assert err.line == 13
    assert "selectors (item) are for html sources, not rss" in err.detail

    bad = GOOD + "    preset: discuz\n"
    (err,) = check(config_with(tmp_path, bad))
    assert err.line == 13
    assert "is for html sources, not rss" in err.detail


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_resolves_for_its_kind(name: str) -> None:
    preset = PRESETS[name]
    src = Source(id="x", kind=preset.kind, url="http://e.cn/", preset=name)
    assert resolve(src).selectors.item
