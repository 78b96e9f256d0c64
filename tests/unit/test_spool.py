from __future__ import annotations

from pathlib import Path

import pytest

from collector.records import Record
from collector.spool import Spool, SpoolFolder, SpoolFull, spooled_bytes


def records(start: int, count: int) -> list[Record]:
    return [
        Record("events.v1", f"k{i}".encode(), f'{{"n":{i}}}'.encode())
        for i in range(start, start + count)
    ]


def test_records_come_back_in_order_across_segments(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2**20)
    spool.append(records(0, 3))
    segment, first = spool.oldest()  # type: ignore[misc]
    spool.append(records(3, 2))  # goes to a new segment: the oldest is being replayed
    assert [r.key for r in first] == [b"k0", b"k1", b"k2"]
    spool.remove(segment)
    _, second = spool.oldest()  # type: ignore[misc]
    assert [r.key for r in second] == [b"k3", b"k4"]


def test_a_new_process_sees_what_the_last_one_spooled(tmp_path: Path) -> None:
    Spool(tmp_path, max_bytes=2**20).append(records(0, 4))
    reopened = Spool(tmp_path, max_bytes=2**20)
    assert not reopened.is_empty()
    assert reopened.size_bytes > 0
    _, found = reopened.oldest()  # type: ignore[misc]
    assert found == records(0, 4)


def test_a_line_torn_by_a_crash_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2**20)
    spool.append(records(0, 2))
    (segment,) = spool.segments()
    with segment.open("ab") as out:
        out.write(b'{"t":"events.v1","k":"k9","v":"{\\"n\\"')  # no newline: cut mid-write
    _, found = Spool(tmp_path, max_bytes=2**20).oldest()  # type: ignore[misc]
    assert found == records(0, 2)


def test_the_bound_refuses_a_whole_append(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=200)
    spool.append(records(0, 2))
    before = spool.size_bytes
    with pytest.raises(SpoolFull, match="is full"):
        spool.append(records(2, 10))
    assert spool.size_bytes == before


def test_removing_the_last_segment_empties_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2**20)
    spool.append(records(0, 1))
    segment, _ = spool.oldest()  # type: ignore[misc]
    spool.remove(segment)
    assert spool.is_empty()
    assert spool.size_bytes == 0
    assert spool.oldest() is None


def test_each_worker_claims_a_folder_of_its_own_until_it_lets_go(tmp_path: Path) -> None:
    first = SpoolFolder.claim(tmp_path)
    second = SpoolFolder.claim(tmp_path)
    assert (first.path.name, second.path.name) == ("worker-0", "worker-1")
    assert SpoolFolder.adopt(first.path) is None  # held by a live worker
    first.release()  # as when its process exits
    adopted = SpoolFolder.adopt(first.path)
    assert adopted is not None
    assert adopted.path == first.path
    adopted.release()
    second.release()


def test_folders_holding_records_and_the_bytes_waiting_in_all_of_them(tmp_path: Path) -> None:
    folders = [SpoolFolder.claim(tmp_path) for _ in range(3)]
    Spool(folders[0].path, 2**20).append(records(1, 1))
    Spool(folders[2].path, 2**20).append(records(2, 2))
    assert SpoolFolder.siblings(tmp_path) == [folders[0].path, folders[2].path]
    segments = tmp_path.glob("worker-*/*.jsonl")
    assert spooled_bytes(tmp_path) == sum(s.stat().st_size for s in segments) > 0
    for folder in folders:
        folder.release()


def test_a_live_worker_replays_the_folder_of_one_that_is_gone(tmp_path: Path) -> None:
    import asyncio
    from collections.abc import Sequence

    from collector.metrics import Metrics
    from collector.replay import Round, SpoolReplay

    produced: list[Record] = []

    async def kafka_takes_everything(batch: Sequence[Record]) -> list[Record]:
        produced.extend(batch)
        return []

    gone = SpoolFolder.claim(tmp_path)
    Spool(gone.path, 2**20).append(records(0, 3))
    busy = SpoolFolder.claim(tmp_path)  # a live worker with records of its own
    Spool(busy.path, 2**20).append(records(3, 1))
    own = SpoolFolder.claim(tmp_path)
    gone.release()  # its process exited

    replay = SpoolReplay(
        Spool(own.path, 2**20), kafka_takes_everything, Metrics(), spool_root=tmp_path
    )
    assert asyncio.run(replay.replay_round()) is Round.MOVED
    assert [r.key for r in produced] == [b"k0", b"k1", b"k2"]  # not the live one's k3
    assert SpoolFolder.siblings(tmp_path) == [busy.path]
    for folder in (busy, own):
        folder.release()
