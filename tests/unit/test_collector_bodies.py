"""Reading a body against its deadline: the one watchdog of a process's reads times out the
slow ones and only them, in every event loop it is used from."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from collector.bodies import BodyReader, BodyTimeout, BodyTooLarge


def stalled_after(first: bytes) -> Any:
    """A receive that gives ``first`` and then waits for ever (the rest never comes)."""
    arrived = [{"type": "http.request", "body": first, "more_body": True}]
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if arrived:
            return arrived.pop()
        await never.wait()
        return {"type": "http.disconnect"}

    return receive


def in_chunks(*chunks: bytes, pause_s: float = 0.0) -> Any:
    """A receive that gives ``chunks`` one by one, ``pause_s`` apart."""
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(pause_s)
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return receive


def test_a_stalled_body_times_out_while_others_arrive_whole() -> None:
    bodies = BodyReader(0.5)

    async def scenario() -> list[Any]:
        stalled = asyncio.create_task(bodies.read(stalled_after(b'{"a":'), 1000))
        quick = [bodies.read(in_chunks(b"[1,", b"2]", pause_s=0.01), 1000) for _ in "abc"]
        return await asyncio.gather(*quick, stalled, return_exceptions=True)

    results = asyncio.run(asyncio.wait_for(scenario(), timeout=10))
    assert results[:3] == [b"[1,2]"] * 3
    assert isinstance(results[3], BodyTimeout)
    assert "0.5 s" in str(results[3])


def test_a_read_cancelled_by_someone_else_is_cancelled_not_timed_out() -> None:
    bodies = BodyReader(30)

    async def scenario() -> None:
        read = asyncio.create_task(bodies.read(stalled_after(b"["), 1000))
        await asyncio.sleep(0.01)
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def test_the_bodies_hold_in_each_event_loop_they_are_used_from() -> None:
    bodies = BodyReader(0.05)  # as an app is, across the tests' asyncio.run calls
    for _ in range(3):
        with pytest.raises(BodyTimeout):
            asyncio.run(asyncio.wait_for(bodies.read(stalled_after(b"["), 100), 10))
        assert asyncio.run(bodies.read(in_chunks(b"{}"), 100)) == b"{}"


def test_a_task_that_reads_again_after_a_timeout_gets_a_new_deadline() -> None:
    bodies = BodyReader(0.3)

    async def scenario() -> bytes:
        with pytest.raises(BodyTimeout):
            await bodies.read(stalled_after(b"["), 100)
        await asyncio.sleep(0.4)  # past the first deadline: it must not hit this read
        return await bodies.read(in_chunks(b"[", b"]", pause_s=0.01), 100)

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=10)) == b"[]"


def test_a_body_over_its_limit_in_one_chunk_or_in_several_is_too_large() -> None:
    bodies = BodyReader(30)
    with pytest.raises(BodyTooLarge):
        asyncio.run(bodies.read(in_chunks(b"x" * 11), 10))
    with pytest.raises(BodyTooLarge):
        asyncio.run(bodies.read(in_chunks(b"x" * 6, b"x" * 5), 10))
    assert asyncio.run(bodies.read(in_chunks(b"x" * 6, b"x" * 4), 10)) == b"x" * 10
