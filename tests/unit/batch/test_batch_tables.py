"""The batch tables' one definition creates Delta tables of exactly those columns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.tables import ALL_TABLES, SCHEMAS
from lakehouse.tables.batch import BATCH_TABLES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_every_batch_table_is_created_by_tables_init() -> None:
    assert set(BATCH_TABLES) <= set(ALL_TABLES)
    assert all(table.schema == "batch" for table in BATCH_TABLES)
    assert "batch" in SCHEMAS


def test_batch_ddl_creates_the_defined_columns(spark: SparkSession, tmp_path: Path) -> None:
    for table in BATCH_TABLES:
        location = str(tmp_path / table.relative_path)
        spark.sql(table.delta_ddl(location))
        created = spark.read.format("delta").load(location).schema
        assert [(f.name, f.dataType) for f in created] == [
            (f.name, f.dataType) for f in table.spark_schema()
        ]
        assert "CREATE TABLE IF NOT EXISTS" in table.trino_ddl("delta", location)
