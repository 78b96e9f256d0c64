"""Exactly once into Delta: every commit of micro-batch N carries the marker
"<query id> batch N", and a re-run batch skips the tables that already have it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

COMMIT_MARKER_CONF = "spark.databricks.delta.commitInfo.userMetadata"
MARKER_LOOKBACK_COMMITS = 1000
"""How far back a table's history is searched for a re-run batch's marker: the batch was
the job's last write, so only commits by other writers (compaction, erasure) while the job
was down can come after it."""


def batch_marker(app_id: str, batch_id: int) -> str:
    return f"{app_id} batch {batch_id}"


@contextmanager
def marked_commits(spark: SparkSession, marker: str) -> Iterator[None]:
    """Every Delta commit inside the block (appends and MERGE) carries ``marker`` as its
    commitInfo.userMetadata, in the same atomic commit as its rows.

    Delta's own idempotent pair (txnAppId/txnVersion) is not used: checking it reads the
    table's SetTransactions from a full state reconstruction of each new snapshot, a Spark
    job per table and micro-batch (docs/tuning.md), while only a start's first batch can be
    a re-run (Spark re-runs just the batch whose offsets were logged and not committed)."""
    spark.conf.set(COMMIT_MARKER_CONF, marker)
    try:
        yield
    finally:
        spark.conf.unset(COMMIT_MARKER_CONF)


def current_marker(spark: SparkSession) -> str | None:
    """The marker the commits made now carry (inside :func:`marked_commits`), if any."""
    return spark.conf.get(COMMIT_MARKER_CONF, None) or None


def has_commit(
    spark: SparkSession, location: str, marker: str, lookback: int = MARKER_LOOKBACK_COMMITS
) -> bool:
    """Whether one of the table's last ``lookback`` commits carries ``marker``."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    history = DeltaTable.forPath(spark, location).history(lookback)
    return bool(history.where(F.col("userMetadata") == marker).limit(1).collect())
