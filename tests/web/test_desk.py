"""The desk's pages and API doing the work: an officer's whole workflow through the forms,
the lead office's board, leaders' reports, operators' source health."""

from __future__ import annotations

import csv
import io
import re

from tests.web.desk import Desk, client, later, sign_in


async def test_an_officer_works_an_alert_through_the_forms(desk: Desk) -> None:
    aid = desk.ids["hostile"]
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        queue = (await c.get("/queue")).text
        assert f'data-alert="{aid}"' in queue and f'data-alert="{desk.ids["wages"]}"' not in queue
        assert "2 个信息源" in queue or "1 个信息源" in queue
        assert 'class="countdown"' in queue  # 10:00, claim due 11:00: not late

        async def act(**form: str) -> str:
            r = await c.post(f"/alerts/{aid}/act", data={"csrf": csrf, **form})
            assert r.status_code == 303, r.text
            return r.headers["location"]

        assert await act(action="claim", next="/queue") == "/queue"
        later(desk.clock, minutes=30)
        await act(action="first_report", note="研判：属实，建议约谈")
        await act(action="request_extension", days="3", note="需要现场核查")
        # an illegal step comes back with the reason, nothing written
        where = await act(action="reply", link="https://gov.example/1")
        assert "error=" in where
        page = (await c.get(where)).text
        assert "cannot reply an alert in state assessed" in page
        later(desk.clock, hours=2)
        await act(action="verify", note="核实调查报告全文")
        where = await act(action="reply", link="javascript:alert(1)")
        assert "error=" in where
        await act(action="reply", link="https://www.mingguang.gov.cn/reply/1")
        page = (await c.get(f"/alerts/{aid}")).text
        for label in ("认领", "首报（研判）", "申请延期", "核实调查报告", "公开回复"):
            assert f"<b>{label}</b>" in page
        assert 'href="https://www.mingguang.gov.cn/reply/1"' in page
    row = await desk.store.alert(aid)
    assert row.state == "responded" and row.claimed_by == "wang"


async def test_an_officer_dismisses_with_a_reason(desk: Desk) -> None:
    aid = desk.ids["hostile"]
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        r = await c.post(f"/alerts/{aid}/act", data={"csrf": csrf, "action": "dismiss"})
        assert "error=" in r.headers["location"]
        r = await c.post(
            f"/alerts/{aid}/act", data={"csrf": csrf, "action": "dismiss", "note": "非本地事项"}
        )
        assert r.status_code == 303
        assert f'data-alert="{aid}"' not in (await c.get("/queue")).text
    assert (await desk.store.alert(aid)).state == "dismissed"


