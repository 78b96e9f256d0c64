"""Trino sees a Delta commit by Spark at once: the delta catalog's metadata caches (the
table snapshots, the active files, the file metastore) add no delay to the speed layer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.provision import create_delta_tables, register_in_trino
from lakehouse.settings import Settings
from lakehouse.trino_sql import query

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_a_row_committed_by_spark_is_in_the_next_trino_query(
    trino: Settings, spark: SparkSession
) -> None:
    table = Table(
        "ops",
        f"visibility_{uuid.uuid4().hex[:8]}",
        (Column("n", ColumnType.BIGINT, False), Column("at", ColumnType.TIMESTAMP, False)),
    )
    create_delta_tables(spark, trino, [table], lambda _: None)
    register_in_trino(trino, [table], lambda _: None)
    location = trino.table_location(table.relative_path)
    name = f"delta.{table.qualified_name}"
    assert query(trino, f"SELECT count(*) FROM {name}") == [(0,)]  # the caches are warm
    for n in range(1, 6):
        spark.createDataFrame([(n, datetime.now(UTC))], table.spark_schema()).write.format(
            "delta"
        ).mode("append").save(location)
        assert query(trino, f"SELECT count(*), max(n) FROM {name}") == [(n, n)]
