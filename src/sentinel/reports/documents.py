"""Reports leaders file: PDF (WeasyPrint, from the printable HTML) and Word (python-docx).

The layout follows the official-document format (GB/T 9704-2012) as far as a report needs it:
A4, margins 37/26/35/28 mm, the office's name in red over a red rule, a centred title in a
song typeface, body text in fangsong, page numbers as "— 1 —". WeasyPrint embeds the subset
of each CJK font the PDF uses, so it reads the same on a machine without those fonts; Word
documents name their fonts (宋体, 仿宋) as Word documents do.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sentinel.errors import SentinelError
from sentinel.reports.charts import Drawing, NoChartFont

# A chart in Word: the text's width (A4 less the margins), painted at 3 px a unit, about 300
# dpi at that width, so it prints as sharp as the text around it.
FIGURE_MM = 156
FIGURE_SCALE = 3.0
# Fonts in order: what Windows offices have, then Debian's Noto CJK and WenQuanYi.
SONG = '"SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", "WenQuanYi Zen Hei"'
FANGSONG = '"FangSong", "STFangsong", "Noto Serif CJK SC", "WenQuanYi Zen Hei"'

OFFICIAL_CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-center {{ content: "— " counter(page) " —"; font: 14pt {FANGSONG}; }} }}
body {{ margin: 0; font: 12pt/1.6 {FANGSONG}; color: #000; }}
.masthead {{ color: #c00; font: bold 26pt {SONG}; text-align: center; margin: 0 0 4mm;
  padding-bottom: 3mm; border-bottom: 1.5pt solid #c00; }}
h1 {{ font: bold 20pt {SONG}; text-align: center; margin: 6mm 0 2mm; }}
h2 {{ font: bold 14pt {SONG}; margin: 6mm 0 2mm; }}
.meta {{ text-align: center; color: #000; font-size: 11pt; }}
table {{ font-size: 10.5pt; }}
th, td {{ border: 0.5pt solid #000; }}
th {{ background: none; }}
.links li {{ font-size: 9pt; word-break: break-all; }}
"""


@dataclass(frozen=True, kw_only=True, slots=True)
class Section:
    """A numbered part of a Word document: its heading, paragraphs, charts (as pictures), and
    a table whose first row is the header."""

    heading: str
    paragraphs: Sequence[str] = ()
    figures: Sequence[Drawing] = ()
    table: Sequence[Sequence[Any]] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class WordDoc:
    masthead: str  # the office's name, in red
    title: str
    meta: str  # the line under the title: the period or number, when it was made
    sections: Sequence[Section]


log = logging.getLogger(__name__)


class ExportUnavailable(SentinelError):
    """A document format cannot be made on this machine (a library or system package lacks)."""


def pdf(html: str) -> bytes:
    """The printable HTML document as a PDF in the official layout, fonts embedded."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: the system's pango is missing
        raise ExportUnavailable(
            f"PDF export needs WeasyPrint and the system's pango (Debian: libpango-1.0-0): {e}"
        ) from e
    # After the page's own <style>, so the official layout wins where both set something
    # (a stylesheet handed to write_pdf is a user's, and loses to any rule of the page's:
    # the page's 1.5 cm margins and sans-serif body used to be what the PDF got).
    official = html.replace("</head>", f"<style>{OFFICIAL_CSS}</style>\n</head>", 1)
    out = HTML(string=official).write_pdf()
    assert out is not None
    return bytes(out)


def docx(word: WordDoc) -> bytes:
    """A Word document: masthead, title, then per section a heading, paragraphs, and a table."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def font(run: Any, name: str, size: float, *, bold: bool = False) -> None:
        run.font.name = name
        run.font.size = Pt(size)
        run.font.bold = bold
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)

    normal = doc.styles["Normal"]
    normal.font.name = "仿宋"
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(word.masthead)
    font(run, "宋体", 22, bold=True)
    run.font.color.rgb = RGBColor(0xCC, 0, 0)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(heading.add_run(word.title), "宋体", 20, bold=True)
    info = doc.add_paragraph()
    info.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(info.add_run(word.meta), "仿宋", 11)

    for part in word.sections:
        font(doc.add_paragraph().add_run(part.heading), "黑体", 14, bold=True)
        for text in part.paragraphs:
            doc.add_paragraph(text)
        for figure in part.figures:
            _picture(doc, figure)
        table = part.table
        if table:
            grid = doc.add_table(rows=0, cols=len(table[0]))
            grid.style = "Table Grid"
            for i, row in enumerate(table):
                cells = grid.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = "" if value is None else str(value)
                    if i == 0:
                        for r in cell.paragraphs[0].runs:
                            r.font.bold = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _picture(doc: Any, figure: Drawing) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    try:
        png = figure.png(FIGURE_SCALE)
    except NoChartFont as e:  # the document stays useful: its tables carry the figures
        log.warning("chart left out of a Word document: %s", e)
        doc.add_paragraph(f"（图表“{figure.title}”未能生成：本机没有中文字体。）")
        return
    doc.add_picture(io.BytesIO(png), width=Mm(FIGURE_MM))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
