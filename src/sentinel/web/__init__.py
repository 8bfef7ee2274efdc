"""The duty desk: FastAPI + Jinja2 pages and a JSON API over the workflow service.

create_app(cfg, store, workflow, *, clock, settings=None, health=None) -> FastAPI
"""

from __future__ import annotations

from sentinel.web.app import create_app
from sentinel.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
