"""Near-duplicate grouping: reposts of one story across sources become one story."""

from __future__ import annotations

from sentinel.cluster.index import StoryIndex
from sentinel.cluster.minhash import (
    Signature,
    from_bytes,
    signature,
    similarity,
    title_similarity,
    to_bytes,
)

__all__ = [
    "Signature",
    "StoryIndex",
    "from_bytes",
    "signature",
    "similarity",
    "title_similarity",
    "to_bytes",
]
