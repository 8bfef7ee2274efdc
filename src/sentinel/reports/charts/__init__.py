"""Charts for leaders, drawn on the server: per-department on-time rates, new alerts by topic
over time, and sources' health. Each is a Drawing that becomes SVG for the desk and the PDF
(WeasyPrint runs no script, and an office's intranet may reach no CDN) and PNG for Word."""

from sentinel.reports.charts.drawing import Drawing
from sentinel.reports.charts.raster import NoChartFont
from sentinel.reports.charts.rates import on_time_chart
from sentinel.reports.charts.sources import source_chart
from sentinel.reports.charts.topics import topic_chart

__all__ = ["Drawing", "NoChartFont", "on_time_chart", "source_chart", "topic_chart"]