async def test_countdowns_turn_late_when_the_deadline_passes(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        assert "countdown late" not in (await c.get("/queue")).text
        later(desk.clock, hours=1, minutes=30)  # 11:30: the 11:00 claim deadline passed
        queue = (await c.get("/queue")).text
        assert "countdown late" in queue and "已超时" in queue and "overdue" in queue


async def test_the_lead_office_board_designates_reroutes_and_decides_extensions(
    desk: Desk,
) -> None:
    wages, fees = desk.ids["wages"], desk.ids["fees"]
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        assert (await c.get("/")).headers["location"] == "/board"
        board = (await c.get("/board")).text
        assert all(f'data-alert="{i}"' in board for i in desk.ids.values())
        r = await c.post(
            f"/alerts/{wages}/act",
            data={"csrf": csrf, "action": "designate", "department": "rlsb", "next": "/board"},
        )
        assert r.headers["location"] == "/board"
        row = await desk.store.alert(wages)
        # designated at 10:00, before its 11:00 claim deadline: not a late claim
        assert (row.state, row.late_claim, row.department) == ("claimed", False, "rlsb")
        r = await c.post(
            f"/api/alerts/{fees}/actions",
            json={"action": "reroute", "department": "zjj", "note": "属住建"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 200 and r.json()["department"] == "zjj"
    async with client(desk.app) as c:
        csrf = await sign_in(c, "li")
        r = await c.post(
            f"/api/alerts/{wages}/actions",
            json={"action": "request_extension", "days": 4, "note": "涉及多方"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 200 and r.json()["extension_pending"] == 4
        r = await c.post(
            f"/api/alerts/{wages}/actions",
            json={"action": "grant_extension"},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 409 and "only the lead office" in r.json()["detail"]
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        assert "延期待批 4 天" in (await c.get("/board")).text
        r = await c.post(
            f"/alerts/{wages}/act",
            data={"csrf": csrf, "action": "grant_extension", "next": "/board"},
        )
        assert r.status_code == 303
    row = await desk.store.alert(wages)
    assert (row.extension_pending, row.extension_days) == (None, 4)


async def test_leaders_read_the_log_and_the_assessment_with_chart_and_csv(desk: Desk) -> None:
    async with client(desk.app) as c:
        csrf = await sign_in(c, "boss")
        await c.post(
            f"/alerts/{desk.ids['wages']}/act",
            data={"csrf": csrf, "action": "designate", "department": "rlsb"},
        )
    async with client(desk.app) as c:
        csrf = await sign_in(c, "wang")
        r = await c.post(
            f"/alerts/{desk.ids['hostile']}/act", data={"csrf": csrf, "action": "claim"}
        )
        assert "error" not in r.headers["location"]
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        assert (await c.get("/")).headers["location"] == "/reports/daily"
        log = (await c.get("/reports/daily?date=2026-11-23")).text
        assert "舆情日志 2026-11-23" in log and "新增舆情 5 条" in log
        page = (await c.get("/reports/assessment?from=2026-11-23&to=2026-11-23")).text
        bars = re.findall(
            r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="[^"]+" '
            r'class="bar"><title>(\S+) 认领 (\S+)</title></rect>',
            page,
        )
        # zrzy: one alert claimed on time, the other still inside its claim deadline (11:00);
        # rlsb's was designated before its claim deadline, which is on time; jyj's and zjj's
        # deadlines have not passed: no rate yet, and no row in the chart
        assert {name: value for _, name, value in bars} == {
            "自然资源局": "100%（1/1）",
            "人社局": "100%（1/1）",
        }
        assert len({w for w, _, _ in bars}) == 1  # both full: the panel's whole width
        chart = page[page.index('id="on-time-chart"') : page.index("</figure>")]
        assert "教体局" not in chart and "住建局" not in chart
        r = await c.get("/reports/assessment.csv?from=2026-11-23&to=2026-11-23")
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
        rlsb = next(x for x in rows if x["department"] == "rlsb")
        assert (rlsb["received"], rlsb["late_claims"]) == ("1", "0")
        data = (await c.get("/api/reports/assessment?from=2026-11-23&to=2026-11-23")).json()
        assert {r["department"] for r in data} == {"zrzy", "rlsb", "jyj", "zjj"}
        r = await c.get("/reports/assessment?from=2026-11-24&to=2026-11-01")
        assert r.status_code == 422


async def test_operators_see_source_health_and_calendar_warnings(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "boss")
        page = (await c.get("/operator")).text
        assert 'data-source="forum"' in page and 'data-source="feed"' in page
        assert "no official working-day data for 2027" in page
        data = (await c.get("/api/sources")).json()
        assert {s["source_id"] for s in data["sources"]} >= {"forum", "portal", "tw"}
        assert all(s["consecutive_failures"] == 0 for s in data["sources"])


async def test_pages_are_phone_sized_and_chinese(desk: Desk) -> None:
    async with client(desk.app) as c:
        r = await c.get("/queue")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        page = (await c.get("/login")).text
        assert 'name="viewport" content="width=device-width' in page and "登录" in page
        assert (await c.get("/static/app.js")).status_code == 200
