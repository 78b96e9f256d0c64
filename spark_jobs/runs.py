"""ops.pipeline_runs: every batch job records its run (job, logical date, status, rows
written, start and end); a successful ``publish`` row is what closes a day for serving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.settings import Settings
from lakehouse.tables.ops import OPS_PIPELINE_RUNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SUCCESS, FAILED = "success", "failed"
MAX_MESSAGE = 1000


@dataclass(frozen=True)
class PipelineRun:
    job: str
    logical_date: date
    status: str
    started_at: datetime
    finished_at: datetime
    rows_written: int | None
    message: str | None = None
    run_id: str = ""

    def row(self) -> tuple[object, ...]:
        return (
            self.run_id or str(uuid.uuid4()),
            self.job,
            self.logical_date,
            self.status,
            self.started_at,
            self.finished_at,
            self.rows_written,
            (self.message or "")[:MAX_MESSAGE] or None,
        )


def now() -> datetime:
    """The wall clock, for the record of a run only (never for what a job computes)."""
    return datetime.now(UTC)


def record(spark: SparkSession, settings: Settings, run: PipelineRun) -> None:
    location = settings.table_location(OPS_PIPELINE_RUNS.relative_path)
    frame = spark.createDataFrame([run.row()], OPS_PIPELINE_RUNS.spark_schema())
    frame.write.format("delta").mode("append").save(location)


def runs(spark: SparkSession, settings: Settings) -> DataFrame:
    location = settings.table_location(OPS_PIPELINE_RUNS.relative_path)
    return spark.read.format("delta").load(location)


def latest_status(spark: SparkSession, settings: Settings, job: str, day: date) -> str | None:
    """The status of ``job``'s latest run for ``day``, None if it never ran."""
    latest = (
        runs(spark, settings)
        .where((F.col("job") == job) & (F.col("logical_date") == F.lit(day)))
        .orderBy(F.col("finished_at").desc_nulls_last(), F.col("started_at").desc())
        .select("status")
        .first()
    )
    return None if latest is None else str(latest["status"])
