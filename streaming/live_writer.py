"""A micro-batch's live rows: its partial per-minute rows, added to the keys' totals the job
keeps (:mod:`streaming.live_totals`), appended as the keys' new versions to
live.minute_metrics and live.daily_metrics. An append reads nothing of the table: no MERGE,
no snapshot reconstruction, no rewrite of a file on a micro-batch's path."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.columns import Table, spark_struct
from lakehouse.settings import Settings
from lakehouse.tables.live import (
    DAY_KEY,
    LIVE_DAILY_METRICS,
    LIVE_MINUTE_METRICS,
    MINUTE_KEY,
)
from streaming.commit_markers import current_marker
from streaming.live_totals import Key, Totals, VersionTotals, summed
from streaming.metrics import latest_versions, minute_metrics, on_time, visitors_estimate_sql
from streaming.recent_sketches import RecentSketches, sketch_rows
from streaming.sketch_estimates import SparkEstimates
from streaming.small_appends import DeltaRsAppends, appends_through_delta_rs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DAY_RETENTION = timedelta(days=1)
"""The days whose keys' totals the job keeps: the newest written and the one before."""
MINUTE_RETENTION_BEYOND_WATERMARK = timedelta(minutes=2)


def run_in_turn(appends: dict[str, Callable[[], None]]) -> None:
    for append in appends.values():
        append()


def utc(moment: datetime) -> datetime:
    """A timestamp as PySpark returns it (naive, in the process's local time) in UTC."""
    return moment.astimezone(UTC)


def totals_of(row: Any) -> Totals:
    return Totals(
        int(row["pageviews"]),
        int(row["events"]),
        int(row["new_sessions"]),
        None if row["visitors_sketch"] is None else bytes(row["visitors_sketch"]),
    )


