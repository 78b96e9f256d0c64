"""Retention per site: the rows of raw and batch tables on days older than their site's
``retention_days`` (before the run's logical date) are deleted, and the files that held them
vacuumed at once, so they are physically gone (the beacon_maintenance DAG's first step).

The tables are those with a site and a date partition (raw.events, raw.events_bad and the
day-partitioned batch tables); batch.users and batch.retention span all days and are
rewritten whole from the remaining sessions by the next nightly run. A row of no configured
site (a bad row whose site was unknown, a site removed since) is kept the default retention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse import maintenance
from lakehouse.columns import ColumnType, Table
from lakehouse.settings import DEFAULT_RETENTION_DAYS, Settings
from lakehouse.tables import ALL_TABLES
from spark_jobs.writes import last_commit

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession

RETAINED_SCHEMAS = ("raw", "batch")


def day_partition(table: Table) -> str | None:
    """The table's date partition column, if it has one."""
    types = {column.name: column.type for column in table.columns}
    return next((c for c in table.partitioned_by if types[c] is ColumnType.DATE), None)


def retained_tables(tables: Iterable[Table] = ALL_TABLES) -> tuple[Table, ...]:
    return tuple(
        table
        for table in tables
        if table.schema in RETAINED_SCHEMAS
        and "site_id" in table.column_names
        and day_partition(table) is not None
    )


def expired_rows(settings: Settings, day_column: str, as_of: date) -> list[Column]:
    """One condition per retention: each configured site's rows before its cutoff, and the
    rows of no configured site before the default one."""
    sites = settings.collector.sites
    day = F.col(day_column)
    conditions = [
        (F.col("site_id") == F.lit(site.site_id))
        & (day < F.lit(as_of - timedelta(days=site.retention_days)))
        for site in sites
    ]
    unknown = F.col("site_id").isNull() | ~F.col("site_id").isin([s.site_id for s in sites])
    conditions.append(unknown & (day < F.lit(as_of - timedelta(days=DEFAULT_RETENTION_DAYS))))
    return conditions


def _delete(spark: SparkSession, location: str, condition: Column) -> int:
    from delta.tables import DeltaTable

    before, _ = last_commit(spark, location)
    DeltaTable.forPath(spark, location).delete(condition)
    version, metrics = last_commit(spark, location)
    return 0 if version == before else int(metrics.get("numDeletedRows", 0))


def drop_expired(
    spark: SparkSession, settings: Settings, as_of: date, report: Callable[[str], None]
) -> dict[str, tuple[int, int]]:
    """Delete every site's expired rows and vacuum the files that held them: (rows, files)
    per table."""
    from delta.tables import DeltaTable

    session = maintenance.erasure_session(spark)
    done: dict[str, tuple[int, int]] = {}
    for table in retained_tables():
        location = settings.table_location(table.relative_path)
        column = day_partition(table)
        if column is None or not DeltaTable.isDeltaTable(session, location):
            continue
        rows = sum(
            _delete(session, location, condition)
            for condition in expired_rows(settings, column, as_of)
        )
        files = 0
        if rows:
            hours = settings.gdpr.vacuum_retention_hours
            files = maintenance.vacuum_removed_files(session, location, hours)
        done[table.qualified_name] = (rows, files)
        report(f"maintenance: retention {table.qualified_name}: {rows} rows, {files} files deleted")
    return done
