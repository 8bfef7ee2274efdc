"""What a newcomer needs to see when the service starts: where the desk and the database are,
and how to make the first login when there is none."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from sentinel.store import Store

log = logging.getLogger("sentinel")


def command() -> str:
    """How to type `sentinel` here: the bare name when the shell finds this very program."""
    me = Path(sys.argv[0])
    if me.name in ("__main__.py", "-m", "-c"):
        return "python -m sentinel"
    found = shutil.which("sentinel")
    if found and me.exists() and Path(found).resolve() == me.resolve():
        return "sentinel"
    try:
        return str(me.resolve().relative_to(Path.cwd()))  # .venv/bin/sentinel
    except ValueError:
        return str(me)


def desk_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


async def announce(store: Store, database: str, desk: tuple[str, int] | None) -> list[str]:
    """The lines to print at start: the database in use, the desk, the first admin's recipe."""
    lines = [f"database: {database}"]
    log.info("database: %s", database)
    if desk is not None:
        lines.append(f"duty desk: {desk_url(*desk)}")
        if not await store.users():
            lines.append(
                "no logins yet: create the first admin (it asks for a password), then sign in:\n"
                f"  {command()} users add admin --role admin"
            )
    return lines
