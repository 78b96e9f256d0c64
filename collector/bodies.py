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


class BodyDeadlines:
    """The deadline of every body being read in one process, ``timeout_s`` after its read
    began, kept by one watchdog task: it cancels a read past its deadline, which
    :func:`read_body` turns into BodyTimeout.

    One watchdog for every read, not a timer per read (``asyncio.timeout``,
    ``loop.call_later``): starting a read costs a dictionary entry (docs/tuning.md). The reads
    share one timeout, so they are in the dictionary in the order of their deadlines and the
    watchdog sleeps until the first one's; it stops when nothing is being read, and the next
    read starts it again, in whichever event loop that read runs."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._reads: dict[asyncio.Task[Any], float] = {}  # a read's task: its deadline
        self._expired: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.Task[None] | None = None

    def begin(self) -> asyncio.Task[Any]:
        """The current task, which starts reading a body now."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a body is read in a task of a running event loop")
        loop = task.get_loop()
        watchdog = self._watchdog
        if watchdog is None or watchdog.get_loop() is not loop:
            self._watchdog = loop.create_task(self._watch(loop), name="body-deadlines")
        self._reads[task] = loop.time() + self.timeout_s
        return task

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """Whether the watchdog cancelled ``task`` for passing its deadline."""
        return task in self._expired

    def end(self, task: asyncio.Task[Any]) -> None:
        """The read of ``task`` is over."""
        self._reads.pop(task, None)
        self._expired.discard(task)

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


async def read_body(receive: Receive, limit: int, deadlines: BodyDeadlines) -> bytes:
    """The whole body, or BodyTooLarge past ``limit`` bytes, or BodyTimeout if it has not
    all arrived by its deadline (a client trickling bytes holds a connection open)."""
    task = deadlines.begin()
    try:
        return await _read(receive, limit)
    except asyncio.CancelledError:
        # The watchdog's cancellation arrives where the read waits for the next chunk.
        if not deadlines.expired(task):
            raise  # cancelled by someone else: the request is being torn down
        task.uncancel()
        raise BodyTimeout(f"the body did not arrive within {deadlines.timeout_s:g} s") from None
    finally:
        deadlines.end(task)


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
