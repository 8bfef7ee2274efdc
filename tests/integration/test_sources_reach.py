"""rsshub routes, per-source headers/cookies from the environment, detail pages on the source's
own site, and `sentinel sources add` — against a real local site and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.pipeline import Patrol, try_source
from tests.cli_kit import invoke
from tests.fixtures.sites import KEYWORDS, SENTINEL, publish, write_config
from tests.servers import LocalSite

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>明光吧</title><link>https://tieba.baidu.com/f?kw=明光</link>
<item><title>女山湖镇强拆农户房屋，补偿款至今未到位</title>
<link>https://tieba.baidu.com/p/9001</link><description>强拆</description>
<pubDate>Fri, 20 Nov 2026 06:00:00 +0000</pubDate></item>
<item><title>明光今天下雪了</title><link>https://tieba.baidu.com/p/9002</link>
<pubDate>Fri, 20 Nov 2026 07:00:00 +0000</pubDate></item>
</channel></rss>"""


def config(directory: Path, sources: str, settings: str = SENTINEL) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(sources, encoding="utf-8")
    (directory / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (directory / "sentinel.yaml").write_text(settings, encoding="utf-8")
    return directory


async def test_rsshub_route_is_patrolled_on_the_instance(site: LocalSite, tmp_path: Path) -> None:
    # aiohttp hands the handler the decoded path: the request is /tieba/forum/%E6%98%8E%E5%85%89
    site.serve("/tieba/forum/明光", RSS, content_type="application/rss+xml")
    sources = """\
sources:
  - id: mg-tieba
    kind: rss
    rsshub: /tieba/forum/明光
    allow_private: true
    politeness: {rate: 100, robots: false}
"""
    settings = SENTINEL + f"rsshub:\n  base_url: {site.base}\n"
    cfg = load_config(config(tmp_path / "cfg", sources, settings))
    async with await Patrol.open(
        cfg, database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    ) as patrol:
        report = await patrol.run()
        assert report.sources_failed == 0, [r.error for r in report.sources]
        posts = await patrol.store.posts(source_id="mg-tieba")
    assert {p.url for p in posts} == {
        "https://tieba.baidu.com/p/9001",
        "https://tieba.baidu.com/p/9002",
    }
    assert [p for p, _ in site.requests()] == ["/tieba/forum/%E6%98%8E%E5%85%89"]


LIST = """<html><body><ul class="list">
<li><a href="/own/1.html">明光市召开安全生产工作会议</a><span>2026-11-20</span></li>
<li><a href="http://localhost:{port}/off/2.html">管店镇垃圾成堆</a><span>2026-11-20</span></li>
</ul></body></html>"""


def reach_sources(base: str) -> str:
    return f"""\
sources:
  - id: portal
    kind: html
    url: {base}/own/list.html
    allow_private: true
    politeness: {{rate: 100, robots: false}}
    selectors: {{item: "ul.list li", title: "a", date: "span"}}
    detail: {{body: "div.text"}}
    headers:
      X-Token: {{env: SENTINEL_T_TOKEN}}
    cookies:
      sid: {{env: SENTINEL_T_SID}}
  - id: other
    kind: html
    url: {base}/own/list.html?copy=1
    allow_private: true
    politeness: {{rate: 100, robots: false}}
    selectors: {{item: "ul.list li", title: "a", date: "span"}}
"""


async def test_reach_and_detail_pages_only_on_the_own_site(
    site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.serve("/own/list.html", LIST.format(port=site.port), content_type="text/html")
    site.serve("/own/1.html", '<div class="text">会议全文</div>', content_type="text/html")
    site.serve("/off/2.html", '<div class="text">别处</div>', content_type="text/html")
    cfg = load_config(config(tmp_path / "cfg", reach_sources(site.base)))
    db = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    # A missing variable fails that source alone, naming it and the variable.
    monkeypatch.setenv("SENTINEL_T_TOKEN", "t0k")
    monkeypatch.delenv("SENTINEL_T_SID", raising=False)
    async with await Patrol.open(cfg, database_url=db) as patrol:
        report = await patrol.run()
    failed = {r.source_id: r.error for r in report.sources if not r.ok}
    assert list(failed) == ["portal"]
    assert "SENTINEL_T_SID" in str(failed["portal"]) and "'portal'" in str(failed["portal"])

    monkeypatch.setenv("SENTINEL_T_SID", "s1d")
    async with await Patrol.open(cfg, database_url=db) as patrol:
        report = await patrol.run()
        assert report.sources_failed == 0, [r.error for r in report.sources]
        posts = {p.title: p for p in await patrol.store.posts(source_id="portal")}
    (listed,) = [h for p, h in site.requests() if p == "/own/list.html"]
    assert listed["x-token"] == "t0k" and listed["cookie"] == "sid=s1d"
    (detail,) = [h for p, h in site.requests() if p == "/own/1.html"]
    assert detail["x-token"] == "t0k"
    assert site.hits("/off/2.html") == 0  # another host: not fetched, post kept from the list
    assert set(posts) == {"明光市召开安全生产工作会议", "管店镇垃圾成堆"}

    # `sentinel try` keeps to the same rule.
    portal = next(s for s in cfg.sources.sources if s.id == "portal")
    tried = await try_source(cfg, portal)
    assert len(tried.posts) == 2 and site.hits("/off/2.html") == 0


# ------------------------------------------------------------------------ sentinel sources add


@pytest.fixture
def cfg_dir(site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    publish(site)
    cfg = write_config(tmp_path / "cfg", site)
    text = (cfg / "sources.yaml").read_text(encoding="utf-8")
    text = "# 本县监测源 — keep this comment\n" + text.replace(
        "  - id: portal\n", "  # 政府门户, checked weekly\n  - id: portal\n"
    )
    (cfg / "sources.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("SENTINEL_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("SENTINEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    return cfg


def test_sources_add_keeps_comments_and_loads(site: LocalSite, cfg_dir: Path) -> None:
    url = site.url("/bbs/forum-2-1.html")
    code, out, err = invoke(
        "sources", "add", url, "--preset", "discuz", "--id", "mg-new", "--name", "新论坛",
        "--territorial", "--department", "town", "--allow-private",
    )  # fmt: skip
    assert code == 0, err
    assert "女山湖镇强拆农户房屋" in out and "added source 'mg-new'" in out
    text = (cfg_dir / "sources.yaml").read_text(encoding="utf-8")
    assert text.startswith("# 本县监测源 — keep this comment\n")
    assert "  # 政府门户, checked weekly\n  - id: portal\n" in text
    (src,) = [s for s in load_config(cfg_dir).sources.sources if s.id == "mg-new"]
    assert (src.preset, str(src.url), src.territorial, src.department, src.name) == (
        "discuz",
        url,
        True,
        "town",
        "新论坛",
    )

    before = (cfg_dir / "sources.yaml").read_text(encoding="utf-8")
    code, _, err = invoke("sources", "add", url, "--preset", "discuz", "--id", "mg-new")
    assert code == 2 and "exists already" in err
    assert (cfg_dir / "sources.yaml").read_text(encoding="utf-8") == before


def test_sources_add_refuses_a_page_the_preset_cannot_read(site: LocalSite, cfg_dir: Path) -> None:
    site.serve("/blank.html", "<html><body><p>nothing here</p></body></html>")
    url = site.url("/blank.html")
    before = (cfg_dir / "sources.yaml").read_text(encoding="utf-8")
    args = ("sources", "add", url, "--preset", "discuz", "--id", "blank", "--allow-private")
    code, _, err = invoke(*args)
    assert code == 1 and "found no items" in err
    assert (cfg_dir / "sources.yaml").read_text(encoding="utf-8") == before
    code, _, err = invoke(*args, "--yes")
    assert code == 0, err
    assert "blank" in {s.id for s in load_config(cfg_dir).sources.sources}
