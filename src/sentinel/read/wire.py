"""What the patrol and its scout processes say to each other over a Unix socket.

A frame is a 4-byte big-endian length and a pickle. Both ends are this package, started from
the same installation, so pickle is the honest format: no schema to keep in step, and Posts and
Pages cross as they are. Exceptions cross as (class, args, attributes) because several of ours
take keyword-only arguments that pickle's default rebuild would not pass.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

_HEADER = struct.Struct(">I")

Packed = tuple[type[BaseException], tuple[Any, ...], dict[str, Any]]


def frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next object, or None when the other end has closed."""
    try:
        header = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        return pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None


def pack_error(e: BaseException) -> Packed:
    state = dict(getattr(e, "__dict__", {}))
    try:
        pickle.dumps((type(e), e.args, state))
    except Exception:  # an attribute that cannot cross: keep the class and the message
        return RuntimeError, (f"{type(e).__name__}: {e}",), {}
    return type(e), e.args, state


def unpack_error(packed: Packed) -> BaseException:
    cls, args, state = packed
    e = cls.__new__(cls)
    e.args = args
    e.__dict__.update(state)
    return e
