"""Helpers for the daemon tests: a mail server that records what it receives, a fake clock,
and the fixture county's configuration with notification settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tests.fixtures.sites import KEYWORDS, SENTINEL, good_sources
from tests.servers import LocalSite, free_port

TZ = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = ("lead", "zrzy", "rlsb", "zjj", "jyj", "town")


@dataclass
class Inbox:
    """What an aiosmtpd server received: one parsed mail per DATA."""

    mails: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        with self.lock:
            self.mails.append(mail)  # type: ignore[arg-type]
        return "250 OK"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.mails]


class MailServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> MailServer:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def notify_yaml(smtp_port: int) -> str:
    emails = "\n".join(f"    {d}: {{emails: [{d}@example.gov.cn]}}" for d in DEPARTMENTS)
    return f"""\
notify:
  office: 测试值班室
  web_url: https://yq.example.gov.cn
  smtp: {{host: 127.0.0.1, port: {smtp_port}, sender: 值班 <duty@example.gov.cn>,
          starttls: false, timeout: 5s}}
  departments:
{emails}
"""


def write_county(
    directory: Path,
    site: LocalSite,
    smtp_port: int,
    *,
    critical_land: bool = False,
    sources: str | None = None,
    extra_settings: str = "",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    keywords = KEYWORDS
    if critical_land:
        keywords = keywords.replace(
            "severity: major\n    any: [强拆", "severity: critical\n    any: [强拆"
        )
    (directory / "sources.yaml").write_text(sources or good_sources(site.base), encoding="utf-8")
    (directory / "keywords.yaml").write_text(keywords, encoding="utf-8")
    (directory / "sentinel.yaml").write_text(
        SENTINEL + notify_yaml(smtp_port) + extra_settings, encoding="utf-8"
    )
    return directory
