"""Exactly-once of the streaming writer on real Delta tables: the first micro-batch after a
start may be a re-run of one whose rows are already written (the job died after its commits
and before Spark logged the batch as done); it must leave every table as it was, and the
batches after it must be written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.settings import Settings
from lakehouse.tables.live import LIVE_DAILY_METRICS, LIVE_MINUTE_METRICS, MINUTE_KEY
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from stack.state import isolated_settings
from streaming.batch_writer import BatchWriter, RunStats
from streaming.commit_markers import batch_marker, has_commit
from streaming.job import ensure_tables
from streaming.metrics import latest_versions
from streaming.recent_sketches import RecentSketches
from tests.support.micro_batches import micro_batch

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

APP_ID = "beacon-stream-test"


def writer(settings: Settings) -> BatchWriter:
    """A writer as a job (re)start makes it: its first batch may be a re-run."""
    batch_writer = BatchWriter(settings, RunStats(), RecentSketches())
    batch_writer.app_id = APP_ID
    batch_writer.query_id.set()
    return batch_writer


def table_counts(spark: SparkSession, settings: Settings) -> tuple[int, int, int]:
    """(raw rows, bad rows, pageviews of the site's live total)."""

    def load(location: str) -> DataFrame:
        return spark.read.format("delta").load(settings.table_location(location))

    versions = load(LIVE_MINUTE_METRICS.relative_path).where(f"dimension = '{TOTAL_DIMENSION}'")
    live = latest_versions(versions, MINUTE_KEY)
    pageviews = live.groupBy().sum("pageviews").first()
    return (
        load(RAW_EVENTS.relative_path).count(),
        load(RAW_EVENTS_BAD.relative_path).count(),
        int(pageviews[0] or 0) if pageviews else 0,
    )


def test_a_rerun_batch_changes_nothing_and_the_next_batch_is_written(
    spark: SparkSession, tmp_path: Path
) -> None:
    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    batch = micro_batch(spark, 0, 5)

    first_run = writer(settings)
    first_run(batch, 7)
    assert table_counts(spark, settings) == (5, 1, 5)
    raw = settings.table_location(RAW_EVENTS.relative_path)
    assert has_commit(spark, raw, batch_marker(APP_ID, 7))
    assert not has_commit(spark, raw, batch_marker(APP_ID, 8))

    after_restart = writer(settings)
    after_restart(batch, 7)  # the re-run: every table already has batch 7
    assert table_counts(spark, settings) == (5, 1, 5)
    assert after_restart.stats.last_batch["already_written"] == sorted(
        settings.table_location(t.relative_path)
        for t in (RAW_EVENTS, RAW_EVENTS_BAD, LIVE_MINUTE_METRICS, LIVE_DAILY_METRICS)
    )

    after_restart(micro_batch(spark, 6, 3), 8)
    assert table_counts(spark, settings) == (8, 2, 8)
    assert "already_written" not in after_restart.stats.last_batch
