"""RSSHub routes: `rsshub: /tieba/forum/明光` read against the instance in sentinel.yaml.

RSSHub (docs.rsshub.app) turns Weibo, WeChat, Tieba, Douyin pages into feeds; the office runs or
chooses an instance, and a source names only the route, so moving instances is one line.

The function lives in config.loader, which builds each rsshub source's `url` at load time
(config is the bottom layer and may not import from here).
"""

from __future__ import annotations

from sentinel.config.loader import rsshub_url

__all__ = ["rsshub_url"]
