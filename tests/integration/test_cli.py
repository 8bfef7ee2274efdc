"""The `sentinel` command against a local site and a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_kit import invoke
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite


@pytest.fixture
def env(site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    publish(site)
    cfg = write_config(tmp_path / "cfg", site)
    monkeypatch.setenv("SENTINEL_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("SENTINEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    return cfg


def test_check_ok_and_errors(env: Path) -> None:
    code, out, _ = invoke("check")
    assert code == 0 and out.startswith("ok: 5 sources, 5 topics, 6 departments")
    text = (env / "keywords.yaml").read_text(encoding="utf-8")
    (env / "keywords.yaml").write_text(text.replace("department: rlsb", "department: nobody"))
    code, _, err = invoke("check")
    assert code == 1
    assert f"{env / 'keywords.yaml'}:12: topic 'wages' names department 'nobody'" in err


def test_try_writes_nothing(env: Path, tmp_path: Path) -> None:
    code, out, err = invoke("try", "forum", "--json")
    assert code == 0, err
    data = json.loads(out)
    titles = [p["title"] for p in data["posts"]]
    assert len(titles) == 6 and titles[0] == "女山湖镇强拆农户房屋，补偿款至今未到位"
    first = data["posts"][0]
    assert (first["replies"], first["views"]) == (35, 1200)
    assert first["hits"] == [{"topic": "land", "words": ["强拆", "补偿款"], "region": ["女山湖镇"]}]
    assert all(p["new"] for p in data["posts"])
    assert not (tmp_path / "db.sqlite").exists()
    code, _, err = invoke("try", "nope")
    assert code == 2 and "no source 'nope'" in err


def test_patrol_then_list(env: Path) -> None:
    code, out, err = invoke("patrol", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["sources_ok"] == 5 and summary["stories_new"] == 4

    code, out, _ = invoke("stories", "list", "--json")
    stories = json.loads(out)
    assert sorted(s["topic"] for s in stories) == ["fees", "land", "living", "wages"]
    land = next(s for s in stories if s["topic"] == "land")
    assert land["department"] == "zrzy" and land["severity"] == "major"
    assert sorted(p["source_id"] for p in land["posts"]) == ["forum", "tw"]
    assert {"id", "title", "first_seen_at", "words", "posts"} <= set(land)
    forum_post = next(p for p in land["posts"] if p["source_id"] == "forum")
    assert forum_post["replies"] == 35
    assert forum_post["published_at"] == "2026-11-20T01:12:00+00:00"

    code, out, _ = invoke("posts", "list", "--source", "feed", "--json")
    assert len(json.loads(out)) == 3

    code, out, _ = invoke("sources", "status", "--json")
    status = {s["id"]: s for s in json.loads(out)}
    assert status["forum"]["last_status"] == 200 and status["forum"]["items_last"] == 6
    assert status["forum"]["consecutive_failures"] == 0

    code, out, _ = invoke("patrol", "--source", "forum", "--json")
    assert json.loads(out)["posts_new"] == 0
    code, _, err = invoke("patrol", "--source", "ghost")
    assert code == 2 and "ghost" in err


def test_a_patrol_that_reads_nothing_fails_with_one_line(env: Path, site: LocalSite) -> None:
    from tests.fixtures.sites import FAULTS

    entry = "  - id: {}\n    kind: rss\n    url: {}\n    allow_private: true\n"
    broken = "".join(entry.format(sid, site.url(FAULTS[sid])) for sid in ("e500", "loop", "robots"))
    good = (env / "sources.yaml").read_text(encoding="utf-8")
    (env / "sources.yaml").write_text("sources:\n" + broken, encoding="utf-8")
    code, out, err = invoke("patrol")
    assert code == 1
    line = err.strip().splitlines()[-1]  # after the log lines of each failure
    assert line.startswith("patrol: nothing could be read: all 3 sources failed (")
    assert "robots_disallowed" in line and "http_status_error" in line
    assert "sources ok 0, failed 3" in out
    code, out, err = invoke("patrol", "--json")
    assert code == 1 and json.loads(out)["sources_ok"] == 0

    # some read, some not: a normal patrol, exit 0; a repeat reports the feed's 304
    (env / "sources.yaml").write_text(good + broken, encoding="utf-8")
    code, out, err = invoke("patrol", "--json")
    assert code == 0, err
    assert json.loads(out)["sources_failed"] == 3
    code, out, _ = invoke("patrol", "--source", "feed", "--json")
    summary = json.loads(out)
    assert (summary["pages"], summary["not_modified"]) == (1, 1)


def test_sources_status_shows_health_with_its_reason_and_since_when(
    env: Path, site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (env / "sources.yaml").read_text(encoding="utf-8")
    # the portal's article pages changed: the detail selector matches nothing any more
    text = text.replace('detail: {body: "div.article-content"}', 'detail: {body: "div.gone"}')
    text += f"  - id: robots\n    kind: rss\n    url: {site.url('/private/list.html')}\n"
    text += "    allow_private: true\n"
    (env / "sources.yaml").write_text(text, encoding="utf-8")
    code, _, err = invoke("patrol")
    assert code == 0, err
    code, out, _ = invoke("sources", "status", "--json")
    status = {s["id"]: s for s in json.loads(out)}
    portal = status["portal"]
    assert portal["health"] == "broken_layout" and portal["items_last"] == 3
    assert portal["health_reason"].startswith("detail pages give no body (3 read")
    assert portal["health_since"] is not None
    assert (status["robots"]["health"], status["robots"]["health_reason"]) == (
        "blocked",
        "robots.txt disallows it",
    )
    assert status["forum"]["health"] == "ok" and status["forum"]["health_since"] is None
    code, out, _ = invoke("sources", "status")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "broken_layout" in rows["portal"] and "detail pages give no body" in rows["portal"]
    assert "blocked" in rows["robots"] and "robots.txt disallows it" in rows["robots"]


def test_a_gbk_forum_served_as_iso_8859_1_reads_as_chinese(env: Path, site: LocalSite) -> None:
    from tests.fixtures.sites import FORUM_ROWS, forum_page

    # a common server misconfiguration: GBK bytes, `charset=ISO-8859-1` in the header
    site.serve("/bbs/forum-2-1.html", forum_page(), content_type="text/html; charset=ISO-8859-1")
    code, out, err = invoke("try", "forum", "--json")
    assert code == 0, err
    titles = [p["title"] for p in json.loads(out)["posts"]]
    assert titles == [title for _, title, *_ in FORUM_ROWS]
    code, out, err = invoke("patrol", "--source", "forum", "--json")
    assert code == 0 and json.loads(out)["stories_new"] >= 1  # matching works on the titles
