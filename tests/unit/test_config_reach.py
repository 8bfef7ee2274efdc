"""sources.yaml: rsshub routes, per-source proxy/headers/cookies from the environment, hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel.config import load_config
from sentinel.config.models import Source
from sentinel.errors import ConfigError
from sentinel.sources.reach import on_site, reach
from tests.unit.test_config import SENTINEL, errors_of, write

HUB = SENTINEL + "rsshub:\n  base_url: http://10.0.0.5:1200/rsshub/\n"


def rss_source(extra: str) -> str:
    return f"sources:\n  - id: mg-tieba\n    kind: rss\n{extra}"


def test_rsshub_route_becomes_the_url(tmp_path: Path) -> None:
    cfg = load_config(
        write(tmp_path, sentinel=HUB, sources=rss_source("    rsshub: /tieba/forum/明光\n"))
    )
    (src,) = cfg.sources.sources
    assert str(src.url) == "http://10.0.0.5:1200/rsshub/tieba/forum/%E6%98%8E%E5%85%89"
    assert src.list_urls == [str(src.url)]


def test_rsshub_without_base_url_names_sentinel_yaml(tmp_path: Path) -> None:
    write(tmp_path, sources=rss_source("    rsshub: /tieba/forum/明光\n"))
    (err,) = errors_of(tmp_path)
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:4: ")
    assert "sentinel.yaml" in err and "base_url" in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("    rsshub: /a\n    url: http://x.cn/feed\n", "either `url:` or `rsshub:`"),
        ("    rsshub: //evil.example/feed\n", "not a URL"),
        ("    rsshub: /tieba/../../admin\n", "climb out"),
    ],
)
def test_rsshub_errors_point_at_the_rsshub_key(tmp_path: Path, extra: str, needle: str) -> None:
    write(tmp_path, sentinel=HUB, sources=rss_source(extra))
    (err,) = errors_of(tmp_path)
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:4: "), err
    assert needle in err


def test_rsshub_needs_kind_rss(tmp_path: Path) -> None:
    text = "sources:\n  - id: mg\n    kind: html\n    selectors: {item: li}\n    rsshub: /a/b\n"
    write(tmp_path, sentinel=HUB, sources=text)
    (err,) = errors_of(tmp_path)
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:5: ") and "kind: rss" in err


def test_neither_url_nor_rsshub(tmp_path: Path) -> None:
    write(tmp_path, sources=rss_source("    name: x\n"))
    (err,) = errors_of(tmp_path)
    assert err.startswith(f"{tmp_path / 'sources.yaml'}:2: ") and "needs `url:`" in err


def test_proxy_must_be_http(tmp_path: Path) -> None:
    write(tmp_path, sources=rss_source("    url: http://x.cn/f\n    proxy: socks5://p:1080\n"))
    (err,) = errors_of(tmp_path)
    assert ":5: " in err and "socks" in err


def test_headers_and_cookies_come_from_the_environment() -> None:
    src = Source.model_validate(
        {
            "id": "bbs",
            "kind": "rss",
            "url": "http://x.cn/f",
            "proxy": {"env": "BBS_PROXY"},
            "headers": {"X-Token": {"env": "BBS_TOKEN"}, "Referer": "http://x.cn/"},
            "cookies": {"sid": {"env": "BBS_SID"}},
        }
    )
    env = {"BBS_TOKEN": "t0k", "BBS_SID": "s1d", "BBS_PROXY": "http://u:pw@proxy.lan:3128"}
    got = reach(src, env)
    assert got.headers == (("X-Token", "t0k"), ("Referer", "http://x.cn/"))
    assert got.cookies == (("sid", "s1d"),)
    assert got.proxy == "http://u:pw@proxy.lan:3128"

    with pytest.raises(ConfigError) as e:
        reach(src, {"BBS_TOKEN": "t0k", "BBS_PROXY": "http://proxy.lan:3128"})
    assert "'bbs'" in str(e.value) and "BBS_SID" in str(e.value)

    with pytest.raises(ConfigError) as e:
        reach(src, env | {"BBS_PROXY": "socks5://u:secret@p:1080"})
    assert "socks" in str(e.value) and "secret" not in str(e.value)


def test_own_site_is_the_list_hosts_and_hosts() -> None:
    src = Source(
        id="bbs",
        kind="rss",
        url="http://bbs.x.cn/f",
        urls=["http://m.x.cn/f"],
        hosts=["IMG.x.cn"],
    )
    assert on_site(src, "http://bbs.x.cn/thread-1-1-1.html")
    assert on_site(src, "https://m.x.cn/t/2")
    assert on_site(src, "http://img.x.cn/p")
    assert not on_site(src, "http://weibo.com/123")
