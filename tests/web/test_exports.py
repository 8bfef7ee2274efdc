"""Reports leaders file, as PDF (WeasyPrint) and Word (python-docx): the PDF renders to a page
image (pdftoppm), its text is extractable (pdftotext) and its CJK fonts are embedded (pdffonts);
the Word file opens and holds the tables. A hostile title stays text in both."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.web.desk import Desk, client, sign_in

POPPLER = all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdffonts"))
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftoppm, pdftotext, pdffonts) is not installed"
)


def _weasyprint_or_skip() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as e:  # OSError: the system's pango is missing
        pytest.skip(f"WeasyPrint cannot run here (needs pango): {e}")


def _read_pdf(body: bytes, tmp_path: Path) -> tuple[str, str]:
    """The PDF's text, and its font list; its first page must render to a PNG."""
    assert body.startswith(b"%PDF-")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True).stdout.decode()
    return text, fonts


def _left_mm(pdf: Path) -> float:
    """Where the leftmost word of the first page starts, in mm from the page's edge."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True, capture_output=True,
    ).stdout.decode("utf-8")  # fmt: skip
    return min(float(x) for x in re.findall(r'xMin="([\d.]+)"', boxes)) * 25.4 / 72


def _embedded(fonts: str) -> None:
    rows = fonts.splitlines()[2:]  # after the header and its rule
    assert rows, fonts
    # columns: name type encoding emb sub uni object-id; every font is embedded (a subset)
    assert all(" yes " in row.split("  ", 1)[1] for row in rows), fonts


@needs_poppler
async def test_the_event_report_as_pdf_has_text_tables_and_embedded_fonts(
    desk: Desk, tmp_path: Path
) -> None:
    _weasyprint_or_skip()
    aid = desk.ids["hostile"]
    async with client(desk.app) as c:
        await sign_in(c, "wang")
        r = await c.get(f"/alerts/{aid}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    text, fonts = _read_pdf(r.content, tmp_path)
    flat = "".join(text.split())
    for heading in ("舆情专报", "一、舆情概况", "二、传播情况", "三、处置经过", "五、证据链接"):
        assert heading in flat, heading
    assert "<script>alert(1)</script>" in flat  # the hostile title, as text
    _embedded(fonts)


@needs_poppler
async def test_the_daily_log_and_the_assessment_as_pdf(desk: Desk, tmp_path: Path) -> None:
    _weasyprint_or_skip()
    async with client(desk.app) as c:
        await sign_in(c, "ld")
        daily = await c.get("/reports/daily.pdf?date=2026-11-23")
        assessment = await c.get("/reports/assessment.pdf?from=2026-11-01&to=2026-11-30")
    (tmp_path / "d").mkdir()
    (tmp_path / "a").mkdir()
    text, fonts = _read_pdf(daily.content, tmp_path / "d")
    assert "舆情日志" in "".join(text.split())
    _embedded(fonts)
    flat = "".join(text.split())
    # the week's new alerts by topic and sources' health, as text in the PDF (not pictures)
    assert "各主题新增舆情（按日）" in flat and "征地拆迁2" in flat and "信息源运行状况" in flat
    text, _ = _read_pdf(assessment.content, tmp_path / "a")
    # the official layout's margins (28 mm on the left), not the printable page's 1.5 cm
    assert _left_mm(tmp_path / "a" / "report.pdf") == pytest.approx(28, abs=0.5)
    flat = "".join(text.split())
    assert "考核统计" in flat and "自然资源局" in flat and "—1—" in flat  # rows, page number
    # its three charts: nothing due yet in the period (no bars of 0%), topics, sources
    for label in ("各单位按时办理率", "本期尚无到期的办理环节", "各主题新增舆情", "信息源运行状况"):
        assert label in flat, label


async def test_word_files_open_and_hold_the_tables(desk: Desk) -> None:
    from docx import Document

    aid = desk.ids["hostile"]
    async with client(desk.app) as c:
        await sign_in(c, "boss")
        event = await c.get(f"/alerts/{aid}/report.docx")
        daily = await c.get("/reports/daily.docx?date=2026-11-23")
        assessment = await c.get("/reports/assessment.docx?from=2026-11-01&to=2026-11-30")
    assert event.headers["content-type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(event.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[1] == "舆情专报" and "二、传播情况" in texts
    overview = doc.tables[0]
    assert overview.cell(1, 0).text == "标题" and "<script>" in overview.cell(1, 1).text
    spread = doc.tables[1]
    assert [c.text for c in spread.rows[0].cells] == ["来源", "标题", "发布时间", "回复", "浏览"]
    assert len(spread.rows) >= 2
    log = Document(io.BytesIO(daily.content))
    assert "舆情日志" in [p.text for p in log.paragraphs]
    stories = next(t for t in log.tables if t.cell(0, 0).text == "编号")
    assert len(stories.rows) > 1
    doc = Document(io.BytesIO(assessment.content))
    table = doc.tables[0]
    assert table.cell(0, 0).text == "单位"
    assert table.cell(0, len(table.columns) - 1).text == "按时认领率"
    assert len(table.rows) > 1
    # the charts as pictures: on-time rates, topics, sources' health; two in the daily log
    _pictures(doc, 3)
    _pictures(log, 2)
    assert not Document(io.BytesIO(event.content)).inline_shapes


def _pictures(doc: Any, n: int) -> None:
    from PIL import Image

    from sentinel.reports.charts.raster import NoChartFont, fonts

    try:
        fonts()
    except NoChartFont as e:  # the document says so where each chart would stand
        assert any("未能生成" in p.text for p in doc.paragraphs)
        pytest.skip(str(e))
    shapes = doc.inline_shapes
    assert len(shapes) == n
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        png = doc.part.related_parts[blip].blob
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width == 1920  # 640 units at 3 px each
        assert round(shape.width.mm) == 156  # the text's width on A4


async def test_an_officer_gets_no_report_of_another_departments_alert(desk: Desk) -> None:
    async with client(desk.app) as c:
        await sign_in(c, "li")
        assert (await c.get(f"/alerts/{desk.ids['hostile']}/report.docx")).status_code == 404
        assert (await c.get("/reports/daily.docx")).status_code == 403
