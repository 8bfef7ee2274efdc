"""`sentinel demo`: a local site, a mail sink and the daemon, all offline on 127.0.0.1.

A newcomer sees, within a minute: posts patrolled, alerts opened with deadlines, a critical
push and the digests saved as .eml files in the demo folder, `sentinel outbox list`, and the
duty desk with a login for every role (the demo password is printed; it is a demo).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sentinel.cli_hints import command
from sentinel.config import Config
from sentinel.daemon import Daemon, load_checked
from sentinel.demo.mail import MailSink
from sentinel.demo.posts import KEYWORDS
from sentinel.demo.site import DemoSite, sources_yaml
from sentinel.store import Store

TZ = ZoneInfo("Asia/Shanghai")


DEMO_PASSWORD = "demo-password"
# (login, role, department, name): one officer per department, the lead office, a leader
DEMO_USERS = (
    ("lead", "lead", "wxb", "网信办值班员"),
    ("leader", "leader", None, "分管领导"),
    ("zrzy", "officer", "zrzy", "自然资源局值班员"),
    ("rlsb", "officer", "rlsb", "人社局值班员"),
    ("zjj", "officer", "zjj", "住建局值班员"),
    ("jyj", "officer", "jyj", "教体局值班员"),
    ("yjj", "officer", "yjj", "应急管理局值班员"),
    ("town", "officer", "town", "镇政府值班员"),
)


def sentinel_yaml(folder: Path, smtp_port: int, today: datetime, web_port: int = 8080) -> str:
    day = today.date().isoformat()
    return f"""\
name: 明光市舆情监测（演示）
database_url: sqlite+aiosqlite:///{folder / "sentinel.db"}
data_dir: {folder / "data"}
departments:
  - {{id: wxb, name: 网信办, lead: true}}
  - {{id: zrzy, name: 自然资源局}}
  - {{id: rlsb, name: 人社局}}
  - {{id: zjj, name: 住建局}}
  - {{id: jyj, name: 教体局}}
  - {{id: yjj, name: 应急管理局}}
  - {{id: town, name: 镇政府}}
workflow:
  cadence:
    # a heightened period for today: a duty patrol (and digests) every 5 minutes
    heightened:
      - {{name: 演示, start: {day}, end: {day}, interval: 5m}}
notify:
  office: 明光市舆情值班室（演示）
  lead_office: wxb
  web_url: http://127.0.0.1:{web_port}
  smtp: {{host: 127.0.0.1, port: {smtp_port}, sender: 舆情值班 <duty@demo.local>,
          starttls: false, timeout: 10s}}
  departments:
    wxb: {{emails: [wxb@demo.local]}}
    zrzy: {{emails: [zrzy@demo.local]}}
    rlsb: {{emails: [rlsb@demo.local]}}
    zjj: {{emails: [zjj@demo.local]}}
    jyj: {{emails: [jyj@demo.local]}}
    yjj: {{emails: [yjj@demo.local]}}
    town: {{emails: [town@demo.local]}}
"""


def write_demo_config(folder: Path, site_base: str, smtp_port: int, web_port: int = 8080) -> Path:
    config = folder / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "sources.yaml").write_text(sources_yaml(site_base), encoding="utf-8")
    (config / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    (config / "sentinel.yaml").write_text(
        sentinel_yaml(folder, smtp_port, datetime.now(TZ), web_port), encoding="utf-8"
    )
    return config


def _prepare(folder: Path | None) -> Path:
    path = Path(folder or tempfile.mkdtemp(prefix="sentinel-demo-")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


async def run_demo(
    folder: Path | None,
    *,
    tick: timedelta = timedelta(seconds=10),
    echo: Callable[[str], object] = print,
    stop: asyncio.Event | None = None,
    web_port: int | None = 8080,
) -> Path:
    """Run until `stop` is set (SIGINT/SIGTERM when not given); returns the demo folder."""
    folder = _prepare(folder)
    site = await DemoSite().start()
    sink = MailSink(folder / "mail").start()
    try:
        config = write_demo_config(folder, site.base, sink.port, web_port or 8080)
        cfg = load_checked(config)
        logging.getLogger("sentinel").setLevel(logging.INFO)
        echo(
            f"demo site:      {site.base}/bbs/list.html (forum), /gov/list.html, "
            f"/board/list.json, /feed.xml"
        )
        echo(f"configuration:  {config}")
        echo(f"database:       {folder / 'sentinel.db'}")
        echo(f"mail received:  {sink.folder}/*.eml  (SMTP sink on 127.0.0.1:{sink.port})")
        me = command()  # .venv/bin/sentinel when the venv is not activated
        echo(f"see alerts:     {me} alerts list -c {config}")
        echo(f"see the outbox: {me} outbox list -c {config}")
        if web_port:
            echo(f"duty desk:      http://127.0.0.1:{web_port}/  (password {DEMO_PASSWORD}")
            echo("                for every login: lead, leader, zrzy, rlsb, zjj, jyj, yjj, town)")
        echo("new posts appear over the next minute; Ctrl-C stops the demo")
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        async with Daemon(cfg, tick=tick) as daemon:
            await _demo_users(daemon.patrol.store, cfg)
            if web_port:
                from sentinel.cli_web import serve_desk

                async with serve_desk(cfg, "127.0.0.1", web_port):
                    await daemon.serve(stop, grace=10)
            else:
                await daemon.serve(stop, grace=10)
    finally:
        sink.stop()
        await site.stop()
    return folder


async def _demo_users(store: Store, cfg: Config) -> None:
    from sentinel.workflow.service import UserError, Workflow

    workflow = Workflow(store, cfg.settings)
    known = {u.login for u in await workflow.users()}
    for login, role, department, name in DEMO_USERS:
        if login in known:
            continue
        with contextlib.suppress(UserError):
            await workflow.add_user(
                login,
                role=role,
                department=department,
                name=name,
                password=DEMO_PASSWORD,
                at=datetime.now(TZ),
            )


__all__ = ["DemoSite", "MailSink", "run_demo", "write_demo_config"]
