"""Password hashes (argon2id), made and checked off the event loop.

One argon2 check costs tens to hundreds of milliseconds of CPU and 64 MiB: on the event loop it
would stall every other request of the desk for that long, so it runs in a small pool of its
own (two at a time, which also caps the memory a burst of sign-ins can take). A login that does
not exist is checked against a dummy hash made with the same parameters, so a wrong login takes
as long to refuse as a wrong password and the timing tells nobody which logins exist.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2

T = TypeVar("T")

HASHER = argon2.PasswordHasher()
# Module-wide, not per event loop: a pool is not bound to a loop, as asyncio's primitives are.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sentinel-argon2")


@functools.cache
def _dummy() -> str:
    return HASHER.hash(secrets.token_urlsafe(24))


def _check(stored: str | None, password: str) -> bool:
    try:
        ok = HASHER.verify(stored if stored is not None else _dummy(), password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False
    return ok and stored is not None


async def _off_loop(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_POOL, fn, *args)


async def hash_password(password: str) -> str:
    return await _off_loop(HASHER.hash, password)


async def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches the hash `stored`; None (no such user) is always False, after
    the same work as a real check."""
    return await _off_loop(_check, stored, password)
