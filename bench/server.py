"""The benchmark site's server: a separate process, so the patrol's CPU figures are its own.

    python -m bench.server ROOT PORT [HOST ...]

Serves ROOT/manifest.json's pages on PORT of each loopback HOST (127.0.0.1 by default; all of
127.0.0.0/8 is loopback, so a site can span hosts as a county's sources do) with their ETags
(304 on If-None-Match), prints "ready" when listening, and stops when its stdin closes.
`POST /_bump?every=N` gives every N-th page that has an ETag a new one, so a following patrol
sees that share changed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web


def load(root: Path) -> dict[str, tuple[bytes, str, str | None]]:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return {
        path: ((root / "files" / e["file"]).read_bytes(), e["type"], e.get("etag"))
        for path, e in manifest.items()
    }


async def main(root: Path, port: int, hosts: list[str]) -> None:
    pages = load(root)

    async def handle(request: web.Request) -> web.Response:
        entry = pages.get(request.path_qs) or pages.get(request.path)
        if entry is None:
            return web.Response(status=404, text="not found")
        body, content_type, etag = entry
        headers = {"Content-Type": content_type}
        if etag:
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers)

    async def bump(request: web.Request) -> web.Response:
        every = int(request.query.get("every", "20"))
        tagged = [p for p, (_, _, etag) in pages.items() if etag]
        for path in tagged[::every]:
            body, content_type, etag = pages[path]
            pages[path] = (body, content_type, f'{(etag or "").rstrip(chr(34))}-b"')
        return web.Response(text=str(len(tagged[::every])))

    app = web.Application()
    app.router.add_post("/_bump", bump)
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for host in hosts:
        await web.TCPSite(runner, host, port, backlog=1024).start()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    args = (Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] or ["127.0.0.1"])
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(*args))
    else:
        uvloop.run(main(*args))
