"""Reports leaders file — the daily log, the assessment, an event's special report — as
printable HTML, PDF and Word, with their charts. Below both the desk (`sentinel.web`) and the
command line (`sentinel report`), which serve and write the same documents."""

from sentinel.reports.documents import ExportUnavailable
from sentinel.reports.filed import (
    MEDIA_TYPES,
    Filed,
    Format,
    assessment_report,
    daily_report,
    day_bounds,
    event_report,
)
from sentinel.reports.office import Office

__all__ = [
    "MEDIA_TYPES",
    "ExportUnavailable",
    "Filed",
    "Format",
    "Office",
    "assessment_report",
    "daily_report",
    "day_bounds",
    "event_report",
]
