"""The demo's SMTP sink: every mail received is saved as an .eml file (open it in any client)."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _SaveHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._n = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        (self.folder / f"{next(self._n):04d}.eml").write_bytes(data)
        return "250 OK"


class MailSink:
    """An aiosmtpd server on 127.0.0.1 (its own thread) saving mail into `folder`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self._controller = Controller(_SaveHandler(folder), hostname="127.0.0.1", port=self.port)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
