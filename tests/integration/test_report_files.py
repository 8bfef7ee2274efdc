"""`sentinel report daily|assessment|event --pdf FILE --docx FILE`: the command line writes the
documents the desk serves — a PDF whose text can be extracted, a Word file that opens with its
tables and charts — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from sentinel.cli import app
from tests.cli_kit import invoke, patrolled_county
from tests.servers import LocalSite

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
POPPLER = shutil.which("pdftotext") is not None


@pytest.fixture
def env(site: LocalSite, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENTINEL_NOW", "2026-11-23T13:00:00+08:00")  # claims are late by now
    patrolled_county(site, tmp_path / "cfg", db_url, monkeypatch, T0)
    assert invoke("sweep")[0] == 0  # late claims, charged: the on-time chart has bars
    return tmp_path


def _pdf_text(path: Path) -> str:
    assert path.read_bytes().startswith(b"%PDF-")
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    return "".join(out.stdout.decode("utf-8").split())


def _weasyprint_or_skip() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as e:
        pytest.skip(f"WeasyPrint cannot run here (needs pango): {e}")


def test_the_daily_log_and_the_assessment_as_pdf_and_word(env: Path) -> None:
    from docx import Document

    _weasyprint_or_skip()
    pdf, docx = env / "daily.pdf", env / "daily.docx"
    code, out, err = invoke("report", "daily", "--date", "2026-11-23", "--pdf", str(pdf),
                            "--docx", str(docx))  # fmt: skip
    assert code == 0, err
    assert out == "" and f"舆情日志-2026-11-23.pdf: {pdf}" in err  # what was written where
    text = _pdf_text(pdf)
    assert "舆情日志" in text and "各主题新增舆情（按日）" in text and "信息源运行状况" in text
    log = Document(str(docx))
    stories = next(t for t in log.tables if t.cell(0, 0).text == "编号")
    assert len(stories.rows) == 5  # the header and the day's four stories
    assert len(log.inline_shapes) == 2  # the week by topic, sources' health

    pdf, docx = env / "a.pdf", env / "a.docx"
    code, _, err = invoke("report", "assessment", "--from", "2026-11-01", "--to", "2026-11-30",
                          "--pdf", str(pdf), "--docx", str(docx))  # fmt: skip
    assert code == 0, err
    text = _pdf_text(pdf)
    # every department let its claim pass the deadline: 0% on each bar, with its counts
    assert "各单位按时办理率" in text and "自然资源局" in text and "0%0/1" in text
    doc = Document(str(docx))
    table = doc.tables[0]
    assert table.cell(0, 0).text == "单位" and len(table.rows) == 6  # 4 departments + lead
    assert len(doc.inline_shapes) == 3


def test_an_events_special_report_as_pdf_word_and_html(env: Path) -> None:
    from docx import Document

    code, out, _ = invoke("alerts", "list", "--json")
    aid = json.loads(out)[0]["id"]
    docx = env / "event.docx"
    code, _, err = invoke("report", "event", str(aid), "--docx", str(docx))
    assert code == 0, err
    doc = Document(str(docx))
    assert [p.text for p in doc.paragraphs][1] == "舆情专报"
    assert [c.text for c in doc.tables[1].rows[0].cells] == [
        "来源",
        "标题",
        "发布时间",
        "回复",
        "浏览",
    ]
    code, out, _ = invoke("report", "event", str(aid), "--html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "一、舆情概况" in out
    # a PDF to stdout, for a pipe
    _weasyprint_or_skip()
    result = CliRunner().invoke(app, ["report", "event", str(aid), "--pdf", "-"])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"%PDF-")


def test_report_files_refuse_what_cannot_be(env: Path) -> None:
    code, _, err = invoke("report", "event", "999999", "--docx", str(env / "x.docx"))
    assert code == 1 and "error:" in err and not (env / "x.docx").exists()
    code, _, err = invoke("report", "event", "1")
    assert code == 2 and "--pdf FILE" in err
    code, _, err = invoke("report", "daily", "--pdf", "-", "--docx", "-")
    assert code == 2 and "only one document" in err
    code, _, err = invoke("report", "daily", "--docx", str(env / "no" / "such" / "dir.docx"))
    assert code == 1 and "cannot write" in err
