"""Column types and table definitions, each written once and rendered for every engine.

A :class:`Table` lists its columns with a :class:`ColumnType`; from that one list come the
Spark StructType, the Delta (Spark SQL) DDL, the Trino DDL and, for the event contract, the
JSON validation model (see :mod:`lakehouse.schema`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from lakehouse.sql_text import spark_path_identifier, sql_string, trino_name

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType


class ColumnType(enum.Enum):
    """A logical column type: (Spark SQL / Delta type, Trino type, Python type)."""

    STRING = ("STRING", "varchar", str)
    BIGINT = ("BIGINT", "bigint", int)
    INT = ("INT", "integer", int)
    DOUBLE = ("DOUBLE", "double", float)
    BOOLEAN = ("BOOLEAN", "boolean", bool)
    TIMESTAMP = ("TIMESTAMP", "timestamp(3) with time zone", datetime)
    DATE = ("DATE", "date", date)
    STRING_MAP = ("MAP<STRING, STRING>", "map(varchar, varchar)", dict)
    STRING_ARRAY = ("ARRAY<STRING>", "array(varchar)", list)
    DATE_ARRAY = ("ARRAY<DATE>", "array(date)", list)
    COUNT_MAP = ("MAP<STRING, BIGINT>", "map(varchar, bigint)", dict)
    BINARY = ("BINARY", "varbinary", bytes)

    @property
    def delta_sql(self) -> str:
        return str(self.value[0])

    @property
    def trino_sql(self) -> str:
        return str(self.value[1])

    @property
    def python(self) -> type:
        python_type: type = self.value[2]
        return python_type

    def spark(self) -> DataType:
        from pyspark.sql import types as t

        simple: dict[ColumnType, DataType] = {
            ColumnType.STRING: t.StringType(),
            ColumnType.BIGINT: t.LongType(),
            ColumnType.INT: t.IntegerType(),
            ColumnType.DOUBLE: t.DoubleType(),
            ColumnType.BOOLEAN: t.BooleanType(),
            ColumnType.TIMESTAMP: t.TimestampType(),
            ColumnType.DATE: t.DateType(),
            ColumnType.BINARY: t.BinaryType(),
        }
        if self is ColumnType.STRING_MAP:
            return t.MapType(t.StringType(), t.StringType(), valueContainsNull=True)
        if self is ColumnType.STRING_ARRAY:
            return t.ArrayType(t.StringType(), containsNull=True)
        if self is ColumnType.DATE_ARRAY:
            return t.ArrayType(t.DateType(), containsNull=True)
        if self is ColumnType.COUNT_MAP:
            return t.MapType(t.StringType(), t.LongType(), valueContainsNull=True)
        return simple[self]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    comment: str = ""


@dataclass(frozen=True)
class Table:
    """A Delta table of the lakehouse: ``<schema>.<name>`` under ``<root>/<schema>/<name>``."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    partitioned_by: tuple[str, ...] = ()
    comment: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    """Delta table properties (``delta.*``), set when the table is created."""

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualified_name} repeats a column name")
        missing = set(self.partitioned_by) - set(names)
        if missing:
            raise ValueError(f"{self.qualified_name} partitions by unknown {sorted(missing)}")

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def relative_path(self) -> str:
        return f"{self.schema}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def spark_schema(self) -> StructType:
        return spark_struct(self.columns)

    def delta_ddl(self, location: str) -> str:
        """Spark SQL that creates the table at ``location`` if it does not exist."""
        columns = ",\n  ".join(
            f"{c.name} {c.type.delta_sql}{'' if c.nullable else ' NOT NULL'}"
            + (f" COMMENT {sql_string(c.comment)}" if c.comment else "")
            for c in self.columns
        )
        partition = (
            f"\nPARTITIONED BY ({', '.join(self.partitioned_by)})" if self.partitioned_by else ""
        )
        comment = f"\nCOMMENT {sql_string(self.comment)}" if self.comment else ""
        listed = ", ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in self.properties)
        properties = f"\nTBLPROPERTIES ({listed})" if self.properties else ""
        table = spark_path_identifier(location)
        return (
            f"CREATE TABLE IF NOT EXISTS {table} (\n  {columns}\n)\nUSING DELTA"
            f"{partition}{comment}{properties}"
        )

    def trino_ddl(self, catalog: str, location: str) -> str:
        """Trino SQL that creates the table in the Delta catalog at ``location``."""
        columns = ",\n  ".join(
            f"{c.name} {c.type.trino_sql}{'' if c.nullable else ' NOT NULL'}"
            + (f" COMMENT {sql_string(c.comment)}" if c.comment else "")
            for c in self.columns
        )
        properties = [f"location = {sql_string(location)}"]
        if self.partitioned_by:
            listed = ", ".join(sql_string(name) for name in self.partitioned_by)
            properties.append(f"partitioned_by = ARRAY[{listed}]")
        table = trino_name(catalog, self.schema, self.name)
        return (
            f"CREATE TABLE IF NOT EXISTS {table} (\n  {columns}\n)\nWITH ({', '.join(properties)})"
        )


def spark_struct(columns: tuple[Column, ...]) -> StructType:
    from pyspark.sql import types as t

    return t.StructType(
        [t.StructField(c.name, c.type.spark(), c.nullable, {"comment": c.comment}) for c in columns]
    )
