"""`sentinel demo`: offline, within seconds there are alerts, mail and a desk to sign in to."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import timedelta
from pathlib import Path

import httpx

from sentinel.demo import DEMO_PASSWORD, run_demo
from tests.servers import free_port


async def test_the_demo_shows_alerts_mail_and_the_desk(tmp_path: Path) -> None:
    stop = asyncio.Event()
    port = free_port()
    lines: list[str] = []
    task = asyncio.create_task(
        run_demo(tmp_path, tick=timedelta(seconds=0.5), echo=lines.append, stop=stop, web_port=port)
    )
    try:
        mails: list[Path] = []
        for _ in range(200):
            mails = sorted((tmp_path / "mail").glob("*.eml"))
            if mails:
                break
            await asyncio.sleep(0.1)
        assert mails, "no digest or push reached the demo's mail sink"
        message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
        assert "舆情" in str(message["subject"])

        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, follow_redirects=True) as client:
            login = await client.get("/login")
            assert login.status_code == 200
            token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            queue = await client.post(
                "/login", data={"csrf": token, "login": "lead", "password": DEMO_PASSWORD}
            )
            assert queue.status_code == 200 and str(queue.url).startswith(base)
            assert "/alerts/" in queue.text  # the lead office sees the demo's alerts
        assert any(DEMO_PASSWORD in line for line in lines)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
