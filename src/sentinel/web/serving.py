"""The uvicorn configuration every server of the desk uses (`sentinel web`, `run`, `demo`).

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any local client (or a proxy
on the same host passing headers through) could pose as any address. The desk handles
forwarded headers itself, from the proxies in web.trusted_proxies only (app.py); the server
must not do it before it.
"""

from __future__ import annotations

from typing import Any

import uvicorn


def server_config(
    app: Any, *, host: str, port: int, log_level: str, **extra: Any
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        forwarded_allow_ips=[],
        **extra,
    )
