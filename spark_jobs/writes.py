"""How batch jobs write: a day-partitioned table has exactly the window's days replaced, a
whole-history table is rewritten whole. Both are one Delta commit; the rows written come
from the commit's own metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.columns import Table
from lakehouse.settings import Settings
from spark_jobs.window import DayWindow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def last_commit(spark: SparkSession, location: str) -> tuple[int, dict[str, str]]:
    """The table's latest version and its commit's operation metrics."""
    from delta.tables import DeltaTable

    last = DeltaTable.forPath(spark, location).history(1).select("version", "operationMetrics")
    row = last.first()
    return (-1, {}) if row is None else (int(row["version"]), row["operationMetrics"] or {})


def _rows_written(spark: SparkSession, location: str, version_before: int) -> int:
    """The rows the commit after ``version_before`` wrote; 0 if the write committed nothing
    (Delta skips the commit of an empty overwrite that removes no file)."""
    version, metrics = last_commit(spark, location)
    return 0 if version == version_before else int(metrics.get("numOutputRows", 0))


def replace_days(frame: DataFrame, settings: Settings, table: Table, window: DayWindow) -> int:
    """Replace the window's days of ``table`` by ``frame``'s rows of those days (a day
    without rows is left empty); the rows written."""
    first, last = window.first_day.isoformat(), window.last_day.isoformat()
    location = settings.table_location(table.relative_path)
    before, _ = last_commit(frame.sparkSession, location)
    (
        frame.where(F.col("event_date").between(F.lit(window.first_day), F.lit(window.last_day)))
        .select(*table.column_names)
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"event_date >= '{first}' AND event_date <= '{last}'")
        .save(location)
    )
    return _rows_written(frame.sparkSession, location, before)


def replace_all(frame: DataFrame, settings: Settings, table: Table) -> int:
    location = settings.table_location(table.relative_path)
    before, _ = last_commit(frame.sparkSession, location)
    frame.select(*table.column_names).write.format("delta").mode("overwrite").save(location)
    return _rows_written(frame.sparkSession, location, before)
