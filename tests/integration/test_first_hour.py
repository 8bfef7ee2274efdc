"""A newcomer's first hour: the database found from any folder, the desk's address and the
first admin announced, the calendar warning said once a day, times labelled with their zone."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from sentinel.cli import app
from sentinel.cli_hints import announce, desk_url
from sentinel.config import load_config
from sentinel.daemon.daily import DailyWarnings
from sentinel.logs import TextFormatter
from sentinel.store import Store, database_url
from sentinel.workflow.calendar import ChineseWorkCalendar
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite

TZ = ZoneInfo("Asia/Shanghai")


def test_the_embedded_database_lives_beside_the_configuration_whatever_the_folder(
    site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg_dir = write_config(tmp_path / "office", site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SENTINEL_DATABASE_URL", raising=False)
    cfg = load_config(cfg_dir)
    assert cfg.settings.data_dir == str((cfg_dir / "data").resolve())
    assert database_url(cfg.settings).endswith(f"{cfg_dir.resolve()}/data/sentinel.db")
    result = CliRunner().invoke(app, ["db", "upgrade", "--config-dir", str(cfg_dir)])
    assert result.exit_code == 0, result.output
    assert f"{cfg_dir.resolve()}/data/sentinel.db" in result.stdout
    assert (cfg_dir / "data" / "sentinel.db").exists() and not (elsewhere / "data").exists()


def test_the_start_says_where_the_desk_is_and_how_to_make_the_first_admin(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 's.db'}"

    async def lines(desk: tuple[str, int] | None) -> list[str]:
        store = await Store.open(url)
        try:
            await store.upgrade()
            return await announce(store, "sqlite:///x.db", desk)
        finally:
            await store.close()

    first = asyncio.run(lines(("0.0.0.0", 8080)))
    assert first[:2] == ["database: sqlite:///x.db", "duty desk: http://127.0.0.1:8080/"]
    assert "users add admin --role admin" in first[2]
    result = CliRunner().invoke(
        app,
        ["users", "add", "admin", "--role", "admin", "--password-stdin"],
        input="a long enough password\n",
        env={"SENTINEL_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    later = asyncio.run(lines(("127.0.0.1", 9000)))
    assert later == ["database: sqlite:///x.db", "duty desk: http://127.0.0.1:9000/"]
    assert asyncio.run(lines(None)) == ["database: sqlite:///x.db"]  # no desk, no hint
    assert desk_url("::1", 80) == "http://[::1]:80/"


def test_the_calendar_warning_is_said_once_a_local_day(caplog: pytest.LogCaptureFixture) -> None:
    calendar = ChineseWorkCalendar(TZ)
    said = DailyWarnings()
    year = 2040  # no official data: every day of it is an estimate
    with caplog.at_level(logging.WARNING, logger="sentinel"):
        first = said.check(datetime(year, 3, 2, 9, 0, tzinfo=TZ), calendar, TZ)
        again = said.check(datetime(year, 3, 2, 23, 0, tzinfo=TZ), calendar, TZ)
        next_day = said.check(datetime(year, 3, 3, 0, 5, tzinfo=TZ), calendar, TZ)
    assert first and f"no official working-day data for {year}" in first[0]
    assert again == [] and next_day == first
    assert [r.getMessage() for r in caplog.records] == first + first


def test_text_logs_say_utc_and_sources_status_says_its_zone(
    site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = logging.LogRecord("sentinel", logging.WARNING, __file__, 1, "x", None, None)
    record.created = datetime(2026, 11, 23, 2, 5, 7, tzinfo=ZoneInfo("UTC")).timestamp()
    record.msecs = 0
    assert TextFormatter("%(asctime)s %(message)s").format(record) == "2026-11-23T02:05:07.000Z x"
    publish(site)
    cfg = write_config(tmp_path / "cfg", site)
    monkeypatch.setenv("SENTINEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    result = CliRunner().invoke(app, ["sources", "status", "--config-dir", str(cfg)])
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("(times in Asia/Shanghai; logs are in UTC)")
