"""The benchmark site's server: a separate process, so the patrol's CPU figures are its own.

    python -m bench.server ROOT PORT [HOST ...]

Serves ROOT/manifest.json's pages on PORT of each loopback HOST (127.0.0.1 by default; all of
127.0.0.0/8 is loopback, so a site can span hosts as a county's sources do) with their ETags
(304 on If-None-Match), prints "ready" when listening, and stops when its stdin closes.
`POST /_bump?every=N` gives every N-th page that has an ETag a new one, so a following patrol
sees that share changed.

A plain HTTP/1.1 keep-alive server on asyncio's Protocol, each answer's head built once: the
site shares the machine's two cores with the patrol it serves, and a web framework's server
(aiohttp.web took 0.24-0.28 ms of CPU per page, this one ~0.06) would take a share of them that
on the internet is the sites' own. It answers what a crawler sends: GET (and POST /_bump),
headers, no request bodies but /_bump's empty one.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

_MAX_HEAD = 64 * 1024


class Page:
    __slots__ = ("body", "content_type", "etag", "full", "not_modified")

    def __init__(self, body: bytes, content_type: str, etag: str | None) -> None:
        self.body, self.content_type = body, content_type
        self.set_etag(etag)

    def set_etag(self, etag: str | None) -> None:
        self.etag = etag
        tag = f"ETag: {etag}\r\n" if etag else ""
        self.full = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n{tag}"
            f"Content-Length: {len(self.body)}\r\n\r\n"
        ).encode("latin-1")
        self.not_modified = (
            f"HTTP/1.1 304 Not Modified\r\n{tag}\r\n"  # no body, by definition
        ).encode("latin-1")


def load(root: Path) -> dict[str, Page]:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return {
        path: Page((root / "files" / e["file"]).read_bytes(), e["type"], e.get("etag"))
        for path, e in manifest.items()
    }


def _plain(status: str, text: str) -> bytes:
    body = text.encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


_NOT_FOUND = _plain("404 Not Found", "not found")
_BAD = _plain("400 Bad Request", "bad request")


class Site(asyncio.Protocol):
    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._send(_BAD, close=True)
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._answer(head):
                return

    def _answer(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            self._send(_BAD, close=True)
            return False
        method, target = parts[0], parts[1].decode("latin-1")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if int(headers.get(b"content-length", b"0") or 0):
            self._send(_BAD, close=True)  # no request of the bench carries a body
            return False
        close = headers.get(b"connection", b"").lower() == b"close"
        if method == b"POST" and target.startswith("/_bump"):
            self._send(_plain("200 OK", str(self._bump(target))), close=close)
        elif method != b"GET":
            self._send(_plain("405 Method Not Allowed", "GET only"), close=close)
        else:
            page = self.pages.get(target) or self.pages.get(urlsplit(target).path)
            if page is None:
                self._send(_NOT_FOUND, close=close)
            elif page.etag and headers.get(b"if-none-match", b"").decode() == page.etag:
                self._send(page.not_modified, close=close)
            else:
                self._send(page.full, page.body, close=close)
        return not close

    def _bump(self, target: str) -> int:
        every = int(parse_qs(urlsplit(target).query).get("every", ["20"])[0])
        tagged = [page for page in self.pages.values() if page.etag]
        for page in tagged[::every]:
            page.set_etag(f'{(page.etag or "").rstrip(chr(34))}-b"')
        return len(tagged[::every])

    def _send(self, *chunks: bytes, close: bool) -> None:
        assert self.transport is not None
        self.transport.writelines(chunks)
        if close:
            self.transport.close()


async def main(root: Path, port: int, hosts: list[str]) -> None:
    pages = load(root)
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(lambda: Site(pages), host, port, backlog=1024) for host in hosts
    ]
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    for server in servers:
        server.close()
        await server.wait_closed()


if __name__ == "__main__":
    args = (Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] or ["127.0.0.1"])
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(*args))
    else:
        uvloop.run(main(*args))
