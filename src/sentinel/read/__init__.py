"""Read: a source's pages fetched and extracted, with nothing stored (below the patrol).

pages.py    ListRead, DetailRead; read_list and read_details; LocalReader (this process)
scouts.py   ScoutPool: the same reads in scout processes, one host always in the same one
scout.py    the scout process itself (`python -m sentinel.read.scout FD`)
"""

from __future__ import annotations

from sentinel.read.pages import DetailRead, ListRead, LocalReader, Reader, read_details, read_list
from sentinel.read.scouts import ScoutPool

__all__ = [
    "DetailRead",
    "ListRead",
    "LocalReader",
    "Reader",
    "ScoutPool",
    "read_details",
    "read_list",
]
