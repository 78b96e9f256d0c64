"""Where accepted records go: Kafka (with the durable spool behind it), or nowhere.

:class:`KafkaSink` waits for the broker's acknowledgement (acks=all, idempotent producer)
before a request is answered; a record the broker does not acknowledge within the delivery
timeout goes to the fsync'd spool instead, and from then on new records go to the spool too
(so they stay in order) until the replay task (:mod:`collector.replay`) has drained it back
into Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from collector.metrics import Metrics
from collector.records import Record
from collector.replay import SpoolReplay
from collector.spool import Spool, spooled_bytes


class Delivery(enum.StrEnum):
    KAFKA = "kafka"
    SPOOL = "spool"
    DISCARDED = "discarded"  # the no-op sink of the benchmark


class Sink(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, records: Sequence[Record]) -> Delivery:
        """Make ``records`` durable; raises SpoolFull if that is impossible."""
        ...

    def health(self) -> dict[str, Any]: ...


class NoopSink:
    """Accepts and discards: the framework's ceiling in the benchmark."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, records: Sequence[Record]) -> Delivery:
        return Delivery.DISCARDED

    def health(self) -> dict[str, Any]:
        return {"sink": "noop"}


class MemorySink:
    """Keeps records in a list: for unit tests of the HTTP layer."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, records: Sequence[Record]) -> Delivery:
        self.records.extend(records)
        return Delivery.KAFKA

    def health(self) -> dict[str, Any]:
        return {"sink": "memory", "records": len(self.records)}


def producer_config(bootstrap: str, delivery_timeout_s: float, linger_ms: float) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "client.id": "beacon-collector",
        "acks": "all",
        "enable.idempotence": True,
        "compression.type": "lz4",
        "linger.ms": linger_ms,
        # Small produce requests go out at once, not after the previous one's TCP ACK.
        "socket.nagle.disable": True,
        "batch.num.messages": 10_000,
        "queue.buffering.max.messages": 500_000,
        "message.timeout.ms": int(delivery_timeout_s * 1000),
        "reconnect.backoff.max.ms": 1000,
        "socket.connection.setup.timeout.ms": 2000,
    }


POLL_BUSY_S = 0.0005
POLL_IDLE_S = 0.05


class KafkaSink:
    """Produces to Kafka, spooling what the broker does not take. ``spool`` is this worker's
    own folder; with ``spool_root`` (the folder of every worker's spool), the sink also
    replays folders left by workers that are gone, and its health covers all of them."""

    def __init__(
        self,
        bootstrap: str,
        spool: Spool,
        metrics: Metrics,
        delivery_timeout_s: float = 3.0,
        replay_interval_s: float = 1.0,
        spool_root: Path | None = None,
        linger_ms: float = 1.0,
    ) -> None:
        from confluent_kafka import Producer

        self._producer = Producer(producer_config(bootstrap, delivery_timeout_s, linger_ms))
        self._spool = spool
        self._spool_root = spool_root
        self._metrics = metrics
        self.replay = SpoolReplay(spool, self._produce, metrics, spool_root, replay_interval_s)
        self._poller: asyncio.Task[None] | None = None
        self._replayer: asyncio.Task[None] | None = None
        self._awaiting = 0  # records produced whose acknowledgement has not come yet
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._poller = asyncio.create_task(self._poll_forever())
        self._replayer = asyncio.create_task(self.replay.run())

    async def stop(self) -> None:
        for task in (self._replayer, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        remaining = await asyncio.to_thread(self._producer.flush, 10)
        if remaining:
            self._metrics.count("collector_unflushed_on_stop_total", remaining)

    async def _poll_forever(self) -> None:
        """Serve the producer's delivery reports on the event loop itself: no second Python
        thread contending for the GIL, no cross-thread wake-up per request. While records
        await their acknowledgement it polls every half millisecond; when none do, it
        sleeps until the next produce call wakes it (or a while, for background reports)."""
        while True:
            self._producer.poll(0)
            if self._awaiting:
                await asyncio.sleep(POLL_BUSY_S)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_IDLE_S)

    async def _produce(self, records: Sequence[Record]) -> list[Record]:
        """Produce and await every acknowledgement; the records that failed.

        One future per call, settled when the last acknowledgement arrives, not one per record
        (what a future costs beside a produce call: docs/tuning.md)."""
        if self._loop is None:
            raise RuntimeError("KafkaSink.start() must run before records are produced")
        if not records:
            return []
        acks = _Acknowledgements(self._loop, len(records))
        self._awaiting += len(records)
        self._wake.set()
        started = time.perf_counter()
        for record in records:
            try:
                self._producer.produce(
                    record.topic,
                    value=record.value,
                    key=record.key,
                    on_delivery=acks.acknowledged,
                )
            except BufferError:  # the producer's local queue is full
                acks.settle(failed=record)
        try:
            failed = await acks.done
        finally:
            self._awaiting -= len(records)
        self._metrics.observe("collector_produce_seconds", time.perf_counter() - started)
        return failed

    async def deliver(self, records: Sequence[Record]) -> Delivery:
        if not self.replay.spooling:
            failed = await self._produce(records)
            if not failed:
                return Delivery.KAFKA
            self.replay.spooling = True
            records = failed
        await asyncio.to_thread(self._spool.append, list(records))
        self._metrics.count("collector_spooled_total", len(records))
        return Delivery.SPOOL

    def health(self) -> dict[str, Any]:
        """This worker's mode; the bytes waiting in every worker's spool (any worker spooling
        or holding records makes the collector's mode ``spooling``)."""
        waiting = (
            spooled_bytes(self._spool_root)
            if self._spool_root is not None
            else self._spool.size_bytes
        )
        return {
            "sink": "kafka",
            "mode": "spooling" if self.replay.spooling or waiting else "direct",
            "spool_bytes": waiting,
            **self.replay.health(),
        }


class _Acknowledgements:
    """Counts the broker's acknowledgements of one produce call. Reports arrive on the event
    loop (the poll task), or, while stopping, on the thread that flushes the producer."""

    def __init__(self, loop: asyncio.AbstractEventLoop, expected: int) -> None:
        self.loop = loop
        self.loop_thread = threading.get_ident()
        self.remaining = expected
        self.failed: list[Record] = []
        self.done: asyncio.Future[list[Record]] = loop.create_future()

    def acknowledged(self, error: Any, message: Any) -> None:
        """The producer's delivery report of one record (one bound method for all of them:
        a failed record is rebuilt from the report's message)."""
        failed = None if error is None else Record(message.topic(), message.key(), message.value())
        self.settle(failed)

    def settle(self, failed: Record | None) -> None:
        """One record is done: acknowledged (None), or ``failed``."""
        if failed is not None:
            self.failed.append(failed)
        self.remaining -= 1
        if self.remaining == 0:
            if threading.get_ident() == self.loop_thread:
                _resolve(self.done, self.failed)
            else:
                self.loop.call_soon_threadsafe(_resolve, self.done, self.failed)


def _resolve(future: asyncio.Future[list[Record]], failed: list[Record]) -> None:
    if not future.done():
        future.set_result(failed)
