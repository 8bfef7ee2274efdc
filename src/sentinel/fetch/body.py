"""Reading a response body under a cap on its decoded size.

The transport hands over raw bytes (the aiohttp transport passes auto_decompress=False, and
httpx's decoders are bypassed by reading the transport's byte stream), and gzip/deflate are
undone here with `max_length`, so a gzip bomb is stopped after `cap` bytes of output instead of
being inflated in memory. Unknown Content-Encoding tokens (servers send "utf-8", "none", …)
are passed through untouched, as browsers do; we only ask for gzip and deflate.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

GZIP = 16 + zlib.MAX_WBITS
ZLIB = zlib.MAX_WBITS
RAW_DEFLATE = -zlib.MAX_WBITS


class OverCap(Exception):
    """The decoded body passed the cap."""


class BadEncoding(Exception):
    """The body is not the gzip/deflate stream its Content-Encoding says."""


def _decoder(content_encoding: str) -> tuple[str, int] | None:
    """The (name, wbits) for the one compression we must undo; None for identity."""
    tokens = [t.strip().lower() for t in content_encoding.split(",") if t.strip()]
    tokens = [t for t in tokens if t not in ("identity", "none")]
    if len(tokens) != 1:
        return None  # none, or stacked encodings nobody sends in practice
    if tokens[0] in ("gzip", "x-gzip"):
        return ("gzip", GZIP)
    if tokens[0] == "deflate":
        return ("deflate", ZLIB)
    return None


async def read_capped(chunks: AsyncIterator[bytes], content_encoding: str, cap: int) -> bytes:
    """All of the body, decoded; OverCap as soon as it would exceed `cap` bytes."""
    decoder = _decoder(content_encoding) if content_encoding else None
    if decoder is None:
        return await _read_plain(chunks, cap)
    return await _read_compressed(chunks, decoder[1], cap)


async def _read_plain(chunks: AsyncIterator[bytes], cap: int) -> bytes:
    first: bytes | None = None
    parts: list[bytes] | None = None
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise OverCap
        if first is None:
            first = chunk  # most pages are one chunk: no join, no copy
        elif parts is None:
            parts = [first, chunk]
        else:
            parts.append(chunk)
    if parts is not None:
        return b"".join(parts)
    return first or b""


async def _read_compressed(chunks: AsyncIterator[bytes], wbits: int, cap: int) -> bytes:
    d = zlib.decompressobj(wbits)
    parts: list[bytes] = []
    size = 0
    started = False
    async for chunk in chunks:
        data = chunk
        while data:
            try:
                out = d.decompress(data, cap - size + 1)
            except zlib.error:
                if wbits == ZLIB and not started:
                    # "deflate" is often raw deflate without the zlib header (old IIS)
                    wbits = RAW_DEFLATE
                    d = zlib.decompressobj(wbits)
                    continue
                raise BadEncoding from None
            started = True
            size += len(out)
            if size > cap:
                raise OverCap
            parts.append(out)
            if d.eof:
                rest = d.unused_data
                if not rest or wbits != GZIP:
                    data = b""  # trailing junk after the stream: ignored, as browsers do
                else:
                    d = zlib.decompressobj(wbits)  # another gzip member follows
                    data = rest
            else:
                data = d.unconsumed_tail
    try:
        tail = d.flush()
    except zlib.error:
        raise BadEncoding from None
    size += len(tail)
    if size > cap:
        raise OverCap
    if tail:
        parts.append(tail)
    return b"".join(parts)
