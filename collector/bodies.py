"""Reading a request's body: bounded in size (also after gzip) and in time."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class BodyTooLarge(Exception):
    pass


class BodyTimeout(Exception):
    """The body did not arrive within its deadline: a slow or stalled client."""


async def read_body(receive: Receive, limit: int, timeout_s: float) -> bytes:
    """The whole body, or BodyTooLarge past ``limit`` bytes, or BodyTimeout if it has not
    all arrived within ``timeout_s`` (a client trickling bytes holds a connection open)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _read(receive, limit)
    except TimeoutError:
        raise BodyTimeout(f"the body did not arrive within {timeout_s:g} s") from None


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def gunzip(body: bytes, limit: int) -> bytes:
    """A gzip body, decompressed up to ``limit`` bytes (a small body may inflate enormously)."""
    inflater = zlib.decompressobj(wbits=31)
    plain = inflater.decompress(body, limit + 1)
    if len(plain) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge
    return plain