class LiveWriter:
    """The live rows of each micro-batch, for :class:`~streaming.batch_writer.BatchWriter`."""

    def __init__(self, settings: Settings, recent: RecentSketches) -> None:
        self.minutes_location = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
        self.days_location = settings.table_location(LIVE_DAILY_METRICS.relative_path)
        self.watermark_s = settings.streaming.watermark_s
        self.recent = recent
        self.spark: SparkSession | None = None
        retention = timedelta(seconds=self.watermark_s) + MINUTE_RETENTION_BEYOND_WATERMARK
        self.minutes: VersionTotals[datetime] = VersionTotals(self._stored_minutes, retention)
        self.days: VersionTotals[date] = VersionTotals(self._stored_days, DAY_RETENTION)
        self.delta_rs = DeltaRsAppends()
        self.estimates: SparkEstimates | None = None

    @property
    def locations(self) -> tuple[str, str]:
        return self.minutes_location, self.days_location

    def partial_rows(self, events: DataFrame) -> list[Any]:
        """The batch's on-time events as partial minute rows, collected (a few per minute,
        site and dimension value); their site totals' sketches go to the active visitors."""
        rows = minute_metrics(on_time(events, self.watermark_s)).collect()
        self.recent.add(sketch_rows(site_sketches_of(rows)))
        return rows

    def write(
        self,
        spark: SparkSession,
        rows: list[Any],
        written: set[str],
        run: Callable[[dict[str, Callable[[], None]]], None] = run_in_turn,
    ) -> None:
        """Append the keys' new versions to the tables that do not have this batch yet;
        ``run`` runs the appends (step name -> append) and returns once all have ended."""
        self.spark = spark
        minute_parts = {
            (r["site_id"], utc(r["minute"]), r["dimension"], r["value"]): totals_of(r) for r in rows
        }
        day_parts = summed(
            ((r["site_id"], r["event_date"], r["dimension"], r["value"]), totals_of(r))
            for r in rows
        )
        minutes = self.minutes.versions(minute_parts)
        days = self.days.versions(day_parts)
        updated_at = datetime.now(UTC)
        appends: dict[str, Callable[[], None]] = {}
        if self.minutes_location not in written:
            rows_of_minutes = metric_rows(minutes, updated_at, minute_partitions)
            appends["minutes_append"] = lambda: self._append(
                spark, rows_of_minutes, LIVE_MINUTE_METRICS
            )
        if self.days_location not in written:
            rows_of_days = metric_rows(days, updated_at)
            appends["days_append"] = lambda: self._append(spark, rows_of_days, LIVE_DAILY_METRICS)
        run(appends)
        # A table that had the batch already (a re-run) was loaded with its versions: what
        # was computed for it counts the batch twice and is not kept.
        if minutes and self.minutes_location not in written:
            self.minutes.keep(minutes, min(max(k[1] for k in minutes), updated_at))
        if days and self.days_location not in written:
            self.days.keep(days, min(max(k[1] for k in days), updated_at.date()))

    def _append(self, spark: SparkSession, rows: list[tuple[Any, ...]], table: Table) -> None:
        """Append versions (rows of ``table`` but their visitors' estimate, which is Spark's
        figure for the sketch: the DataSketches library's C++ estimator can differ from the
        JVM's by one visitor past the exact range, and every figure is the JVM's)."""
        location = self.minutes_location if table is LIVE_MINUTE_METRICS else self.days_location
        if appends_through_delta_rs(location):
            self._append_delta_rs(spark, rows, table, location)
        else:
            self._append_spark(spark, rows, table, location)

    def _append_delta_rs(
        self, spark: SparkSession, rows: list[tuple[Any, ...]], table: Table, location: str
    ) -> None:
        if self.estimates is None:
            self.estimates = SparkEstimates(spark.sparkContext._jvm)
        names = [c for c in table.column_names if c != "unique_visitors"]
        sketch_at = names.index("visitors_sketch")
        estimated = [(*row, self.estimates(row[sketch_at])) for row in rows]
        self.delta_rs.append(
            location, [*names, "unique_visitors"], estimated, current_marker(spark)
        )

    @staticmethod
    def _append_spark(
        spark: SparkSession, rows: list[tuple[Any, ...]], table: Table, location: str
    ) -> None:
        from pyspark.sql import functions as F

        columns = [c for c in table.columns if c.name != "unique_visitors"]
        estimated = F.expr(visitors_estimate_sql("visitors_sketch")).alias("unique_visitors")
        # One file a partition (the rows are few): fewer files for Trino to open and Delta
        # to list.
        frame = (
            spark.createDataFrame(rows, spark_struct(tuple(columns)), verifySchema=False)
            .coalesce(1)
            .select("*", estimated)
            .select(*table.column_names)
        )
        frame.write.format("delta").mode("append").save(location)

    def _stored(self, location: str, key: tuple[str, ...], where: str) -> DataFrame:
        if self.spark is None:
            raise RuntimeError("the live writer has no Spark session before its first batch")
        table = self.spark.read.format("delta").load(location).where(where)
        return latest_versions(table, key)

    def _stored_minutes(
        self, since: datetime, until: datetime | None
    ) -> Iterable[tuple[Key, Totals]]:
        where = f"event_date >= DATE '{since.date()}' AND minute >= TIMESTAMP '{since:%F %T}'"
        if until is not None:
            where += (
                f" AND event_date <= DATE '{until.date()}' AND minute < TIMESTAMP '{until:%F %T}'"
            )
        rows = self._stored(self.minutes_location, MINUTE_KEY, where).collect()
        return [
            ((r["site_id"], utc(r["minute"]), r["dimension"], r["value"]), totals_of(r))
            for r in rows
        ]

    def _stored_days(self, since: date, until: date | None) -> Iterable[tuple[Key, Totals]]:
        where = f"event_date >= DATE '{since}'"
        if until is not None:
            where += f" AND event_date < DATE '{until}'"
        rows = self._stored(self.days_location, DAY_KEY, where).collect()
        return [
            ((r["site_id"], r["event_date"], r["dimension"], r["value"]), totals_of(r))
            for r in rows
        ]


def site_sketches_of(rows: list[Any]) -> list[Any]:
    """The site totals' sketches among collected partial rows (as
    :func:`streaming.recent_sketches.site_sketches` selects them from a DataFrame)."""
    from lakehouse.dimensions import TOTAL_DIMENSION

    return [
        {
            "site_id": r["site_id"],
            "minute_s": int(utc(r["minute"]).timestamp()),
            "visitors_sketch": r["visitors_sketch"],
        }
        for r in rows
        if r["dimension"] == TOTAL_DIMENSION and r["visitors_sketch"] is not None
    ]


def metric_rows(
    versions: dict[Key, Totals],
    updated_at: datetime,
    partitions: Callable[[Any], tuple[Any, ...]] = lambda period: (),
) -> list[tuple[Any, ...]]:
    """Rows of a live metric table but the visitors' estimate, in its column order: the key,
    the counts and sketch, ``updated_at``, then the columns ``partitions`` derives from the
    key's period (the minute's date and hour in live.minute_metrics; none in
    live.daily_metrics, whose period is its partition)."""
    return [
        (*key, t.pageviews, t.events, t.new_sessions, t.sketch, updated_at, *partitions(key[1]))
        for key, t in versions.items()
    ]


def minute_partitions(minute: datetime) -> tuple[date, int]:
    """A minute's partition columns in live.minute_metrics: event_date and event_hour."""
    return minute.date(), minute.hour
