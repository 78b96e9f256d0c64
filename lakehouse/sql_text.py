"""Quoting for the SQL beacon writes itself: string literals and identifiers, in one place.

Statements are built from table definitions and settings (a catalog name, a location), never
from request input; every such name or value passes through these quotes all the same, so a
setting with a quote in it cannot change what a statement means.
"""

from __future__ import annotations


def sql_string(text: str) -> str:
    """A string literal: ``'it''s'`` (the same in Spark SQL and Trino)."""
    return "'" + text.replace("'", "''") + "'"


def trino_identifier(name: str) -> str:
    """A Trino identifier in double quotes: ``"delta"``."""
    return '"' + name.replace('"', '""') + '"'


def trino_name(*parts: str) -> str:
    """A qualified Trino name, each part quoted: ``"delta"."raw"."events"``."""
    return ".".join(trino_identifier(part) for part in parts)


def spark_path_identifier(location: str) -> str:
    """A Delta table addressed by its path in Spark SQL: ``delta.`/lake/raw/events```."""
    return "delta.`" + location.replace("`", "``") + "`"
