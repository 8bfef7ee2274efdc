"""Digests and pushes rendered from hostile crawled text: content present, markup inert."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from sentinel.notify import (
    Digest,
    DigestAlert,
    digest_message,
    push_message,
    render_digest,
    render_digest_markdown,
    render_push,
)
from sentinel.notify.digest import md, safe_url

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 9, 10, 0, tzinfo=TZ)
HOSTILE = (
    '<script>alert(1)</script><img src=x onerror="alert(2)"> '
    '[点此领取补贴](javascript:alert(3)) <at user_id="all">所有人</at> http://phish.example/x'
)


def alert(**kw: object) -> DigestAlert:
    base: dict[str, object] = {
        "id": 7,
        "title": "某小区拆迁补偿纠纷",
        "sources": ("某论坛",),
        "severity": "major",
        "department": "zjj",
        "detected_at": NOW - timedelta(hours=2),
        "deadlines": {"claim": NOW + timedelta(hours=1)},
        "words": ("拆迁", "补偿"),
        "url": "https://yq.example.gov.cn/alerts/7",
        "post_url": "http://bbs.example.cn/thread-1.html",
    }
    base.update(kw)
    return DigestAlert(**base)  # type: ignore[arg-type]


def digest(*alerts: DigestAlert) -> Digest:
    return Digest(
        department="住建局",
        recipients=("duty@zjj.example.gov.cn",),
        alerts=alerts,
        generated_at=NOW,
        office="区网信办舆情值班室",
    )


class _Audit(HTMLParser):
    """Every tag, attribute and href in a document, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.append(name)
            if name in ("href", "src"):
                self.hrefs.append(value or "")


def audit(html: str) -> _Audit:
    a = _Audit()
    a.feed(html)
    return a


def test_digest_shows_every_field_in_local_time() -> None:
    subject, text, html = render_digest(digest(alert()))
    # the counts first, so a folded subject still shows them
    assert subject == "【区网信办舆情值班室】共 1 条｜住建局舆情摘要 2026-10-09 10:00"
    for part in (text, html):
        assert "某小区拆迁补偿纠纷" in part
        assert "某论坛" in part
        assert "重大" in part
        assert "拆迁、补偿" in part
        assert "认领期限：2026-10-09 11:00" in part  # Asia/Shanghai, not UTC
        assert "https://yq.example.gov.cn/alerts/7" in part
        assert "已超期" not in part
    assert 'href="https://yq.example.gov.cn/alerts/7"' in html


def test_utc_deadlines_are_shown_in_shanghai_time() -> None:
    utc = datetime(2026, 10, 9, 3, 0, tzinfo=ZoneInfo("UTC"))
    _, text, _ = render_digest(digest(alert(deadlines={"first_report": utc})))
    assert "首报（研判及处置意见）期限：2026-10-09 11:00" in text


def test_overdue_deadlines_are_marked_and_counted() -> None:
    late = alert(
        id=8, deadlines={"claim": NOW - timedelta(minutes=1), "reply": NOW + timedelta(days=3)}
    )
    subject, text, html = render_digest(digest(alert(), late))
    assert "1 条超期" in subject
    assert "认领期限：2026-10-09 09:59（已超期）" in text
    assert "公开答复期限：2026-10-12 10:00" in text
    assert "公开答复期限：2026-10-12 10:00（已超期）" not in text
    assert "1 条已超期</strong>" in html and "[已超期]" in html


def test_critical_alerts_come_first() -> None:
    _, text, _ = render_digest(
        digest(alert(id=1, title="甲"), alert(id=2, title="乙", severity="critical"))
    )
    assert text.index("乙") < text.index("甲")
    assert "1. [紧急] 乙" in text


