from __future__ import annotations

from pathlib import Path

import pytest

from collector.spool import Record, Spool, SpoolFull


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
    assert not reopened.is_empty() and reopened.size_bytes > 0
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
    assert spool.is_empty() and spool.size_bytes == 0
    assert spool.oldest() is None
