"""The spool replay loop: every failed round is logged, counted and shown in /health, and
retried after a delay that doubles up to a cap; a segment Kafka takes ends the failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from collector.metrics import Metrics
from collector.records import Record
from collector.replay import Backoff, SpoolReplay
from collector.spool import Spool


class Stop(Exception):
    """Ends the replay loop from its sleep."""


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = Backoff(base_s=1, cap_s=30)
    assert [backoff.failed() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.failed() == 1


def test_failed_rounds_are_logged_counted_and_backed_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, max_bytes=2**20)
    spooled = [Record("events.v1", b"k", b'{"n":1}'), Record("events.v1", b"k", b'{"n":2}')]
    spool.append(spooled)
    produced: list[Record] = []
    answers: list[Exception | list[Record]] = [OSError("broker gone"), spooled[:1], spooled, []]

    async def produce(records: Sequence[Record]) -> list[Record]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        produced.extend(record for record in records if record not in answer)
        return answer

    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 4:
            raise Stop

    metrics = Metrics()
    replay = SpoolReplay(spool, produce, metrics, interval_s=1, max_delay_s=3, sleep=sleep)
    assert replay.spooling
    with caplog.at_level(logging.WARNING, logger="beacon.collector.replay"):

        async def run() -> None:
            with pytest.raises(Stop):
                await asyncio.wait_for(replay.run(), timeout=30)

        asyncio.run(run())

    assert delays == [1, 2, 3, 1]  # three failures backed off (capped), then idle
    # A segment is replayed whole: what Kafka took in a failed round goes again (the stream
    # drops repeated event ids).
    assert produced == [spooled[1], *spooled]
    assert spool.is_empty()
    assert not replay.spooling
    assert metrics.value("collector_replay_failures_total", cause="error") == 1
    assert metrics.value("collector_replay_failures_total", cause="kafka") == 2
    assert metrics.value("collector_replayed_total") == 2
    assert replay.health() == {"replay_failures": 3, "replay_error": None}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "broker gone" in warnings[0].getMessage()
    assert warnings[0].exc_info is not None
    assert "retrying in 2 s" in warnings[1].getMessage()


def test_health_names_the_last_failure_until_a_round_succeeds(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2**20)
    spool.append([Record("events.v1", b"k", b"{}")])

    async def kafka_down(records: Sequence[Record]) -> list[Record]:
        return list(records)

    async def sleep(seconds: float) -> None:
        raise Stop

    replay = SpoolReplay(spool, kafka_down, Metrics(), sleep=sleep)

    async def run() -> None:
        with pytest.raises(Stop):
            await replay.run()

    asyncio.run(run())
    assert replay.health() == {
        "replay_failures": 1,
        "replay_error": "Kafka did not acknowledge a segment",
    }
    assert replay.spooling
    assert not spool.is_empty()
