"""Creating the lakehouse's Delta tables and registering them in Trino, idempotently."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from lakehouse.columns import Table
from lakehouse.settings import Settings
from lakehouse.sql_text import sql_string, trino_name
from lakehouse.tables import SCHEMAS
from lakehouse.trino_sql import query, trino_location
from lakehouse.views import View

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Report = Callable[[str], None]


class TableLayoutMismatch(Exception):
    """An existing Delta table's columns or partitioning differ from its definition."""


def check_layout(spark: SparkSession, table: Table, location: str) -> None:
    """Raise :class:`TableLayoutMismatch` naming the difference, if there is one."""
    from delta.tables import DeltaTable

    detail = DeltaTable.forPath(spark, location).detail().select("partitionColumns").first()
    partitioned_by = tuple(detail["partitionColumns"]) if detail else ()
    columns = tuple(spark.read.format("delta").load(location).columns)
    if columns == table.column_names and partitioned_by == table.partitioned_by:
        return
    raise TableLayoutMismatch(
        f"{table.qualified_name} at {location} has columns {list(columns)} partitioned by "
        f"{list(partitioned_by)}; this version defines columns {list(table.column_names)} "
        f"partitioned by {list(table.partitioned_by)}. Move the table aside (or migrate it) "
        "and start again: missing tables are created."
    )


def create_delta_tables(
    spark: SparkSession, settings: Settings, tables: Iterable[Table], report: Report
) -> list[str]:
    """Create each table that does not exist yet; the names of those created. An existing
    table must have the layout its definition gives (:func:`check_layout`)."""
    from delta.tables import DeltaTable

    created = []
    for table in tables:
        location = settings.table_location(table.relative_path)
        if DeltaTable.isDeltaTable(spark, location):
            check_layout(spark, table, location)
            report(f"  {table.qualified_name}: exists")
            continue
        spark.sql(table.delta_ddl(location))
        created.append(table.qualified_name)
        report(f"  {table.qualified_name}: created at {location}")
    return created


def ensure_trino_schemas(settings: Settings) -> None:
    catalog = settings.trino.catalog
    for schema in SCHEMAS:
        if settings.profile == "local":
            (settings.lakehouse_path / schema).mkdir(parents=True, exist_ok=True)
        location = sql_string(trino_location(settings, schema))
        name = trino_name(catalog, schema)
        query(settings, f"CREATE SCHEMA IF NOT EXISTS {name} WITH (location = {location})")


def registered_tables(settings: Settings) -> set[str]:
    tables = trino_name(settings.trino.catalog, "information_schema", "tables")
    schemas = ", ".join(sql_string(schema) for schema in SCHEMAS)
    rows = query(
        settings,
        f"SELECT table_schema || '.' || table_name FROM {tables} WHERE table_schema IN ({schemas})",
    )
    return {str(row[0]) for row in rows}


def register_in_trino(settings: Settings, tables: Iterable[Table], report: Report) -> list[str]:
    """Register each Delta table in Trino's catalog unless it is already there."""
    ensure_trino_schemas(settings)
    known = registered_tables(settings)
    registered = []
    for table in tables:
        if table.qualified_name in known:
            report(f"  trino {settings.trino.catalog}.{table.qualified_name}: registered")
            continue
        procedure = trino_name(settings.trino.catalog, "system", "register_table")
        location = sql_string(trino_location(settings, table.relative_path))
        query(
            settings,
            f"CALL {procedure}(schema_name => {sql_string(table.schema)}, "
            f"table_name => {sql_string(table.name)}, table_location => {location})",
        )
        registered.append(table.qualified_name)
        report(f"  trino {settings.trino.catalog}.{table.qualified_name}: registered now")
    return registered


def create_views(settings: Settings, views: Iterable[View], report: Report) -> None:
    """Create or replace each Trino view (views hold no data, so replacing is idempotent)."""
    ensure_trino_schemas(settings)
    for view in views:
        query(settings, view.trino_ddl(settings.trino.catalog))
        report(f"  trino {settings.trino.catalog}.{view.qualified_name}: view")
