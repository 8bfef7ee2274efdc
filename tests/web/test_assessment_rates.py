"""Each department's on-time rate for every rated step (claim, first report, verification,
reply): done on time among the steps decided — done, or overdue and not done. A step still
inside its deadline counts in neither, so it shows no rate rather than 0%."""

from __future__ import annotations

from datetime import timedelta

from sentinel.reports.labels import step_counts
from tests.web.desk import T0, Desk, client, sign_in


async def test_first_reports_done_late_or_overdue_count_against_the_rate(desk: Desk) -> None:
    wf = desk.app.state.desk.workflow
    hostile, wages = desk.ids["hostile"], desk.ids["wages"]
    await wf.act(hostile, "claim", "wang", at=T0 + timedelta(minutes=5))
    await wf.act(hostile, "first_report", "wang", at=T0 + timedelta(minutes=30), note="研判")
    await wf.act(wages, "claim", "li", at=T0 + timedelta(minutes=10))
    period = "from=2026-11-23&to=2026-11-23"
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        rows = {
            r["department"]: r for r in (await c.get(f"/api/reports/assessment?{period}")).json()
        }
        # 10:40: the wages first report is due at 12:10, not yet decided
        assert step_counts(rows["zrzy"])["first_report"] == (1, 1)
        assert step_counts(rows["rlsb"])["first_report"] == (0, 0)
        assert rows["rlsb"]["first_reports_decided"] == 0
        desk.clock.at = T0 + timedelta(hours=3)  # 13:00: overdue, not done
        rows = {
            r["department"]: r for r in (await c.get(f"/api/reports/assessment?{period}")).json()
        }
        assert step_counts(rows["rlsb"])["first_report"] == (0, 1)
        # the claim is rated as before: on time among on time and late
        assert step_counts(rows["rlsb"])["claim"] == (1, 1)
        await wf.act(wages, "first_report", "li", at=desk.clock.at, note="迟报")
        rows = {
            r["department"]: r for r in (await c.get(f"/api/reports/assessment?{period}")).json()
        }
        assert step_counts(rows["rlsb"])["first_report"] == (0, 1)  # done late: still decided
        # no verification is due within two days of a claim: no rate for it anywhere
        assert all(step_counts(r)["verification"][1] == 0 for r in rows.values())
        csv_head = (await c.get(f"/reports/assessment.csv?{period}")).text.splitlines()[0]
        assert csv_head.endswith("first_reports_decided,verifications_decided,replies_decided")
