"""The desk in headless Chromium: officers, the lead office and leaders at work.
Screenshots of the main pages land in tests/artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.browser.conftest import ARTIFACTS, Served
from tests.web.desk import PASSWORD, T0


def sign_in(browser: Any, served: Served, login: str, **ctx: Any) -> Any:
    page = browser.new_context(locale="zh-CN", **ctx).new_page()
    dialogs: list[str] = []

    def seen(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", seen)
    page.dialogs = dialogs
    page.goto(served.base + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    return page


def test_an_officer_claims_and_files_every_report(browser: Any, served: Served) -> None:
    served.clock.at = T0
    aid = served.desk.ids["hostile"]
    page = sign_in(browser, served, "wang", viewport={"width": 390, "height": 844})
    assert page.url.endswith("/queue")
    row = page.locator(f'li[data-alert="{aid}"]')
    countdown = row.locator(".countdown")
    assert "剩余" in countdown.inner_text()  # the script took over the countdown
    assert "late" not in (countdown.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "queue-phone.png"), full_page=True)

    served.clock.at = T0 + timedelta(minutes=90)  # 11:30: the claim deadline (11:00) passed
    page.reload()
    countdown = page.locator(f'li[data-alert="{aid}"] .countdown')
    assert "late" in (countdown.get_attribute("class") or "")
    assert "已超时" in countdown.inner_text()
    page.screenshot(path=str(ARTIFACTS / "queue-overdue.png"), full_page=True)

    page.locator(f'li[data-alert="{aid}"] button[value=claim]').click()
    page.wait_for_url("**/queue")
    page.goto(f"{served.base}/alerts/{aid}")
    assert "已认领" in page.locator(".meta .state").inner_text()
    page.fill("form[data-form=first_report] textarea", "研判：属实，建议约谈")
    page.click("form[data-form=first_report] button[type=submit]")
    page.fill("form[data-form=request_extension] textarea", "需要现场核查")
    page.click("form[data-form=request_extension] button[type=submit]")
    page.fill("form[data-form=verify] textarea", "核实调查报告：已责成整改")
    page.click("form[data-form=verify] button[type=submit]")
    page.fill("form[data-form=reply] input[name=link]", "https://www.mingguang.gov.cn/reply/1")
    page.click("form[data-form=reply] button[type=submit]")
    assert "已回应" in page.locator(".meta .state").inner_text()
    timeline = page.locator(".timeline").inner_text()
    for step in ("认领", "首报（研判）", "申请延期", "核实调查报告", "公开回复"):
        assert step in timeline
    # the hostile title and body were shown as text: no script ran, no dialog opened
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    assert page.dialogs == [] and page.evaluate("document.title").startswith("预警")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "alert.png"), full_page=True)
    page.goto(served.base + "/queue")  # another department's alert is not in this queue
    assert page.locator(f'li[data-alert="{served.desk.ids["wages"]}"]').count() == 0


def test_evidence_is_shown_inert(browser: Any, served: Served) -> None:
    import hashlib

    from tests.web.desk import EVIDENCE_PAGE

    digest = hashlib.sha256(EVIDENCE_PAGE).hexdigest()
    page = sign_in(browser, served, "boss")
    # opened directly, the worst case: even outside its sandboxed frame nothing runs
    resp = page.goto(f"{served.base}/evidence/{digest}")
    assert resp is not None and resp.headers["content-security-policy"] == (
        "sandbox; default-src 'none'"
    )
    assert page.evaluate("document.title") != "pwned"  # the page's script never ran
    assert page.dialogs == []


def test_the_lead_office_designates_an_unclaimed_alert(browser: Any, served: Served) -> None:
    served.clock.at = T0 + timedelta(hours=2)
    wages = served.desk.ids["wages"]
    page = sign_in(browser, served, "boss")
    assert page.url.endswith("/board")
    row = page.locator(f'li[data-alert="{wages}"]')
    assert "待认领" in row.locator(".state").inner_text()
    row.locator("select[name=department]").select_option("rlsb")
    row.locator("button[value=designate]").click()
    page.wait_for_url("**/board")
    assert "已认领" in page.locator(f'li[data-alert="{wages}"] .state').inner_text()
    page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)


# per text of a chart: its rendered size (font size × the SVG's scale) and its box's height
TEXT_SIZES = """fig => {
  const svg = fig.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => ({
    text: t.textContent, role: t.getAttribute('class'),
    px: parseFloat(t.getAttribute('font-size')) * scale,
    height: t.getBoundingClientRect().height }));
}"""


def test_a_leader_reads_the_charts_at_a_projector_size(browser: Any, served: Served) -> None:
    served.clock.at = T0 + timedelta(hours=3)  # past the claim deadline (11:00)
    officer = sign_in(browser, served, "zhao")
    fees = served.desk.ids["fees"]
    officer.locator(f'li[data-alert="{fees}"] button[value=claim]').click()  # a late claim
    officer.wait_for_url("**/queue")
    page = sign_in(browser, served, "ld", viewport={"width": 1280, "height": 900})
    assert page.url.endswith("/reports/daily")
    assert page.locator("#topic-chart svg").is_visible()
    assert page.locator("#source-chart svg").is_visible()
    page.screenshot(path=str(ARTIFACTS / "daily.png"), full_page=True)
    page.click("text=考核")
    page.fill("input[name=from]", "2026-11-23")
    page.fill("input[name=to]", "2026-11-23")
    page.click("main form button")
    sizes = {}
    for key in ("on-time-chart", "topic-chart", "source-chart"):
        figure = page.locator(f"#{key}")
        assert figure.locator("svg").is_visible()
        sizes[key] = texts = figure.evaluate(TEXT_SIZES)
        # on a 1280-px screen no label is under 14 px; titles are larger still
        assert texts and min(t["px"] for t in texts) >= 14, (key, texts)
        assert all(t["height"] >= 14 for t in texts if t["role"] in ("label", "value")), key
        title = next(t for t in texts if t["role"] == "title")
        assert title["px"] >= 20 and title["px"] > min(t["px"] for t in texts)
    # the late claim is decided: a bar at 0%, with its counts under it
    chart = page.locator("#on-time-chart")
    assert chart.locator("rect.bar title", has_text="教体局 认领 0%（0/1）").count() == 1
    assert "教体局" in chart.inner_text() and "0/1" in chart.inner_text()
    # the chart scales with the page: half as wide, half the size
    page.set_viewport_size({"width": 640, "height": 900})
    narrow = page.locator("#on-time-chart").evaluate(TEXT_SIZES)
    assert max(t["px"] for t in narrow) < max(t["px"] for t in sizes["on-time-chart"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "assessment.png"), full_page=True)


def _shown(page: Any) -> list[int]:
    return [int(x.get_attribute("data-alert")) for x in page.locator("li.alert").all()]


def _api(page: Any, served: Served, query: str) -> set[int]:
    r = page.request.get(f"{served.base}/api/board?per_page=500&{query}")
    assert r.ok
    return {a["id"] for a in r.json()}


def test_the_board_pages_and_filters(browser: Any, served: Served) -> None:
    served.clock.at = T0
    page = sign_in(browser, served, "boss", viewport={"width": 390, "height": 844})
    page.goto(served.base + "/board?per_page=2")
    total = int(re.search(r"共 (\d+) 条", page.locator("#queue-count").inner_text())[1])
    assert total == len(_api(page, served, "")) >= 4
    seen: list[int] = []
    while True:  # the pager's own links, page after page
        shown = _shown(page)
        assert 1 <= len(shown) <= 2
        seen += shown
        forward = page.locator("nav.pager a[rel=next]")
        if forward.count() == 0:
            break
        forward.click()
        page.wait_for_load_state()
    assert sorted(seen) == sorted(_api(page, served, "")) and len(seen) == total

    form = page.locator("#queue-filters")
    form.locator("select[name=department]").select_option("zrzy")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**department=zrzy**")
    assert "per_page=2" in page.url  # the page size is kept by the form
    assert set(_shown(page)) == _api(page, served, "department=zrzy")
    assert {d.inner_text() for d in page.locator("li.alert .dept").all()} == {"自然资源局"}

    page.locator("#queue-filters input[name=q]").fill("強拆")
    page.locator("#queue-filters input[name=overdue]").check()
    page.locator("#queue-filters button[type=submit]").click()
    page.wait_for_url("**overdue=1**")
    assert _shown(page) == [] and "没有符合条件的预警" in page.locator("main").inner_text()
    served.clock.at = T0 + timedelta(hours=3)  # past the 11:00 claim deadline
    page.reload()
    expected = _api(page, served, "department=zrzy&overdue=1&q=%E5%BC%B7%E6%8B%86")
    assert expected and set(_shown(page)) == expected
    assert all(
        "overdue" in (li.get_attribute("class") or "") for li in page.locator("li.alert").all()
    )
    page.screenshot(path=str(ARTIFACTS / "board-filtered.png"), full_page=True)
    page.click("#queue-filters a.clear")
    page.wait_for_load_state()
    assert "department" not in page.url and "per_page=2" in page.url
    assert page.locator("#queue-filters select[name=department]").input_value() == ""
