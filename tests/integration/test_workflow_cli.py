"""`sentinel alerts|users|sweep|report` through the real command, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sentinel.config import load_config
from sentinel.pipeline import Patrol
from tests.cli_kit import invoke, patrolled_county
from tests.fixtures.sites import publish, write_config
from tests.servers import LocalSite

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def env(site: LocalSite, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENTINEL_NOW", T0.isoformat())
    return patrolled_county(site, tmp_path / "cfg", db_url, monkeypatch, T0)


def at(monkeypatch: pytest.MonkeyPatch, hhmm: str, day: int = 23) -> None:
    monkeypatch.setenv("SENTINEL_NOW", f"2026-11-{day}T{hhmm}:00+08:00")


def test_one_alert_walks_the_whole_workflow_with_its_audit_trail(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = invoke(
        "users", "add", "wang", "--role", "officer", "--department", "zrzy",
        "--name", "王", "--password-stdin", stdin="a-long-secret\n",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = invoke("users", "list", "--json")
    assert json.loads(out) == [
        {
            "login": "wang",
            "name": "王",
            "role": "officer",
            "department": "zrzy",
            "disabled_at": None,
        }
    ]
    assert "a-long-secret" not in out and "argon2" not in out
    code, out, _ = invoke("alerts", "list", "--department", "zrzy", "--json")
    (alert,) = json.loads(out)
    aid = str(alert["id"])
    assert (alert["state"], alert["severity"]) == ("new", "major")

    # an illegal step is refused with the reason, exit code 1, and nothing written
    code, _, err = invoke("alerts", "verify", aid, "--as", "wang", "--note", "x")
    assert code == 1
    assert "cannot verify an alert in state new: only from assessed" in err

    steps = [
        ("10:20", ["claim"]),
        ("11:00", ["report", "--note", "研判：属实，建议约谈"]),
        ("15:00", ["verify", "--note", "核实调查报告"]),
        ("16:00", ["reply", "--link", "https://www.mingguang.gov.cn/reply/1"]),
        ("17:00", ["close"]),
    ]
    for hhmm, (verb, *rest) in steps:
        at(monkeypatch, hhmm)
        code, out, err = invoke("alerts", verb, aid, "--as", "wang", *rest)
        assert code == 0, err
    code, out, _ = invoke("alerts", "show", aid, "--json")
    shown = json.loads(out)
    assert shown["alert"]["state"] == "closed"
    assert shown["alert"]["reply_url"] == "https://www.mingguang.gov.cn/reply/1"
    trail = [(e["actor"], e["action"], e["from_state"], e["to_state"]) for e in shown["events"]]
    assert trail == [
        ("sentinel", "open", "new", "new"),
        ("wang", "claim", "new", "claimed"),
        ("wang", "first_report", "claimed", "assessed"),
        ("wang", "verify", "assessed", "verified"),
        ("wang", "reply", "verified", "responded"),
        ("wang", "close", "responded", "closed"),
    ]
    assert shown["events"][2]["note"] == "研判：属实，建议约谈"
    assert shown["events"][1]["at"].startswith("2026-11-23T02:20")  # 10:20 local, in UTC
    assert {p["source_id"] for p in shown["posts"]} == {"forum", "tw"}
    code, out, _ = invoke("alerts", "show", aid)
    assert code == 0 and "first_report" in out and "https://www.mingguang.gov.cn/reply/1" in out

    # an unknown login is refused too
    code, _, err = invoke("alerts", "claim", aid, "--as", "nobody")
    assert code == 1 and "no user 'nobody'" in err


def test_sweep_and_reports_from_the_command_line(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, "13:00")
    code, out, err = invoke("sweep", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert len(first["designated"]) == 4
    code, out, _ = invoke("sweep", "--json")
    assert json.loads(out) == {"designated": [], "newly_overdue": [], "reminders": 0}
    code, out, _ = invoke("alerts", "list", "--state", "claimed", "--department", "lead")
    assert code == 0 and len(out.strip().splitlines()) == 4

    code, out, _ = invoke(
        "report", "assessment", "--from", "2026-11-23", "--to", "2026-11-23", "--json"
    )
    rows = {r["department"]: (r["received"], r["late_claims"]) for r in json.loads(out)}
    # each late claim is charged to the department that held the alert at its deadline
    assert rows == {"jyj": (1, 1), "rlsb": (1, 1), "zjj": (1, 1), "zrzy": (1, 1), "lead": (0, 0)}
    code, out, _ = invoke(
        "report", "assessment", "--from", "2026-11-23", "--to", "2026-11-23", "--csv"
    )
    lines = out.splitlines()
    assert lines[0].startswith("department,received,claimed_on_time,late_claims")
    assert lines[1].startswith("jyj,1,0,1,") and lines[2].startswith("lead,0,0,0,")
    code, out, _ = invoke("report", "daily", "--date", "2026-11-23", "--json")
    log = json.loads(out)
    assert log["new_stories"] == 4 and log["open_alerts_by_state"] == {"claimed": 4}
    code, out, _ = invoke("report", "daily", "--date", "2026-11-23")
    assert code == 0 and "舆情日志 2026-11-23: 4 new stories" in out
    # topics by the names keywords.yaml gives them, not their ids
    assert "  topic 征地拆迁: 1" in out and "topic land" not in out


def test_check_warns_about_years_without_calendar_data(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = invoke("check")
    assert code == 0 and out.startswith("ok:")
    assert "no official working-day data for 2027" in err


def test_reports_print_as_escaped_html_documents(
    site: LocalSite, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.desk import HOSTILE, hostile_forum

    publish(site)
    site.serve("/bbs/forum-2-1.html", hostile_forum(), content_type="text/html")
    cfg_dir = write_config(tmp_path / "cfg", site)
    monkeypatch.setenv("SENTINEL_CONFIG_DIR", str(cfg_dir))
    monkeypatch.setenv("SENTINEL_DATABASE_URL", db_url)

    async def patrol() -> None:
        cfg = load_config(cfg_dir)
        async with await Patrol.open(cfg, database_url=db_url, clock=lambda: T0) as p:
            await p.run()

    asyncio.run(patrol())
    at(monkeypatch, "13:00")
    # four late claims, designated to the lead office: the hostile forum post and the Big5
    # post tell one event (女山湖镇 强拆 补偿款) and are one story
    assert invoke("sweep")[0] == 0

    code, out, err = invoke("report", "daily", "--date", "2026-11-23", "--html")
    assert code == 0, err
    assert out.startswith("<!DOCTYPE html>") and "舆情日志" in out and "2026-11-23" in out
    assert "<script" not in out and "<img" not in out  # the hostile title stays text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and HOSTILE[:6] in out
    assert "新增舆情 <strong>4</strong> 条" in out
    assert '<td>征地拆迁</td><td class="n">1</td>' in out  # topics by their names
    assert '<td>已认领</td><td class="n">4</td>' in out  # open alerts by state

    code, out, err = invoke(
        "report", "assessment", "--from", "2026-11-23", "--to", "2026-11-23", "--html"
    )
    assert code == 0, err
    assert out.startswith("<!DOCTYPE html>") and "<script" not in out
    assert "2026-11-23 至 2026-11-23" in out
    # the land department let its alert (one event, two sites) pass its deadline: its row
    # carries the late claim, at 0%, though the sweep designated it to the lead office
    row = '<tr><td>自然资源局</td><td class="n">1</td><td class="n">0</td><td class="n">1</td>'
    assert row in out
    assert '<td class="n">0%</td>' in out


def test_the_lead_office_splits_and_merges_from_the_command_line(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for login, role, dept in (("boss", "lead", "lead"), ("wang", "officer", "zrzy")):
        code, _, err = invoke(
            "users", "add", login, "--role", role, "--department", dept,
            "--name", login, "--password-stdin", stdin="a-long-secret\n",
        )  # fmt: skip
        assert code == 0, err
    code, out, _ = invoke("alerts", "list", "--json")
    (land,) = [a for a in json.loads(out) if a["topic_id"] == "land"]
    code, out, _ = invoke("alerts", "show", str(land["id"]), "--json")
    posts = json.loads(out)["posts"]
    assert {p["placed_by"] for p in posts} == {"first", "repost"}  # the Big5 copy of the thread
    (copy,) = [p for p in posts if p["placed_by"] == "repost"]
    code, out, _ = invoke("alerts", "show", str(land["id"]))
    assert f"repost {copy['similarity']:.2f}: 转载（文字相似度" in out

    at(monkeypatch, "10:30")
    code, _, err = invoke("alerts", "split", "--post", str(copy["id"]), "--as", "wang")
    assert code == 1 and "only the lead office may split" in err
    code, out, err = invoke(
        "alerts", "split", "--post", str(copy["id"]), "--as", "boss", "--to", "town", "--json"
    )
    assert code == 0, err
    split = json.loads(out)
    assert split["department"] == "town" and split["detected_at"].startswith("2026-11-23T02:30")

    at(monkeypatch, "10:40")
    code, out, err = invoke("alerts", "merge", str(split["id"]), str(land["id"]), "--as", "boss")
    assert code == 0, err
    assert f"alert {split['id']} merged into {land['id']}: 1 posts moved" in out
    code, out, _ = invoke("alerts", "show", str(land["id"]))
    assert "absorb" in out and "merge: 人工合并" in out
    code, out, err = invoke("alerts", "merge", str(split["id"]), str(land["id"]), "--as", "boss")
    assert code == 1 and "only open alerts are merged" in err
