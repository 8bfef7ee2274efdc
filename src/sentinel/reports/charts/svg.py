"""A Drawing as an SVG element, for the desk's pages, the printable documents and their PDFs.

Built as an ElementTree, so the serializer escapes every label — topic, department and source
names come from the configuration, yet no text is ever pasted into markup. Only presentation
attributes are used (no style attribute), which the desk's Content-Security-Policy allows.
The viewBox and width="100%" let the chart scale to the column it stands in.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from sentinel.reports.charts.drawing import FONT_FAMILY, Drawing, Line, Rect, Text


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def to_svg(d: Drawing) -> str:
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {_num(d.width)} {_num(d.height)}",
            "width": "100%",
            "role": "img",
            "aria-label": d.title,
            "class": "chart",
            "font-family": FONT_FAMILY,
        },
    )
    ET.SubElement(root, "title").text = d.title
    for s in d.shapes:
        if isinstance(s, Rect):
            attrs = {
                "x": _num(s.x), "y": _num(s.y), "width": _num(max(0.0, s.w)),
                "height": _num(max(0.0, s.h)), "fill": s.fill,
            }  # fmt: skip
            if s.stroke:
                attrs["stroke"] = s.stroke
            if s.role:
                attrs["class"] = s.role
            rect = ET.SubElement(root, "rect", attrs)
            if s.tip:
                ET.SubElement(rect, "title").text = s.tip
        elif isinstance(s, Line):
            attrs = {
                "x1": _num(s.x1), "y1": _num(s.y1), "x2": _num(s.x2), "y2": _num(s.y2),
                "stroke": s.stroke, "stroke-width": _num(s.width),
            }  # fmt: skip
            if s.dashed:
                attrs["stroke-dasharray"] = "4 4"
            ET.SubElement(root, "line", attrs)
        elif isinstance(s, Text):
            attrs = {
                "x": _num(s.x), "y": _num(s.y), "font-size": _num(s.size), "fill": s.fill,
            }  # fmt: skip
            if s.anchor != "start":
                attrs["text-anchor"] = s.anchor
            if s.bold:
                attrs["font-weight"] = "bold"
            if s.role:
                attrs["class"] = s.role
            ET.SubElement(root, "text", attrs).text = s.text
    return ET.tostring(root, encoding="unicode")
