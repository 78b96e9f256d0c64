"""Replaying the spool into Kafka: oldest segment first, so records leave in the order they
came, and the spool folders of workers that are gone once this worker's own is empty.

A round that fails (Kafka does not acknowledge a segment, or anything raises) is logged,
counted (``collector_replay_failures_total{cause}``, and in /health) and retried after a
delay that doubles with each failure in a row, up to a cap; the segment stays and is replayed
whole. A round that moves a segment goes straight on to the next one.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from collector.metrics import Metrics
from collector.records import Record
from collector.spool import Spool, SpoolFolder

log = logging.getLogger("beacon.collector.replay")

Produce = Callable[[Sequence[Record]], Awaitable[list[Record]]]
"""Produce records and await their acknowledgements; the records that failed."""
Sleep = Callable[[float], Awaitable[None]]


class Round(enum.Enum):
    MOVED = "moved"  # a segment is in Kafka
    IDLE = "idle"  # nothing to replay
    REFUSED = "refused"  # Kafka did not take a segment


class Backoff:
    """The delays after failures in a row: ``base_s``, twice that, ... at most ``cap_s``."""

    def __init__(self, base_s: float, cap_s: float) -> None:
        self.base_s = base_s
        self.cap_s = max(cap_s, base_s)
        self.failures = 0

    def failed(self) -> float:
        delay: float = min(self.cap_s, self.base_s * 2.0**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


class SpoolReplay:
    """Moves spooled records back into Kafka. ``spooling`` is the sink's mode: new records
    go to the spool too while it holds any, so they stay in order."""

    def __init__(
        self,
        spool: Spool,
        produce: Produce,
        metrics: Metrics,
        spool_root: Path | None = None,
        interval_s: float = 1.0,
        max_delay_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.spool = spool
        self.produce = produce
        self.metrics = metrics
        self.spool_root = spool_root
        self.interval_s = interval_s
        self.sleep = sleep
        self.backoff = Backoff(interval_s, max_delay_s)
        # Start in spool mode if a previous run left records behind: they go first.
        self.spooling = not spool.is_empty()
        self.failures = 0
        self.last_error: str | None = None

    async def run(self) -> None:
        """Replay until cancelled."""
        while True:
            try:
                done = await self.replay_round()
            except Exception as error:  # noqa: BLE001 - logged, counted, retried after a backoff
                delay = self._failed("error", f"{type(error).__name__}: {error}", exc_info=True)
                await self.sleep(delay)
                continue
            if done is Round.REFUSED:
                await self.sleep(self._failed("kafka", "Kafka did not acknowledge a segment"))
                continue
            self.backoff.reset()
            if done is Round.MOVED:
                self.last_error = None
            else:
                await self.sleep(self.interval_s)

    def _failed(self, cause: str, error: str, exc_info: bool = False) -> float:
        """Count and log a failed round; the delay before the next."""
        self.failures += 1
        self.last_error = error
        self.metrics.count("collector_replay_failures_total", cause=cause)
        delay = self.backoff.failed()
        log.warning(
            "spool replay failed (%s; %d in a row), retrying in %g s",
            error,
            self.backoff.failures,
            delay,
            exc_info=exc_info,
        )
        return delay

    async def replay_round(self) -> Round:
        """This worker's oldest segment; once its own spool is empty, the orphans'."""
        moved = await self.replay_segment(self.spool)
        if moved is None or self.spool.is_empty():
            self.spooling = False
        if moved is None:
            return await self.adopt_orphans()
        return Round.MOVED if moved else Round.REFUSED

    async def replay_segment(self, spool: Spool) -> bool | None:
        """Move ``spool``'s oldest segment into Kafka: True if it moved, False if Kafka did
        not take it (it stays, replayed whole later), None if the spool is empty."""
        oldest = await asyncio.to_thread(spool.oldest)
        if oldest is None:
            return None
        segment, records = oldest
        if records and await self.produce(records):
            return False
        await asyncio.to_thread(spool.remove, segment)
        self.metrics.count("collector_replayed_total", len(records))
        return True

    async def adopt_orphans(self) -> Round:
        """Replay the spool folders of workers that are gone (their lock is free)."""
        if self.spool_root is None:
            return Round.IDLE
        done = Round.IDLE
        for path in await asyncio.to_thread(SpoolFolder.siblings, self.spool_root):
            if path == self.spool.folder:
                continue
            folder = await asyncio.to_thread(SpoolFolder.adopt, path)
            if folder is None:
                continue  # its worker is alive and replays it itself
            try:
                orphan = Spool(path, self.spool.max_bytes)
                while (moved := await self.replay_segment(orphan)) is True:
                    done = Round.MOVED
                if moved is False:
                    return Round.REFUSED
            finally:
                folder.release()
        return done

    def health(self) -> dict[str, Any]:
        return {"replay_failures": self.failures, "replay_error": self.last_error}
