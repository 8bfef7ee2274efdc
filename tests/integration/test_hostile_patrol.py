"""A hostile page in a real patrol: the bad item is recorded on the source's health with its URL
and reason; every other item of the page is stored, with values the store can hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import Config, load_config
from sentinel.pipeline import Patrol
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite

LONG_ID = "x" * 3000
# Written by hand: json.dumps cannot write 1e999, and these are what sites send.
HOSTILE_API = (
    '{"data": {"list": ['
    '{"id": 1, "title": "明光年份一", "createTime": "0001-01-01T00:00:00", "replyCount": 1e999},'
    '{"id": 2, "title": "明光\\ud800代理", "createTime": "2026-11-20 14:00",'
    ' "replyCount": 99999999999999999999},'
    f'{{"id": "{LONG_ID}", "title": "太长的链接", "createTime": "2026-11-20 14:00"}},'
    '{"id": 4, "title": "建议增加公交班次", "createTime": "2026-11-20 14:30", "replyCount": 3}'
    "]}}"
)


def with_scouts(cfg: Config, n: int) -> Config:
    http = cfg.settings.http.model_copy(update={"scouts": n})
    settings = cfg.settings.model_copy(update={"http": http})
    return Config(
        dir=cfg.dir, sources=cfg.sources, keywords=cfg.keywords, settings=settings, docs=cfg.docs
    )


@pytest.mark.parametrize("scouts", [0, 1])
async def test_a_hostile_json_page_costs_its_one_bad_item(
    site: LocalSite, tmp_path: Path, db_url: str, scouts: int
) -> None:
    publish(site)
    site.serve("/api/list?page=1", HOSTILE_API, content_type="application/json")
    cfg = with_scouts(load_config(write_config(tmp_path / "cfg", site)), scouts)
    api = [s for s in cfg.sources.sources if s.id == "api"]
    async with await Patrol.open(cfg, database_url=db_url) as patrol:
        report = await patrol.run(api)
        assert report.sources_failed == 0, [r.error for r in report.sources]
        posts = {p.title: p for p in await patrol.store.posts(source_id="api")}
        assert set(posts) == {"明光年份一", "明光\ufffd代理", "建议增加公交班次"}
        assert posts["明光年份一"].published_at is None
        assert posts["明光年份一"].replies is None
        assert posts["明光\ufffd代理"].replies is None
        assert posts["建议增加公交班次"].replies == 3
        (status,) = [s for s in await patrol.store.sources_status() if s.source_id == "api"]
    assert status.health == "ok"
    skipped_url = site.url(f"/board/detail?id={LONG_ID[:100]}")
    assert status.health_reason.startswith(f"1 item(s) skipped: {skipped_url}")
    assert "URL of 3" in status.health_reason
