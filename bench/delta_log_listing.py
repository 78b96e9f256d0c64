"""What a long Delta log costs a streamed table's writes on a local disk.

Delta lists the whole ``_delta_log`` folder before each write. The streaming job commits to
raw.events and live.minute_metrics every trigger, a few log files each time, so the log
grows without end unless the job's maintenance thread deletes the old files (it keeps the
table's ``delta.logRetentionDuration``). The default of ``--files`` is a day of log:
docs/tuning.md has the count and how it was made.

Appends a few rows to a fresh Delta table with the streaming job's Spark settings, then adds
``--files`` empty files beside its log (names Delta ignores, so only the listing changes) and
appends again; prints the median append time of each and their ratio.

    .venv/bin/python -m bench.delta_log_listing [--files 130000] [--appends 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from streaming.spark_config import STREAMING_CONF


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=130_000, help="files added to the log")
    parser.add_argument("--appends", type=int, default=15, help="timed appends of each kind")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="beacon-log-listing-") as state:
        short, long = measure(Path(state), args.files, args.appends)
    print(f"append to a Delta table, local disk, median of {args.appends}:")
    print(f"  short log                              {short * 1000:7.0f} ms")
    print(f"  same, {args.files:,} more files in _delta_log  {long * 1000:7.0f} ms")
    print(f"  ratio                                  {long / short:7.1f}x")
    return 0


def measure(state: Path, files: int, appends: int) -> tuple[float, float]:
    """Median seconds of an append with a short log, then with ``files`` more log files."""
    spark = spark_session(Settings(state_dir=state), "beacon-log-listing", STREAMING_CONF)
    location = str(state / "table")
    rows = spark.range(10).selectExpr("id", "CAST(id AS STRING) AS label")
    rows.write.format("delta").save(location)

    def median_append_s() -> float:
        took = []
        for _ in range(appends):
            started = time.monotonic()
            rows.write.format("delta").mode("append").save(location)
            took.append(time.monotonic() - started)
        return statistics.median(took)

    try:
        median_append_s()  # warm-up: the first appends compile and load classes
        short = median_append_s()
        log = Path(location) / "_delta_log"
        for index in range(files):
            (log / f"{index:020d}.unrelated").touch()
        return short, median_append_s()
    finally:
        spark.stop()


if __name__ == "__main__":
    raise SystemExit(main())
