"""The config loader: a valid configuration survives a round trip through YAML, and any edit
of the shipped files is loaded or refused with ConfigError (file:line), nothing else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.config import load_config
from sentinel.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
FILES = ("sources.yaml", "keywords.yaml", "sentinel.yaml")

IDS = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,12}", fullmatch=True)
WORDS = st.text(
    alphabet=st.sampled_from("明光拆迁补偿欠薪abc xyz-_"), min_size=1, max_size=12
).filter(lambda w: w.strip() == w and w)
HOSTS = st.sampled_from(["bbs.example.cn", "127.0.0.1:8000", "news.example.cn", "a.b.c"])


@st.composite
def configuration(draw: st.DrawFn) -> dict[str, object]:
    departments = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    sources = []
    for sid in draw(st.lists(IDS, max_size=6, unique=True)):
        kind = draw(st.sampled_from(["rss", "html", "json"]))
        src: dict[str, object] = {
            "id": sid,
            "kind": kind,
            "url": f"http://{draw(HOSTS)}/{draw(IDS)}",
            "territorial": draw(st.booleans()),
            "media": draw(st.booleans()),
            "every": draw(st.sampled_from([None, "90s", "10m", "2h", "1d"])),
            "department": draw(st.sampled_from([None, *departments])),
        }
        if kind == "html":
            src["preset"] = draw(st.sampled_from(["discuz", "tieba", "gov_list", "board"]))
        if kind == "json":
            src["fields"] = {"items": "data.list", "link_template": "/d?id={id}"}
        sources.append({k: v for k, v in src.items() if v is not None})
    topics = [
        {
            "id": tid,
            "name": draw(WORDS),
            "department": draw(st.sampled_from(departments)),
            "severity": draw(st.sampled_from(["general", "major", "critical"])),
            "any": draw(st.lists(WORDS, min_size=1, max_size=3)),
        }
        for tid in draw(st.lists(IDS, max_size=4, unique=True))
    ]
    settings_ = {
        "timezone": draw(st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "UTC"])),
        "departments": [
            {"id": d, "name": d.upper(), "lead": i == 0} for i, d in enumerate(departments)
        ],
    }
    return {
        "sources.yaml": {"sources": sources},
        "keywords.yaml": {"region": draw(st.lists(WORDS, max_size=3)), "topics": topics},
        "sentinel.yaml": settings_,
    }


@settings(max_examples=40)
@given(configuration(), st.booleans())
def test_a_valid_configuration_survives_a_round_trip(
    files: dict[str, dict[str, object]], flow: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
            Path(tmp, name).write_text(text, encoding="utf-8")
        cfg = load_config(tmp)
        again = load_config(tmp)
    sources = files["sources.yaml"]["sources"]
    assert [s.id for s in cfg.sources.sources] == [s["id"] for s in sources]  # type: ignore[index, union-attr]
    assert [str(s.url) for s in cfg.sources.sources] == [s["url"] for s in sources]  # type: ignore[index, union-attr]
    assert cfg.sources == again.sources and cfg.keywords == again.keywords
    assert cfg.settings == again.settings
    assert cfg.settings.timezone == files["sentinel.yaml"]["timezone"]


EDITS = st.sampled_from(
    [
        "\f",
        "\x00",
        "\ufffe",
        "[" * 300,
        "{a: " * 100,
        "!!float x",
        "*a",
        "&a ",
        "<<: *a",
        "9999999999d",
        "Asia/Shangai",
        ": :",
        "\t",
        "- ",
        "'",
        '"',
        "\n  - ",
        "?",
        "%",
        "---\n",
    ]
)


@settings(max_examples=60)
@given(
    st.sampled_from(FILES),
    st.lists(st.tuples(st.integers(0, 10_000), EDITS), min_size=1, max_size=4),
)
def test_any_edit_of_the_shipped_files_loads_or_says_where(
    name: str, edits: list[tuple[int, str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for f in FILES:
            shutil.copy(ROOT / f, Path(tmp, f))
        path = Path(tmp, name)
        text = path.read_text(encoding="utf-8")
        for at, edit in edits:
            at %= len(text) + 1
            text = text[:at] + edit + text[at:]
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(tmp)
        except ConfigError as e:
            assert e.render().startswith(tmp)
