"""A real uvicorn on 127.0.0.1 serving the desk (its own thread and event loop), and headless
Debian Chromium driven by Playwright. Never downloads a browser."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from sentinel.web.serving import server_config
from tests.web.desk import Clock, Desk, build_template, open_desk

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class Served:
    base: str
    desk: Desk

    @property
    def clock(self) -> Clock:
        return self.desk.clock


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    template = asyncio.run(build_template(tmp_path_factory.mktemp("browser-template")))
    work = tmp_path_factory.mktemp("browser-desk")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    ready = threading.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        async for desk in open_desk(template, work):
            config = server_config(
                desk.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
            )
            server = uvicorn.Server(config)
            box["desk"], box["server"] = desk, server
            ready.set()
            await server.serve(sockets=[sock])

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(30)
    server = box["server"]
    assert isinstance(server, uvicorn.Server)
    for _ in range(300):
        if server.started:
            break
        threading.Event().wait(0.05)
    desk = box["desk"]
    assert isinstance(desk, Desk)
    try:
        yield Served(base=f"http://127.0.0.1:{port}", desk=desk)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()