def test_hostile_title_renders_inert_in_html() -> None:
    evil = alert(title=HOSTILE, words=("<b>补偿</b>",), sources=('论坛"><svg onload=x>',))
    _, text, html = render_digest(digest(evil))
    found = audit(html)
    assert "script" not in found.tags and "img" not in found.tags and "svg" not in found.tags
    assert "onerror" not in found.attrs and "onload" not in found.attrs
    assert "b" not in found.tags and "at" not in found.tags
    assert all(h.startswith(("http://", "https://")) for h in found.hrefs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the plain text keeps the words as they were: text cannot execute
    assert "<script>alert(1)</script>" in text


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        'http://x.example/" onmouseover="alert(1)',
        "//evil.example/x",
        "vbscript:msgbox(1)",
    ],
)
def test_only_http_links_survive(link: str) -> None:
    _, text, html = render_digest(digest(alert(post_url=link, url=link)))
    found = audit(html)
    assert found.hrefs == []
    assert "onmouseover" not in found.attrs
    assert "原文" not in text and "认领：" not in text


def test_safe_url() -> None:
    assert safe_url("https://a.example/x?y=1&z=2") == "https://a.example/x?y=1&z=2"
    assert safe_url("http://a.example") == "http://a.example"
    for bad in ("javascript:x", "ftp://a.example/", "https://", "http://a b", None, ""):
        assert safe_url(bad) == ""


def test_markdown_defangs_links_images_and_mentions() -> None:
    text = render_digest_markdown(digest(alert(title=HOSTILE + " ![](http://t.example/p.png)")))
    line = next(ln for ln in text.splitlines() if "alert（1）" in ln)
    for char in "[]()<>!":
        assert char not in line.split("重大", 1)[1]
    assert "http://phish" not in text  # no bare link for the client to auto-link
    assert "[认领](https://yq.example.gov.cn/alerts/7)" in text  # our own link still works
    assert md("a\nb") == "a b"


def test_push_names_the_alert_and_asks_for_an_immediate_claim() -> None:
    crit = alert(severity="critical", title="<b>桥梁垮塌</b>")
    subject, text, html = render_push(crit, office="值班室", now=NOW)
    assert subject == "【值班室】紧急舆情，请立即认领：<b>桥梁垮塌</b>"
    assert "请立即认领处置" in text and "认领：https://yq.example.gov.cn/alerts/7" in text
    assert "b" not in audit(html).tags and "&lt;b&gt;桥梁垮塌&lt;/b&gt;" in html


def test_messages_carry_every_form_and_a_structured_payload() -> None:
    m = digest_message(digest(alert()), key="digest:zjj:2026-10-09T10:00")
    assert m.recipients == ("duty@zjj.example.gov.cn",)
    assert m.payload["alerts"][0]["deadlines"]["claim"] == "2026-10-09T11:00:00+08:00"
    assert m.subject and m.text and m.html and m.markdown
    p = push_message(alert(severity="critical"), recipients=["a@b.cn"], now=NOW, key="k")
    assert p.kind == "push" and p.payload["alert"]["severity"] == "critical"


def test_source_health_section_is_in_chinese_and_inert() -> None:
    from dataclasses import replace

    from sentinel.notify.digest import SourceNote

    raised = SourceNote(
        source="bbs",
        state="blocked",
        reason=HOSTILE,
        since=NOW - timedelta(hours=1),
        event="raised",
    )
    cleared = SourceNote(source="feed", state="ok", since=NOW, event="cleared")
    down = SourceNote(source="bbs", state="unreachable", reason=HOSTILE, since=NOW)
    d = replace(digest(), health_events=(raised, cleared), unhealthy=(down,))
    subject, text, html = render_digest(d)
    assert "1 个数据源异常" in subject
    assert "数据源状况" in text and "2026-10-09 09:00 bbs 出现异常：被拦截" in text
    assert (
        "2026-10-09 10:00 feed 已恢复" in text and "bbs：无法访问，自 2026-10-09 10:00 起" in text
    )
    found = audit(html)
    assert "script" not in found.tags and "img" not in found.tags and "at" not in found.tags
    assert "onerror" not in found.attrs and found.hrefs == []
    assert "&lt;script&gt;" in html and "无法访问" in html
    markdown = render_digest_markdown(d)
    line = next(ln for ln in markdown.splitlines() if "无法访问" in ln)
    assert not any(c in line for c in "[]()<>") and "http://phish" not in markdown
    payload = digest_message(d).payload
    assert payload["sources_not_ok"][0]["state"] == "unreachable"
    assert [e["event"] for e in payload["source_events"]] == ["raised", "cleared"]
    # other departments' digests have no such section
    assert "数据源状况" not in render_digest(digest())[1]
