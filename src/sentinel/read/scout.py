"""A scout process: fetches and extracts what the patrol asks, on a socket it inherited.

    python -m sentinel.read.scout FD

The first frame is the HttpSettings, answered by "ready"; each later one is (id, op, args),
answered by (id, True, result) or (id, False, packed error) in whatever order the reads
finish. The scout stops when the patrol closes its end, so it cannot outlive the patrol.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from typing import Any

from sentinel.config.models import HttpSettings
from sentinel.fetch import Fetcher
from sentinel.read import guard
from sentinel.read.pages import read_details, read_list
from sentinel.read.wire import frame, pack_error, read_frame

log = logging.getLogger("sentinel.read.scout")


async def _answer(fetcher: Fetcher, op: str, args: tuple[Any, ...]) -> Any:
    if op == "list":
        src, policy, url, validators, first, more = args
        r = await read_list(fetcher, src, policy, url, validators, first=first, more=more)
        error = pack_error(r.error) if r.error is not None else None
        return r.page, r.posts, error, r.blocked, r.next_url, r.skipped
    if op == "details":
        src, policy, posts = args
        done = await read_details(fetcher, src, policy, posts)
        return [(d.post, d.page, d.failure) for d in done]
    raise ValueError(f"unknown scout request {op!r}")


async def serve(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    settings = await read_frame(reader)
    if not isinstance(settings, HttpSettings):
        return
    tasks: set[asyncio.Task[None]] = set()

    async def handle(fetcher: Fetcher, call_id: int, op: str, args: tuple[Any, ...]) -> None:
        try:
            reply = (call_id, True, await _answer(fetcher, op, args))
        except Exception as e:  # every failure goes back to the patrol, which decides
            reply = (call_id, False, pack_error(e))
        writer.write(frame(reply))
        await writer.drain()

    async with Fetcher(settings) as fetcher:
        writer.write(frame("ready"))  # imports done: what the patrol waits for at start
        try:
            while (request := await read_frame(reader)) is not None:
                call_id, op, args = request
                task = asyncio.create_task(handle(fetcher, call_id, op, args))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()


def main() -> None:
    # Ctrl-C reaches the whole process group: the patrol shuts its scouts down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.WARNING, format="scout %(process)d %(levelname)s %(name)s: %(message)s"
    )
    fd = int(sys.argv[1])
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve(fd))
        else:
            uvloop.run(serve(fd))
    finally:
        guard.shutdown()  # the scout's own child for big pages, if it started one


if __name__ == "__main__":
    main()
