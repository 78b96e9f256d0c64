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


class BodyReader:
    """Reads bodies of at most a size, each within ``timeout_s`` of its read's start.

    One watchdog task keeps the deadline of every body being read in the process and
    cancels a read past its deadline, which :meth:`read` turns into BodyTimeout: not a timer
    per read (``asyncio.timeout``, ``loop.call_later``), so starting a read costs a
    dictionary entry (docs/tuning.md). The reads share one timeout, so they are in the
    dictionary in the order of their deadlines and the watchdog sleeps until the first
    one's; it stops when nothing is being read, and the next read starts it again, in
    whichever event loop that read runs."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._reads: dict[asyncio.Task[Any], float] = {}  # a read's task: its deadline
        self._expired: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.Task[None] | None = None

    async def read(self, receive: Receive, limit: int) -> bytes:
        """The whole body, or BodyTooLarge past ``limit`` bytes, or BodyTimeout if it has
        not all arrived by its deadline (a client trickling bytes holds a connection open)."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a body is read in a task of a running event loop")
        loop = task.get_loop()
        watchdog = self._watchdog
        if watchdog is None or watchdog.get_loop() is not loop:
            self._watchdog = loop.create_task(self._watch(loop), name="body-deadlines")
        self._reads[task] = loop.time() + self.timeout_s
        try:
            message = await receive()
            body: bytes = message.get("body", b"")
            if len(body) > limit:
                raise BodyTooLarge
            if not message.get("more_body", False) or message["type"] == "http.disconnect":
                return body  # the common case: the whole body in one message
            return await _read_rest(receive, limit, body)
        except asyncio.CancelledError:
            # The watchdog's cancellation arrives where the read waits for the next chunk.
            if task not in self._expired:
                raise  # cancelled by someone else: the request is being torn down
            self._expired.discard(task)
            task.uncancel()
            raise BodyTimeout(f"the body did not arrive within {self.timeout_s:g} s") from None
        finally:
            self._reads.pop(task, None)

    async def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self._reads:
                task, deadline = next(iter(self._reads.items()))
                wait = deadline - loop.time()
                if wait > 0 and task.get_loop() is loop:
                    await asyncio.sleep(wait)
                    continue
                del self._reads[task]
                if task.get_loop() is loop:  # else left by a loop that is gone
                    self._expired.add(task)
                    task.cancel()
        finally:
            if self._watchdog is asyncio.current_task():
                self._watchdog = None


async def _read_rest(receive: Receive, limit: int, first: bytes) -> bytes:
    chunks = [first]
    size = len(first)
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
