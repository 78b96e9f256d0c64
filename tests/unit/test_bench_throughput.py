"""The throughput benchmark's reading of a streaming checkpoint (no Spark involved)."""

import json
import os
from pathlib import Path

from bench.stream_throughput import committed_batches, sustained


def write_batch(
    checkpoint: Path, batch_id: int, offsets: list[int], start_ms: int, end_ms: int
) -> None:
    (checkpoint / "offsets").mkdir(parents=True, exist_ok=True)
    (checkpoint / "commits").mkdir(parents=True, exist_ok=True)
    meta = {"batchWatermarkMs": 0, "batchTimestampMs": start_ms, "conf": {}}
    parts = {str(p): o for p, o in enumerate(offsets)}
    (checkpoint / "offsets" / str(batch_id)).write_text(
        "\n".join(["v1", json.dumps(meta), json.dumps({"events.v1": parts})])
    )
    commit = checkpoint / "commits" / str(batch_id)
    commit.write_text('v1\n{"nextBatchWatermarkMs":0}')
    os.utime(commit, (end_ms / 1000, end_ms / 1000))


def test_rows_come_from_offsets_and_the_rate_skips_warmup_batches(tmp_path: Path) -> None:
    write_batch(tmp_path, 0, [100, 100], 1_000_000, 1_020_000)  # 200 rows, slow: warm-up
    write_batch(tmp_path, 1, [150, 200], 1_020_000, 1_021_000)  # 150 rows
    write_batch(tmp_path, 2, [250, 250], 1_021_000, 1_022_000)  # 150 rows
    write_batch(tmp_path, 3, [250, 250], 1_022_000, 1_022_100)  # no data: not measured
    (tmp_path / "offsets" / "4").write_text("v1\n")  # being planned: not a batch yet
    batches = committed_batches(tmp_path)
    assert [b.rows for b in batches.values()] == [200, 150, 150, 0]
    assert batches[1].ms == 1_000
    assert sustained(batches, warmup=1) == (150.0, [1, 2])
    assert sustained(batches, warmup=3) is None


def test_a_batch_without_its_commit_is_not_counted(tmp_path: Path) -> None:
    write_batch(tmp_path, 0, [10], 0, 1_000)
    write_batch(tmp_path, 1, [20], 1_000, 2_000)
    (tmp_path / "commits" / "1").unlink()
    assert list(committed_batches(tmp_path)) == [0]
